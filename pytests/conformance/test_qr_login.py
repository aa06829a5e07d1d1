"""The QR login of LarkSSOSDKWebQRCode (feishu-api.md §2.7), walked over HTTP as a browser and a phone would: the SDK
script, the QR iframe and its poll, the phone's confirmation, then the parent page's `goto + "&tmp_code=…"`, whose
redirect carries an ordinary authorization code.

The code is exchanged at the v2 token endpoint with plain `requests` and the user checked through the SDK's
`user_info`, as in test_oauth.py (lark-oapi 1.7.5 has no API for `authen/v2/oauth/token`); a second walk exchanges
through the SDK's `authen.v1.oidc_access_token`.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from lark_oapi.api.authen.v1 import CreateOidcAccessTokenRequest, CreateOidcAccessTokenRequestBody

from support import App, EmulatorProcess, assert_ok
from test_oauth import REDIRECT, active_user, exchange, user_info

SCRIPT = "/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-{}.js"
FRAME = "/suite/passport/sso/qr"
POLL = "/suite/passport/sso/qr/poll"
SCAN = "/suite/passport/sso/scan"
PASSPORT_AUTHORIZE = "/suite/passport/oauth/authorize"


def goto(emulator: EmulatorProcess, app: App, state: str = "qr-st", path: str = PASSPORT_AUTHORIZE) -> str:
    """The authorize URL a login page hands to `QRLogin({goto})`."""
    query = urlencode({"client_id": app.app_id, "redirect_uri": REDIRECT, "response_type": "code", "state": state})
    return f"{emulator.base}{path}?{query}"


def open_frame(emulator: EmulatorProcess, goto_url: str, version: str = "1.0.3") -> tuple[str, str]:
    """Loads the iframe as the SDK's `src` does; answers the session id and the phone link."""
    frame = requests.get(emulator.base + FRAME, params={"goto": goto_url, "sdk_version": version}, timeout=10)
    assert frame.status_code == 200, frame.text
    assert frame.headers["Content-Type"].startswith("text/html")
    assert "用飞书扫码登录" in frame.text and "postMessage" in frame.text
    session = re.search(r'id="emulator-qr" data-qr="([^"]+)"', frame.text)
    scan = re.search(r'id="emulator-scan" href="([^"]+)"', frame.text)
    assert session and scan, frame.text
    return session.group(1), html.unescape(scan.group(1))


def poll(emulator: EmulatorProcess, session: str) -> dict:
    response = requests.get(emulator.base + POLL, params={"qr": session}, timeout=10)
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def confirm(emulator: EmulatorProcess, session: str, login_as: str) -> requests.Response:
    """The phone's confirm button (a form POST)."""
    return requests.post(emulator.base + SCAN, data={"qr": session, "login_as": login_as}, timeout=10)


def confirmed_tmp_code(emulator: EmulatorProcess, app: App, user: str, goto_url: str | None = None) -> str:
    """A session confirmed through the phone's query shortcut; its tmp_code."""
    session, scan = open_frame(emulator, goto_url or goto(emulator, app))
    phone = requests.get(emulator.base + scan, params={"login_as": user}, timeout=10)
    assert phone.status_code == 200, phone.text
    answer = poll(emulator, session)
    assert answer["status"] == "confirmed"
    return answer["tmp_code"]


def with_tmp_code(goto_url: str, tmp_code: str) -> requests.Response:
    """What the parent page does on the frame's message: `location.href = goto + "&tmp_code=" + tmp_code`."""
    return requests.get(f"{goto_url}&tmp_code={tmp_code}", allow_redirects=False, timeout=10)


def test_sdk_script_is_served(fixture_emulator: EmulatorProcess) -> None:
    for version in ("1.0.1", "1.0.2", "1.0.3"):
        script = requests.get(fixture_emulator.base + SCRIPT.format(version), timeout=10)
        assert script.status_code == 200
        assert script.headers["Content-Type"].startswith("application/javascript")
        assert "window.QRLogin" in script.text and "matchOrigin" in script.text and "matchData" in script.text
        assert "eval(" not in script.text
    assert requests.get(fixture_emulator.base + SCRIPT.format("9.9.9"), timeout=10).status_code == 404


