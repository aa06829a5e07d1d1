"""Helpers of the official-SDK conformance suite: the emulator process, SDK clients, response helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import lark_oapi as lark
import requests
from lark_oapi.api.contact.v3 import ChildrenDepartmentRequest, FindByDepartmentUserRequest
from lark_oapi.core.model.error import Error

from yunqiao_process import YunqiaoProcess, start_yunqiao

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class App:
    app_id: str
    app_secret: str


@dataclass
class EmulatorProcess(YunqiaoProcess):
    """A running `yunqiao emulator`: its base URL, its apps and helpers for the admin side door."""

    apps: list[App] = field(default_factory=list)

    # -- SDK clients --------------------------------------------------------------------------------------------

    def client(self, app: App | int = 0, *, set_token: bool = False) -> lark.Client:
        """An SDK client for one of the instance's apps (or any App, e.g. with a wrong secret)."""
        app = self.apps[app] if isinstance(app, int) else app
        builder = (lark.Client.builder().app_id(app.app_id).app_secret(app.app_secret).domain(self.base)
                   .log_level(lark.LogLevel.ERROR))
        if set_token:
            builder = builder.enable_set_token(True)
        return builder.build()

    # -- admin side door (plain HTTP, not the SDK) -----------------------------------------------------------------

    def state(self, org: bool = True) -> dict:
        response = requests.get(f"{self.base}/_emulator/state", params={"org": "true" if org else "false"}, timeout=10)
        response.raise_for_status()
        return response.json()

    def put_faults(self, faults: dict) -> dict:
        response = requests.put(f"{self.base}/_emulator/faults", json=faults, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def clear_faults(self) -> None:
        requests.delete(f"{self.base}/_emulator/faults", timeout=10).raise_for_status()

    def admin_post(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.base}/_emulator/{path}", json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def admin_get(self, path: str, **params: str) -> dict:
        response = requests.get(f"{self.base}/_emulator/{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def admin_put(self, path: str, body: dict) -> dict:
        response = requests.put(f"{self.base}/_emulator/{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def start_emulator(*args: str, apps: list[App]) -> EmulatorProcess:
    """Starts `yunqiao emulator --port 0 ARGS` and waits for `listening on http://HOST:PORT` on stdout."""
    return start_yunqiao("emulator", "--port", "0", *args, kind=EmulatorProcess, apps=apps)


def app_flags(apps: list[App]) -> list[str]:
    return [flag for app in apps for flag in ("--app", f"{app.app_id}:{app.app_secret}")]


# -- helpers shared by the test modules ---------------------------------------------------------------------------


#: Deliberate wire types that differ from lark-oapi's models: the platform documents department `order` as a
#: string (feishu-api.md §3.2), lark-oapi types it int (and, not coercing scalars, hands the string through).
WIRE_EXCEPTIONS: dict[str, type] = {
    "Department.order": str,
    # Message times are millisecond strings on the wire (feishu-api.md §1.9, §4.1); lark-oapi types them int.
    "Message.create_time": str, "Message.update_time": str,
    "CreateMessageResponseBody.create_time": str, "CreateMessageResponseBody.update_time": str,
}


def raw_json(resp) -> dict:
    """The response body as the server sent it (not as the SDK typed it)."""
    return json.loads(resp.raw.content)


def error_dict(resp) -> dict:
    """`resp.error` stays a plain dict in lark-oapi 1.7.5 (BaseResponse declares no type for it). Checks it
    against the SDK's `Error` model on the way."""
    assert isinstance(resp.error, dict), f"expected an error object, got {resp.error!r} ({resp.raw.content!r})"
    assert wire_type_problems(resp.error, Error, "error") == []
    assert isinstance(resp.code, int) and isinstance(resp.msg, str)
    return resp.error


def assert_ok(resp) -> None:
    """Success by `code` (never by HTTP status alone), and the raw `data` has exactly the SDK model's wire types."""
    assert resp.success(), f"code={resp.code} msg={resp.msg} body={resp.raw.content[:500]!r}"
    assert resp.raw.status_code == 200
    data = getattr(resp, "data", None)
    if data is not None:
        body = raw_json(resp)
        assert body["msg"] == "success" and isinstance(body["data"], dict)
        assert wire_type_problems(body["data"], type(data), "data", WIRE_EXCEPTIONS) == []


def page_all(fetch: Callable[[str | None], Any]) -> tuple[list, int]:
    """Follows page_token until has_more is false; returns (items, number of pages)."""
    items: list = []
    token: str | None = None
    pages = 0
    while True:
        resp = fetch(token)
        assert_ok(resp)
        pages += 1
        data = resp.data
        items.extend(data.items or [])
        if not data.has_more:
            assert not data.page_token, "page_token must be absent when has_more is false"
            return items, pages
        assert data.page_token, "has_more without page_token"
        token = data.page_token
        assert pages < 1000, "paging does not end"


def _with_paging(builder, token: str | None, department_id_type: str | None, user_id_type: str | None):
    """Adds the optional id types and page token to a paged request builder."""
    if department_id_type:
        builder = builder.department_id_type(department_id_type)
    if user_id_type:
        builder = builder.user_id_type(user_id_type)
    if token:
        builder = builder.page_token(token)
    return builder


def all_children(client: lark.Client, department_id: str, *, fetch_child: bool, page_size: int = 50,
                 department_id_type: str | None = None, user_id_type: str | None = None) -> tuple[list, int]:
    def fetch(token: str | None):
        builder = (ChildrenDepartmentRequest.builder().department_id(department_id).fetch_child(fetch_child)
                   .page_size(page_size))
        return client.contact.v3.department.children(
            _with_paging(builder, token, department_id_type, user_id_type).build())
    return page_all(fetch)


def all_members(client: lark.Client, department_id: str, *, page_size: int = 50, department_id_type: str | None = None,
                user_id_type: str | None = None) -> tuple[list, int]:
    def fetch(token: str | None):
        builder = FindByDepartmentUserRequest.builder().department_id(department_id).page_size(page_size)
        return client.contact.v3.user.find_by_department(
            _with_paging(builder, token, department_id_type, user_id_type).build())
    return page_all(fetch)


def wire_type_problems(value: Any, model: type, path: str = "$", allowed: dict[str, type] | None = None) -> list[str]:
    """Compares a raw JSON object with an SDK model's `_types` map, scalars included (the SDK itself checks only
    objects and lists, so a wrong scalar type would pass through it silently). Fields the model does not know are
    reported too. `allowed` maps "Model.field" to a deliberate wire type that differs from the SDK's (e.g. the
    documented string `order` of a department that the SDK types as int)."""
    allowed = allowed or {}
    problems: list[str] = []
    if not isinstance(value, dict):
        return [f"{path}: expected an object for {model.__name__}, got {type(value).__name__}"]
    types = getattr(model, "_types", {})
    for key, item in value.items():
        where = f"{path}.{key}"
        if key not in types:
            problems.append(f"{where}: not a field of {model.__name__}")
            continue
        expected = allowed.get(f"{model.__name__}.{key}", types[key])
        problems += _check(item, expected, where, allowed)
    return problems


def _check(item: Any, expected: Any, where: str, allowed: dict[str, type]) -> list[str]:
    if item is None:
        return [f"{where}: null"]
    origin = getattr(expected, "__origin__", None)
    if origin in (list, tuple):
        if not isinstance(item, list):
            return [f"{where}: expected a list, got {type(item).__name__}"]
        (sub,) = expected.__args__
        return [p for index, element in enumerate(item) for p in _check(element, sub, f"{where}[{index}]", allowed)]
    if origin is dict:
        return [] if isinstance(item, dict) else [f"{where}: expected an object, got {type(item).__name__}"]
    if expected is bool:
        return [] if isinstance(item, bool) else [f"{where}: expected bool, got {item!r}"]
    if expected is int:
        return [] if isinstance(item, int) and not isinstance(item, bool) else [f"{where}: expected int, got {item!r}"]
    if expected is float:
        number = isinstance(item, (int, float)) and not isinstance(item, bool)
        return [] if number else [f"{where}: expected number, got {item!r}"]
    if expected is str:
        return [] if isinstance(item, str) else [f"{where}: expected str, got {item!r}"]
    if isinstance(expected, type) and hasattr(expected, "_types"):
        return wire_type_problems(item, expected, where, allowed)
    return []
