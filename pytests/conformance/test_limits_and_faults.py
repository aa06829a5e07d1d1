"""Rate limiting (50/s per app per API), injected faults and token expiry, as the SDK sees them
(feishu-api.md §1.6, §2.3, §7, §8.4.5)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import lark_oapi as lark
import pytest
import requests
from lark_oapi.api.contact.v3 import ChildrenDepartmentRequest, FindByDepartmentUserRequest, GetUserRequest

from support import EmulatorProcess, assert_ok, error_dict

CHILDREN_API = "GET /open-apis/contact/v3/departments/:department_id/children"
USER_GET_API = "GET /open-apis/contact/v3/users/:user_id"
INTERNAL_CODES = {55001, 1500, 5000}


def children(client: lark.Client):
    return client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())


def members(client: lark.Client):
    return client.contact.v3.user.find_by_department(FindByDepartmentUserRequest.builder().department_id("0").build())


def assert_rate_limited(resp) -> None:
    assert not resp.success()
    assert resp.code == 99991400
    assert resp.raw.status_code == 429
    assert resp.msg == "request trigger frequency limit"
    # resp.raw.headers is a plain dict: the header names must be exactly these (§8.4.4).
    assert resp.raw.headers["x-ogw-ratelimit-limit"].isdigit()
    assert 1 <= int(resp.raw.headers["x-ogw-ratelimit-reset"]) <= 60
    assert resp.get_log_id()


def test_more_than_50_calls_per_second_are_limited(limited_emulator: EmulatorProcess) -> None:
    emulator = limited_emulator
    client = emulator.client(0)
    assert_ok(children(client))  # fetch and cache the token first
    before = emulator.state(org=False)["counters"]["rate_limited"].get(CHILDREN_API, 0)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: children(client), range(160)))
    limited = [r for r in responses if r.code == 99991400]
    succeeded = [r for r in responses if r.success()]
    assert len(limited) + len(succeeded) == len(responses), {r.code for r in responses}
    assert limited, "160 calls in a burst must exceed 50/s"
    assert len(succeeded) >= 49  # at least one full window went through
    for resp in limited:
        assert_rate_limited(resp)
        assert resp.raw.headers["x-ogw-ratelimit-limit"] == "50"
        assert error_dict(resp)["log_id"] == resp.get_log_id()

    # Limits are per API and per app: another API, and another app on the same API, still pass at once.
    assert_ok(members(client))
    assert_ok(children(emulator.client(1)))

    counters = emulator.state(org=False)["counters"]
    assert counters["rate_limited"][CHILDREN_API] - before == len(limited)
    assert counters["total_rate_limited"] >= len(limited)

    # After the advertised reset the API answers again.
    time.sleep(max(int(r.raw.headers["x-ogw-ratelimit-reset"]) for r in limited))
    assert_ok(children(client))


def test_rate_limit_burst_fault(faults: EmulatorProcess) -> None:
    client = faults.client(0)
    assert_ok(children(client))
    faults.put_faults({"rate_limit_burst": 3})
    limited = [children(client) for _ in range(3)]
    for resp in limited:
        assert_rate_limited(resp)
    assert_ok(children(client))
    state = faults.state(org=False)
    assert state["faults"]["rate_limit_burst"] == 0
    assert state["counters"]["rate_limited"][CHILDREN_API] >= 3


def test_internal_error_fault(faults: EmulatorProcess) -> None:
    faults.put_faults({"error_rate": 1, "error_kind": "internal_code"})
    assert requests.get(f"{faults.base}/_emulator/faults", timeout=10).json()["error_rate"] == 1
    client = faults.client(0)
    before = faults.state(org=False)["counters"]["faults"].get(CHILDREN_API, 0)
    codes = set()
    for _ in range(12):
        resp = children(client)  # the token call is not subject to faults, so the SDK still gets a token
        assert not resp.success()
        assert resp.raw.status_code == 500
        assert resp.code in INTERNAL_CODES
        assert error_dict(resp)["log_id"] == resp.get_log_id()
        codes.add(resp.code)
    assert len(codes) >= 2, "the internal codes vary"
    assert faults.state(org=False)["counters"]["faults"][CHILDREN_API] - before == 12
    faults.clear_faults()
    assert_ok(children(client))


def test_error_fault_limited_to_some_apis(faults: EmulatorProcess) -> None:
    faults.put_faults({"error_rate": 1.0, "error_kind": "internal_code", "error_apis": [USER_GET_API]})
    client = faults.client(0)
    assert_ok(children(client))
    failed = client.contact.v3.user.get(GetUserRequest.builder().user_id("whoever").build())
    assert failed.code in INTERNAL_CODES


def test_http_5xx_fault(faults: EmulatorProcess) -> None:
    faults.put_faults({"error_rate": 1, "error_kind": "http_5xx"})
    client = faults.client(0)
    # The raw API checks Content-Type: a text/plain 503 is a failed response without a code.
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET)
               .uri("/open-apis/contact/v3/departments/0/children").token_types({lark.AccessTokenType.TENANT}).build())
    resp = client.request(request)
    assert resp.code is None and not resp.success()
    assert resp.raw.status_code == 503
    assert resp.raw.headers["Content-Type"].startswith("text/plain")
    # Typed methods json-decode unconditionally (§8.4.1): lark-oapi 1.7.5 raises on the text body.
    with pytest.raises(json.JSONDecodeError):
        children(client)


def test_latency_fault(faults: EmulatorProcess) -> None:
    client = faults.client(0)
    assert_ok(children(client))
    faults.put_faults({"latency_ms": 150})
    started = time.monotonic()
    assert_ok(children(client))
    assert time.monotonic() - started >= 0.15


def test_fault_admin_rejects_bad_input(faults: EmulatorProcess) -> None:
    for body in ({"error_rate": 2}, {"error_kind": "teapot"}, {"error_apis": ["GET /nope"]}, {"rate_limit_burst": -1}):
        response = requests.put(f"{faults.base}/_emulator/faults", json=body, timeout=10)
        assert response.status_code == 400, body


def test_expired_tokens_are_not_refreshed_by_the_sdk(faults: EmulatorProcess) -> None:
    client = faults.client(0)
    assert_ok(children(client))
    cached = lark.core.token.TokenManager.cache.get(f"self_tenant_token:{faults.apps[0].app_id}")
    assert cached and cached.startswith("t-")

    assert faults.admin_post("tokens/expire")["expired"] >= 1
    resp = children(client)
    assert not resp.success()
    assert resp.code == 99991663
    assert resp.raw.status_code == 400
    assert error_dict(resp)["log_id"] == resp.get_log_id()
    # The SDK keeps its cached token and keeps failing (it does not react to 99991663).
    assert children(client).code == 99991663

    # A fresh process (empty cache) gets a new token, and it works.
    lark.core.token.TokenManager.cache = lark.core.cache.LocalCache()
    assert_ok(children(client))
    fresh = lark.core.token.TokenManager.cache.get(f"self_tenant_token:{faults.apps[0].app_id}")
    assert fresh and fresh != cached


def test_token_endpoint_is_not_rate_limited(limited_emulator: EmulatorProcess) -> None:
    app = limited_emulator.apps[1]
    url = limited_emulator.base + "/open-apis/auth/v3/tenant_access_token/internal"
    body = {"app_id": app.app_id, "app_secret": app.app_secret}
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: requests.post(url, json=body, timeout=10), range(80)))
    assert {(a.status_code, a.json()["code"]) for a in answers} == {(200, 0)}
    assert len({a.json()["tenant_access_token"] for a in answers}) == 1


def test_patches_that_move_or_freeze_a_user_go_one_per_second(limited_emulator: EmulatorProcess) -> None:
    """A PATCH user that changes `department_ids` or `is_frozen` has its own 1 QPS per app (feishu-api.md §3.3);
    other patches keep the 50/s of the API."""
    from lark_oapi.api.contact.v3 import PatchUserRequest, User

    emulator = limited_emulator
    client = emulator.client(0)
    user_id = next(u for u in emulator.state()["org"]["users"] if not u["is_resigned"])["user_id"]

    def patch(body: User):
        return client.contact.v3.user.patch(PatchUserRequest.builder().user_id(user_id).user_id_type("user_id").request_body(body).build())

    # Start at the beginning of a second, so that the three calls fall in one window.
    time.sleep(1 - time.time() % 1 + 0.02)
    assert_ok(patch(User.builder().is_frozen(True).build()))
    second = patch(User.builder().is_frozen(False).build())
    assert_rate_limited(second)
    assert second.raw.headers["x-ogw-ratelimit-limit"] == "1"
    assert_ok(patch(User.builder().job_title("conformance").build()))  # no move, no freeze: not held to 1 QPS
    time.sleep(int(second.raw.headers["x-ogw-ratelimit-reset"]))
    assert_ok(patch(User.builder().is_frozen(False).build()))