def test_qr_walk_then_v2_exchange_and_user_info(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    goto_url = goto(fixture_emulator, app)
    session, scan = open_frame(fixture_emulator, goto_url)
    assert poll(fixture_emulator, session) == {"status": "waiting"}

    phone = requests.get(fixture_emulator.base + scan, params={"q": "张三"}, timeout=10)
    assert phone.status_code == 200
    assert poll(fixture_emulator, session) == {"status": "scanned"}
    open_ids = re.findall(r'class="confirm" data-open-id="([^"]+)"', phone.text)
    assert len(open_ids) == 1

    confirmed = confirm(fixture_emulator, session, open_ids[0])
    assert confirmed.status_code == 200 and "已在手机上确认登录" in confirmed.text
    answer = poll(fixture_emulator, session)
    assert answer["status"] == "confirmed"
    tmp_code = answer["tmp_code"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", tmp_code)

    redirect = with_tmp_code(goto_url, tmp_code)
    assert redirect.status_code == 302, redirect.text
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["qr-st"]

    tokens = exchange(fixture_emulator, app, query["code"][0])
    assert tokens.status_code == 200, tokens.text
    info = user_info(fixture_emulator, app, tokens.json()["access_token"])
    assert_ok(info)
    assert info.data.user_id == "u1" and info.data.name == "张三"
    assert info.data.open_id == open_ids[0]

    again = with_tmp_code(goto_url, tmp_code)
    assert again.status_code == 400 and "tmp_code is invalid or expired" in again.text


def test_qr_walk_then_oidc_access_token_through_the_sdk(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    goto_url = goto(fixture_emulator, app, path="/open-apis/authen/v1/authorize")
    redirect = with_tmp_code(goto_url, confirmed_tmp_code(fixture_emulator, app, "u2", goto_url))
    assert redirect.status_code == 302, redirect.text
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    body = CreateOidcAccessTokenRequestBody.builder().grant_type("authorization_code").code(code).build()
    resp = fixture_emulator.client(app).authen.v1.oidc_access_token.create(
        CreateOidcAccessTokenRequest.builder().request_body(body).build())
    assert_ok(resp)
    info = user_info(fixture_emulator, app, resp.data.access_token)
    assert_ok(info)
    assert info.data.user_id == "u2"


def test_qr_refusals(fixture_emulator: EmulatorProcess) -> None:
    app, other = fixture_emulator.apps[0], fixture_emulator.apps[1]
    tmp_code = confirmed_tmp_code(fixture_emulator, app, "u3")
    refused = with_tmp_code(goto(fixture_emulator, other), tmp_code)
    assert refused.status_code == 400 and "tmp_code is invalid or expired" in refused.text
    assert with_tmp_code(goto(fixture_emulator, app), tmp_code).status_code == 302  # not spent by the other app

    session, _ = open_frame(fixture_emulator, goto(fixture_emulator, app))
    frozen = confirm(fixture_emulator, session, "u6")
    assert frozen.status_code == 400 and "20066" in frozen.text

    elsewhere = requests.get(fixture_emulator.base + FRAME,
                             params={"goto": "https://passport.feishu.cn" + PASSPORT_AUTHORIZE + "?client_id=" + app.app_id},
                             timeout=10)
    assert elsewhere.status_code == 400
    unknown = requests.get(fixture_emulator.base + SCAN, params={"qr": "0" * 32}, timeout=10)
    assert unknown.status_code == 404


def test_qr_session_and_tmp_code_expire(faults: EmulatorProcess) -> None:
    app = faults.apps[0]
    tmp_code = confirmed_tmp_code(faults, app, active_user(faults, 0)["user_id"])
    session, scan = open_frame(faults, goto(faults, app))
    faults.admin_post("clock/advance", {"seconds": 301})
    assert poll(faults, session)["status"] == "expired"
    assert requests.get(faults.base + scan, timeout=10).status_code == 400
    refused = with_tmp_code(goto(faults, app), tmp_code)
    assert refused.status_code == 400 and "tmp_code is invalid or expired" in refused.text

