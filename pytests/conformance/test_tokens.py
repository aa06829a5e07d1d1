"""Tenant/app access tokens (feishu-api.md §2.1–2.3, §8.3, §8.6 item 1)."""

from __future__ import annotations

import json

import lark_oapi as lark
import pytest
import requests
from lark_oapi.api.auth.v3 import (
    InternalAppAccessTokenRequest,
    InternalAppAccessTokenRequestBody,
    InternalTenantAccessTokenRequest,
    InternalTenantAccessTokenRequestBody,
)
from lark_oapi.api.contact.v3 import ChildrenDepartmentRequest, GetUserRequest
from lark_oapi.core.exception import ObtainAccessTokenException

from support import App, EmulatorProcess, assert_ok, raw_json

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
APP_TOKEN_PATH = "/open-apis/auth/v3/app_access_token/internal"


def token_calls(emulator: EmulatorProcess) -> int:
    calls = emulator.state(org=False)["counters"]["calls"]
    return calls.get(f"POST {TOKEN_PATH}", 0)


def test_typed_call_fetches_a_token_and_succeeds(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    before = token_calls(emulator)
    resp = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())
    assert_ok(resp)
    assert resp.raw.status_code == 200
    assert resp.data.items, "root has first-level departments"
    # One token request, then the SDK reuses its cached token (expire 7200 > the SDK's 600 s margin).
    for _ in range(3):
        assert_ok(client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build()))
    assert token_calls(emulator) == before + 1


def test_token_endpoint_through_the_typed_auth_api(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    credentials = InternalTenantAccessTokenRequestBody.builder().app_id("cli_conf_a").app_secret("secret_a").build()
    request = InternalTenantAccessTokenRequest.builder().request_body(credentials).build()
    resp = client.auth.v3.tenant_access_token.internal(request)
    assert_ok(resp)
    body = raw_json(resp)
    # Token fields are at the top level, not under data (§1.2).
    assert "data" not in body
    assert body["tenant_access_token"].startswith("t-")
    # 7200 for a new token; the current token (≥ 30 min left) comes back with its remaining lifetime.
    assert 7200 - 30 * 60 <= body["expire"] <= 7200
    assert resp.get_log_id() and resp.get_log_id() == resp.raw.headers["X-Tt-Logid"]

    app_credentials = InternalAppAccessTokenRequestBody.builder().app_id("cli_conf_a").app_secret("secret_a").build()
    app_request = InternalAppAccessTokenRequest.builder().request_body(app_credentials).build()
    app_resp = client.auth.v3.app_access_token.internal(app_request)
    assert_ok(app_resp)
    app_body = raw_json(app_resp)
    assert app_body["app_access_token"]
    assert app_body["tenant_access_token"] == body["tenant_access_token"]
    assert app_body["expire"] > 0


def test_wrong_secret_raises_obtain_access_token_exception(emulator: EmulatorProcess) -> None:
    client = emulator.client(App("cli_conf_a", "not-the-secret"))
    with pytest.raises(ObtainAccessTokenException) as raised:
        client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())
    assert raised.value.code == 10003
    assert "10003" in str(raised.value)

    # Unknown app: the same answer.
    with pytest.raises(ObtainAccessTokenException) as unknown:
        emulator.client(App("cli_unknown_app", "x")).contact.v3.user.get(GetUserRequest.builder().user_id("x").build())
    assert unknown.value.code == 10003

    # The raw HTTP: status 200 (not 4xx), JSON, code 10003, data {} (§1.3).
    raw = requests.post(emulator.base + TOKEN_PATH, json={"app_id": "cli_conf_a", "app_secret": "wrong"}, timeout=10)
    assert raw.status_code == 200
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.json() == {"code": 10003, "data": {}, "msg": "invalid param"}
    assert raw.headers.get("X-Tt-Logid")


def test_wrong_secret_through_the_typed_auth_api(emulator: EmulatorProcess) -> None:
    credentials = InternalTenantAccessTokenRequestBody.builder().app_id("cli_conf_b").app_secret("nope").build()
    request = InternalTenantAccessTokenRequest.builder().request_body(credentials).build()
    resp = emulator.client(1).auth.v3.tenant_access_token.internal(request)
    assert not resp.success()
    assert resp.code == 10003
    assert resp.raw.status_code == 200


def test_same_token_within_the_refresh_window(emulator: EmulatorProcess) -> None:
    body = {"app_id": "cli_conf_b", "app_secret": "secret_b"}
    first = requests.post(emulator.base + TOKEN_PATH, json=body, timeout=10).json()
    second = requests.post(emulator.base + TOKEN_PATH, json=body, timeout=10).json()
    assert first["code"] == 0 and second["code"] == 0
    assert first["msg"] == "ok"
    assert first["tenant_access_token"] == second["tenant_access_token"]
    assert 0 < second["expire"] <= first["expire"] <= 7200
    # The SDK in another "process" (fresh cache) gets the same token too, and it works.
    client = emulator.client(1)
    resp = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())
    assert_ok(resp)


def test_token_body_without_content_type_and_trailing_slash(emulator: EmulatorProcess) -> None:
    # The SDK sends the token body without Content-Type (§8.3): the emulator must parse it anyway.
    data = json.dumps({"app_id": "cli_conf_a", "app_secret": "secret_a"}).encode()
    plain = requests.post(emulator.base + TOKEN_PATH, data=data, timeout=10)
    assert "Content-Type" not in plain.request.headers
    assert plain.json()["code"] == 0
    slash = requests.post(emulator.base + TOKEN_PATH + "/", data=data, timeout=10)
    assert slash.status_code == 200 and slash.json()["code"] == 0
    assert slash.json()["tenant_access_token"] == plain.json()["tenant_access_token"]


def test_token_endpoint_with_wrong_method_is_a_plain_404(emulator: EmulatorProcess) -> None:
    raw = requests.get(emulator.base + TOKEN_PATH, timeout=10)
    assert raw.status_code == 404
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert raw.text == "404 page not found"


def test_new_token_when_less_than_30_minutes_left(fault_emulator: EmulatorProcess) -> None:
    """§2.1: with < 30 min left a new token is issued; the old one stays valid until its own expiry."""
    emulator = fault_emulator
    app = emulator.apps[0]
    body = {"app_id": app.app_id, "app_secret": app.app_secret}
    emulator.admin_post("tokens/expire")  # start from a clean slate: no current token
    first = requests.post(emulator.base + TOKEN_PATH, json=body, timeout=10).json()
    assert first["expire"] == 7200
    emulator.admin_post("clock/advance", {"seconds": 7200 - 25 * 60})
    second = requests.post(emulator.base + TOKEN_PATH, json=body, timeout=10).json()
    assert second["tenant_access_token"] != first["tenant_access_token"]
    assert second["expire"] == 7200
    for token in (first["tenant_access_token"], second["tenant_access_token"]):
        option = lark.RequestOption.builder().tenant_access_token(token).build()
        resp = emulator.client(0, set_token=True).contact.v3.department.children(
            ChildrenDepartmentRequest.builder().department_id("0").build(), option)
        assert_ok(resp)
    third = requests.post(emulator.base + TOKEN_PATH, json=body, timeout=10).json()
    assert third["tenant_access_token"] == second["tenant_access_token"]
