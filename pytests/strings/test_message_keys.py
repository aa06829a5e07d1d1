"""Each message the bridge writes for an admin has its Chinese (issue #12: errors carry a key).

A message is a string literal given as a `LocalizedText`: to a `YunqiaoError` or `APIError`, to a validation's
`fail(…)`, an import row's `error(…)`, a check step, a refusal, or returned where a `LocalizedText` is the type. Its
key is the literal with `{}` for each interpolation (what the compiler builds, see `Sources/YunqiaoCore/Text/
LocalizedText.swift`); `.notFound` and `.duplicate` add ` not found` / ` already exists`. Every key must be a `msg.`
entry of the Chinese strings files, with as many `{}` as the key.

This reads the sources, so it finds messages by where they are written; the console walk (pytests/browser/
test_languages.py) checks the pages themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for target in ("YunqiaoCore", "YunqiaoServices", "YunqiaoStore", "YunqiaoServer")
           for path in sorted((ROOT / "Sources" / target).rglob("*.swift"))]
#: Where a message is written.
CALLS = re.compile(r"\.notFound\(|\.duplicate\(|\.invalid\(|\.inUse\(|\.conflict\(|\.unavailable\(|\.forbidden\(|APIError\(|"
                   r"\bfail\(|\.error\(|\bdecide\(|\badd\(|\.skip\(|Error\(message:|RowError\(|StepFailure\(|\brefuse\(|"
                   r"\bskipRest|-> LocalizedText|: LocalizedText|LocalizedText\?? \{|\bcase \.[a-zA-Z]+(\(.*?\))?: \"|\breason: |"
                   r"reasons\.append\(")
#: Files whose English is not for the console: startup errors (printed by the command line), the strings loader.
NOT_CONSOLE = ("ServerConfiguration.swift", "SecretBox.swift", "ConsoleStrings.swift", "MessageRenderer.swift")
#: Parts of messages rather than messages: the words `describe(type)` gives `must be \(…)`, the suffixes.
PARTS = {"a string", "an integer", "a number", "true or false", "an object", "an array", "a value of another type",
         " not found", " already exists"}


def literals(text: str, start: int, end: int) -> list[str]:
    """The keys of the string literals in text[start:end] (interpolations as `{}`)."""
    keys, i = [], start
    while i < end:
        if text[i] != '"' or text.startswith('"""', i):
            i += 1
            continue
        j, key = i + 1, ""
        while j < len(text) and text[j] != '"':
            if text.startswith("\\(", j):
                depth, k = 1, j + 2
                while depth:
                    if text[k] == "(":
                        depth += 1
                    elif text[k] == ")":
                        depth -= 1
                    elif text[k] == '"':
                        k += 1
                        while text[k] != '"':
                            k += 2 if text[k] == "\\" else 1
                    k += 1
                key, j = key + "{}", k
            elif text[j] == "\\":
                key += {"n": "\n", "t": "\t"}.get(text[j + 1], text[j + 1])
                j += 2
            else:
                key += text[j]
                j += 1
        keys.append(key)
        i = j + 1
    return keys


def statement_end(text: str, start: int) -> int:
    """Where the call or statement starting at `start` ends: its closing parenthesis, or the end of the line."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text.startswith("\\(", i):
                    nested, i = 1, i + 2
                    while nested and i < len(text):
                        nested += {"(": 1, ")": -1}.get(text[i], 0)
                        i += 1
                    continue
                i += 2 if text[i] == "\\" else 1
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0 or (depth == 0 and char == ")"):
                return i
        elif char == "\n" and depth == 0:
            return i
        i += 1
    return i


def written_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SOURCES:
        if path.name in NOT_CONSOLE:
            continue
        text = path.read_text(encoding="utf-8")
        for call in CALLS.finditer(text):
            line_start = text.rfind("\n", 0, call.start()) + 1
            if "logger" in text[line_start:call.start()]:
                continue
            suffix = {".notFound(": " not found", ".duplicate(": " already exists"}.get(call.group(0), "")
            for key in literals(text, call.start(), statement_end(text, call.end())):
                if not re.search(r"[a-z]{2,} ", key + " ") or key.startswith("/") or re.fullmatch(r"[\w.\[\]{}-]+", key):
                    continue  # identifiers, field names, paths
                if key in PARTS:
                    continue
                where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, call.start()) + 1}"
                found.setdefault(key + suffix, where)
    return found


def chinese_messages() -> dict[str, str]:
    table: dict[str, str] = {}
    for file in sorted((ROOT / "Sources/YunqiaoServer/Resources/strings/zh-CN").glob("*.json")):
        table.update({key[4:]: words for key, words in json.loads(file.read_text(encoding="utf-8")).items() if key.startswith("msg.")})
    return table


def test_every_message_has_its_chinese() -> None:
    written, chinese = written_messages(), chinese_messages()
    assert len(written) > 150, len(written)
    missing = [f"{where}: {key!r}" for key, where in sorted(written.items(), key=lambda item: item[1]) if key not in chinese]
    assert not missing, "messages without a msg.<key> in Resources/strings/zh-CN:\n" + "\n".join(missing)


def test_a_translation_keeps_the_parts_that_vary() -> None:
    wrong = [f"{key!r} → {words!r}" for key, words in chinese_messages().items() if key.count("{}") != words.count("{}")]
    assert not wrong, "\n".join(wrong)
