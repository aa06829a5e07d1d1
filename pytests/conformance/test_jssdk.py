"""The H5 JS SDK's ticket (feishu-api.md §2.6): `POST /open-apis/jssdk/ticket/get`.

lark-oapi has no typed call for it: these tests use the SDK's raw request API (`lark.BaseRequest` with
`AccessTokenType.TENANT` / `APP`), as an app would. The ticket's signature is computed here with `hashlib` and checked
by the emulator's side door (`/_emulator/jssdk/config`, what a Feishu client decides on `h5sdk.config`).
"""

from __future__ import annotations

import hashlib

import lark_oapi as lark
import requests
from lark_oapi.core.cache import LocalCache
from lark_oapi.core.token import TokenManager

from support import EmulatorProcess, error_dict, raw_json

TICKET_PATH = "/open-apis/jssdk/ticket/get"
TICKET_API = f"POST {TICKET_PATH}"


def ticket_request(token_type: lark.AccessTokenType | None = lark.AccessTokenType.TENANT) -> lark.BaseRequest:
    return (lark.BaseRequest.builder().http_method(lark.HttpMethod.POST).uri(TICKET_PATH)
            .token_types(set() if token_type is None else {token_type}).body({}).build())


def get_ticket(client: lark.Client, token_type: lark.AccessTokenType = lark.AccessTokenType.TENANT) -> dict:
    resp = client.request(ticket_request(token_type))
    assert resp.success(), f"code={resp.code} msg={resp.msg} body={resp.raw.content[:300]!r}"
    assert resp.raw.status_code == 200
    body = raw_json(resp)
    assert body["msg"] == "ok"
    assert set(body["data"]) == {"ticket", "expire_in"}
    assert isinstance(body["data"]["ticket"], str) and isinstance(body["data"]["expire_in"], int)
    return body["data"]


def signature(ticket: str, nonce: str, timestamp: str, url: str) -> str:
    return hashlib.sha1(f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}".encode()).hexdigest()


def ticket_calls(emulator: EmulatorProcess) -> int:
    return emulator.state(org=False)["counters"]["calls"].get(TICKET_API, 0)


def test_a_ticket_through_the_raw_api_is_stable_per_app(emulator: EmulatorProcess) -> None:
    before = ticket_calls(emulator)
    client = emulator.client(0)
    first = get_ticket(client)
    assert first["ticket"] and 7200 - 60 <= first["expire_in"] <= 7200
    # Asked again, with the tenant token or the app token: the same ticket while it has time left.
    assert get_ticket(client)["ticket"] == first["ticket"]
    assert get_ticket(client, lark.AccessTokenType.APP)["ticket"] == first["ticket"]
    # Another app has its own.
    assert get_ticket(emulator.client(1))["ticket"] != first["ticket"]
    assert ticket_calls(emulator) - before == 4


def test_the_ticket_is_refused_without_a_valid_token(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    before = emulator.state(org=False)["counters"]["errors"].get(TICKET_API, 0)
    missing = client.request(ticket_request(None))
    assert missing.code == 99991661
    assert missing.raw.status_code == 400
    assert error_dict(missing)["log_id"] == missing.get_log_id()
    assert "data" not in raw_json(missing)

    bogus = emulator.client(0, set_token=True).request(
        ticket_request(), lark.RequestOption.builder().tenant_access_token("t-bogus").build())
    assert bogus.code == 99991663
    assert bogus.raw.status_code == 400
    # A user token is not an app's.
    raw = requests.post(emulator.base + TICKET_PATH, headers={"Authorization": "Bearer u-bogus"}, json={}, timeout=10)
    assert raw.json()["code"] == 99991668
    assert emulator.state(org=False)["counters"]["errors"].get(TICKET_API, 0) - before == 3


def test_a_new_ticket_when_its_time_runs_short_and_both_sign(faults: EmulatorProcess) -> None:
    app = faults.apps[0]
    first = get_ticket(faults.client(0))
    url = "https://oa.example.com/m/approval?id=42"

    def feishu_accepts(ticket: str, page: str) -> bool:
        check = faults.admin_post("jssdk/config", {
            "app_id": app.app_id, "url": page, "timestamp": 1764146400000, "nonce_str": "Y7a8KkqX041bsSwT",
            "signature": signature(ticket, "Y7a8KkqX041bsSwT", "1764146400000", url)})
        return check["ok"]

    assert feishu_accepts(first["ticket"], url + "#/detail")  # the fragment is not signed
    assert not feishu_accepts(first["ticket"], url + "&x=1")

    # Aged past three quarters of its lifetime (on the emulator's clock): the next call gets a new ticket.
    faults.admin_post("clock/advance", {"seconds": first["expire_in"] - 1799})
    TokenManager.cache = LocalCache()
    second = get_ticket(faults.client(0))
    assert second["ticket"] != first["ticket"] and second["expire_in"] == 7200
    assert get_ticket(faults.client(0))["ticket"] == second["ticket"]
    # The first one still signs until its own expiry, then only the new one does.
    assert feishu_accepts(first["ticket"], url) and feishu_accepts(second["ticket"], url)
    faults.admin_post("clock/advance", {"seconds": 1800})
    assert not feishu_accepts(first["ticket"], url) and feishu_accepts(second["ticket"], url)
    TokenManager.cache = LocalCache()
