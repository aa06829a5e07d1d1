"""Every console page in both languages (issue #13, item 18): the walk follows every console link of `yunqiao demo` (a
signed-in admin, its sample data: a synced enterprise, bindings, the OA directory, push rules, messages, the audit
log), in Chinese and in English, plus a refused form. A page fails on

* an internal key shown to the admin: an audit action or other `area.verb` (`admin.login`, `pushRule.create`), a
  strings-table key (`status_succeeded`), `msg.…`, a Mustache tag;
* in Chinese, an English word of the console's own vocabulary (every word of the English strings files), outside
  code samples (`<code>`), identifiers and the names of things the admin typed. Product and protocol names that stay
  as they are (OA, App ID, API, CSV …) are listed in `KEPT`.

Pages of the same shape (`/console/enterprises/N/users/N`) are visited twice at most, so the walk stays short.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from yunqiao_process import YunqiaoProcess

STRINGS = Path(__file__).resolve().parents[2] / "Sources/YunqiaoServer/Resources/strings"

#: Words that stay as they are in the Chinese console: product, protocol and file-format names, and the header names
#: Feishu's developer console itself shows in English.
KEPT = {"oa", "api", "app", "id", "secret", "token", "verification", "encrypt", "key", "url", "http", "https", "json", "csv",
        "xlsx", "utf", "bom", "get", "post", "put", "delete", "english", "bearer", "authorization", "lark", "jsapi", "tls",
        "dns", "tcp", "content", "type", "sdk", "ip", "csrf", "gbk", "zip", "xml", "h5", "oauth", "webhook", "cas", "oidc",
        "excel", "cron"}
#: The demo's own data in Latin letters: the OA module key `approval`, the OA key's name `demo OA`, the admin `admin`,
#: the tenant `default`, a sample user's English name `Min Hu`.
DATA = {"approval", "demo", "admin", "default", "min"}
AREAS = ("admin|app|binding|delivery|enterprise|homepageApp|oaConnector|oaDirectory|oaKey|oaModule|oaUser|pushRule|settings|"
         "sync|tenant|token|msg|t")
INTERNAL = re.compile(rf"(?<![\w./@-])(?:{AREAS})\.[a-z][A-Za-z]+(?![\w/@-])")
LINK = re.compile(r'href="(/console[^"#]*)"')
SKIP = re.compile(r"/console/logout|[?&]lang=|/export|/template|\.(?:csv|xlsx)$")
MAX_PAGES = 160


def words_of(language: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for file in sorted((STRINGS / language).glob("*.json")):
        table.update(json.loads(file.read_text(encoding="utf-8")))
    return table


ZH, EN = words_of("zh-CN"), words_of("en")
#: The English console's words, lower-cased: what must not show up in a Chinese page.
VOCABULARY = {word.lower() for text in EN.values() for word in re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", " ", text))}
VOCABULARY |= {word.lower() for key in EN if key.startswith("msg.") for word in re.findall(r"[A-Za-z]{3,}", key[4:])}
VOCABULARY -= KEPT | DATA


def banner_password(demo: YunqiaoProcess) -> str:
    found = re.search(r"Admin login\s+user: admin\s+password: (\S+)", "\n".join(demo.stdout_lines))
    assert found, demo.stdout_lines
    return found[1]


def signed_in(demo: YunqiaoProcess, language: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("lang", language)
    page = session.get(f"{demo.base}/login", timeout=10).text
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert csrf, page[:500]
    answer = session.post(f"{demo.base}/login", data={"username": "admin", "password": banner_password(demo), "_csrf": csrf[1]},
                          timeout=10)
    assert urlsplit(answer.url).path.startswith("/console"), answer.text[:500]
    return session


def shape(path: str) -> str:
    """`/console/enterprises/1/users/on_x?offset=20` → `/console/enterprises/N/users/N?offset=`."""
    parts = urlsplit(path)
    query = re.sub(r"=[^&]*", "=", parts.query)
    return re.sub(r"/[^/]*\d[^/]*", "/N", parts.path) + (f"?{query}" if query else "")


def walk(session: requests.Session, base: str) -> dict[str, requests.Response]:
    pages: dict[str, requests.Response] = {}
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    queue = ["/console"]
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or shapes[shape(path)] >= 2:
            continue
        seen.add(path)
        shapes[shape(path)] += 1
        answer = session.get(base + path, timeout=30)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        pages[path] = answer
        queue += [link for link in map(html.unescape, LINK.findall(answer.text)) if not SKIP.search(link) and link not in seen]
    return pages


def visible(page: str) -> str:
    """What the admin reads: the text outside scripts, styles and code samples, and the placeholders, titles and labels."""
    page = re.sub(r"(?is)<(script|style|code|kbd|pre)\b.*?</\1>", " ", page)
    attributes = re.findall(r'\s(?:placeholder|title|aria-label|alt)="([^"]*)"', page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page) + " " + " ".join(attributes))


def english_words(text: str) -> set[str]:
    """Words of the English vocabulary standing alone (not part of an identifier, an address or an id)."""
    words = re.findall(r"(?<![\w.@/:-])([A-Za-z][a-z]{2,})(?![\w.@/:-])", text)
    return {word for word in words if word.lower() in VOCABULARY}


def problems(pages: dict[str, requests.Response], chinese: bool, status: int = 200) -> list[str]:
    found = []
    table_keys = {key for key in ZH if "_" in key and not key.startswith("msg.")}
    for path, answer in pages.items():
        if answer.status_code != status:
            found.append(f"{path}: HTTP {answer.status_code}")
        text = visible(answer.text)
        for key in sorted(set(INTERNAL.findall(text))):
            found.append(f"{path}: internal key {key}")
        for token in sorted(set(re.findall(r"[a-z]+_[a-z_]+", text)) & table_keys):
            found.append(f"{path}: strings key {token}")
        if "{{" in text or "}}" in text:
            found.append(f"{path}: a Mustache tag")
        if chinese:
            for word in sorted(english_words(text)):
                where = text.find(word)
                found.append(f"{path}: English {word!r} in …{' '.join(text[max(0, where - 40):where + 40].split())}…")
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_console_page_speaks_the_chosen_language(demo: YunqiaoProcess, language: str) -> None:
    session = signed_in(demo, language)
    pages = walk(session, demo.base)
    assert len(pages) >= 40, sorted(pages)
    # The pages the issue names are among them.
    for needed in ("/console/audit", "/console/push/messages", "/console/enterprises/1/sync-runs/1", "/console/oa"):
        assert needed in pages, sorted(pages)
    lang = re.search(r'<html lang="([^"]+)"', pages["/console"].text)
    assert lang and lang[1] == ("zh-CN" if language == "zh" else "en")
    found = problems(pages, chinese=language == "zh")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_refused_form_speaks_the_chosen_language(demo: YunqiaoProcess, language: str) -> None:
    """A refused setting (an external domain that is not an http(s) address, an image host with a path) names the field
    and says what is wrong in the admin's words, never with the form field's internal name."""
    session = signed_in(demo, language)
    page = session.get(f"{demo.base}/console/settings", timeout=10).text
    csrf = re.search(r'id="settings-form".*?name="_csrf" value="([^"]+)"', page, re.S)
    assert csrf, page[:1000]
    for field, value in (("externalDomain", "ftp://bridge.example.com"), ("imageHosts", "files.example.com/path")):
        data = {"_csrf": csrf[1], "externalDomain": "", "imageHosts": ""} | {field: value}
        answer = session.post(f"{demo.base}/console/settings", data=data, timeout=10)
        assert answer.status_code == 400, answer.text[:500]
        error = re.search(r'(?s)id="form-error"[^>]*>(.*?)</p>', answer.text)
        assert error, answer.text
        words = html.unescape(error[1])
        assert field not in words, words
        assert bool(re.search(r"[\u4e00-\u9fff]", words)) == (language == "zh"), words
        assert not problems({f"/console/settings ({field} refused)": answer}, chinese=language == "zh", status=400)
