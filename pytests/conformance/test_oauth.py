"""User login (feishu-api.md §2.4–2.5): the authorize page, the v2 OAuth token endpoint, the legacy v1 exchanges and
`authen/v1/user_info`.

lark-oapi 1.7.5 has no API for `authen/v2/oauth/token` (§8.2), so codes come from the emulator's `login_as`
redirect and the v2 exchange is plain `requests`; `user_info`, `oidc_access_token`, `oidc_refresh_access_token`
and the older `access_token` go through the SDK's typed APIs.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import lark_oapi as lark
import requests
from lark_oapi.api.authen.v1 import (
    CreateAccessTokenRequest,
    CreateAccessTokenRequestBody,
    CreateOidcAccessTokenRequest,
    CreateOidcAccessTokenRequestBody,
    CreateOidcRefreshAccessTokenRequest,
    CreateOidcRefreshAccessTokenRequestBody,
    GetUserInfoRequest,
)
from lark_oapi.api.contact.v3 import GetUserRequest

from support import App, EmulatorProcess, assert_ok, raw_json

AUTHORIZE = "/open-apis/authen/v1/authorize"
TOKEN = "/open-apis/authen/v2/oauth/token"
USER_INFO = "/open-apis/authen/v1/user_info"
REDIRECT = "https://bridge.example.com/oauth/callback"


def authorize(emulator: EmulatorProcess, app: App, *, login_as: str | None = None, state: str | None = "st-1",
              scope: str | None = None, redirect_uri: str = REDIRECT, path: str = AUTHORIZE, **extra: str):
    params = {"client_id": app.app_id, "redirect_uri": redirect_uri, "response_type": "code", **extra}
    if state is not None:
        params["state"] = state
    if scope is not None:
        params["scope"] = scope
    if login_as is not None:
        params["login_as"] = login_as
    return requests.get(emulator.base + path, params=params, allow_redirects=False, timeout=10)


def login(emulator: EmulatorProcess, app: App, user: str, **kwargs) -> str:
    """The code from the `login_as` redirect."""
    response = authorize(emulator, app, login_as=user, **kwargs)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["code"][0]


def exchange(emulator: EmulatorProcess, app: App, code: str, **overrides: str) -> requests.Response:
    body = {"grant_type": "authorization_code", "client_id": app.app_id, "client_secret": app.app_secret,
            "code": code, "redirect_uri": REDIRECT, **overrides}
    return requests.post(emulator.base + TOKEN, json=body, timeout=10)


def user_token(emulator: EmulatorProcess, app: App, user: str, scope: str | None = None) -> dict:
    response = exchange(emulator, app, login(emulator, app, user, scope=scope))
    assert response.status_code == 200, response.text
    return response.json()


def user_info(emulator: EmulatorProcess, app: App, token: str):
    client = emulator.client(app, set_token=True)
    option = lark.RequestOption.builder().user_access_token(token).build()
    return client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), option)


def contact_user(emulator: EmulatorProcess, app: App, user_id: str):
    resp = emulator.client(app).contact.v3.user.get(GetUserRequest.builder().user_id(user_id).user_id_type("user_id").build())
    assert_ok(resp)
    return resp.data.user


def active_user(emulator: EmulatorProcess, index: int) -> dict:
    """The index-th user of the instance who may log in (not frozen, not resigned)."""
    users = [u for u in emulator.state()["org"]["users"] if not u["is_frozen"] and not u["is_resigned"]]
    return users[index]


def oauth_error(response: requests.Response) -> tuple[int, str]:
    """The RFC 6749-style refusal: HTTP 400, `{code, error, error_description}` at the top level (§1.2, §1.3)."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "error", "error_description"}
    assert body["error_description"]
    return body["code"], body["error"]


# -- the authorize page ---------------------------------------------------------------------------------------------


def test_page_lists_users_and_its_links_log_in(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    page = authorize(fixture_emulator, app, q="张三")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Log in as" in page.text
    assert "张三" in page.text and "San Zhang" in page.text and "+8613800001001" in page.text
    links = re.findall(r'class="login" href="([^"]+)"', page.text)
    assert len(links) == 1

    followed = requests.get(fixture_emulator.base + html.unescape(links[0]), allow_redirects=False, timeout=10)
    assert followed.status_code == 302
    location = urlsplit(followed.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", query["code"][0])


def test_unknown_app_and_missing_redirect_are_html_400(emulator: EmulatorProcess) -> None:
    unknown = authorize(emulator, App("cli_nobody", "x"), login_as="anyone")
    assert unknown.status_code == 400 and unknown.headers["Content-Type"].startswith("text/html")
    assert "Location" not in unknown.headers
    missing = requests.get(emulator.base + AUTHORIZE, params={"client_id": emulator.apps[0].app_id}, allow_redirects=False,
                           timeout=10)
    assert missing.status_code == 400 and missing.headers["Content-Type"].startswith("text/html")


def test_historic_index_page_takes_app_id(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    response = requests.get(fixture_emulator.base + "/open-apis/authen/v1/index",
                            params={"app_id": app.app_id, "redirect_uri": REDIRECT, "state": "s", "login_as": "u1"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["state"] == ["s"]


# -- v2 exchange + SDK user_info ------------------------------------------------------------------------------------


def test_v2_exchange_then_user_info_through_the_sdk(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    # `requests` encodes the space as `+`, as a browser would.
    tokens = user_token(fixture_emulator, app, "u1", scope="contact:user.base:readonly offline_access")
    assert tokens["code"] == 0
    assert "data" not in tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 7200
    assert tokens["refresh_token_expires_in"] == 604800
    assert tokens["scope"] == "contact:user.base:readonly offline_access"
    assert tokens["access_token"].startswith("eyJ") and tokens["refresh_token"].startswith("eyJ")

    resp = user_info(fixture_emulator, app, tokens["access_token"])
    assert_ok(resp)
    contact = contact_user(fixture_emulator, app, "u1")
    assert resp.data.name == "张三" and resp.data.en_name == "San Zhang"
    assert resp.data.user_id == "u1"
    assert resp.data.union_id == "on_00000000000000000000000000000001" == contact.union_id
    assert resp.data.open_id == contact.open_id
    assert resp.data.mobile == "+8613800001001" and resp.data.email == "zhangsan@conformance.example"
    assert resp.data.employee_no == "E1001"
    assert resp.data.tenant_key == "c0f0a1b2c3d4e5f6"
    assert resp.data.avatar_url.startswith("https://")


def test_open_id_is_per_app_and_field_scopes_apply(fixture_emulator: EmulatorProcess) -> None:
    full, scoped = fixture_emulator.apps[0], fixture_emulator.apps[1]
    assert scoped.app_id == "cli_fix_scoped"  # withholds mobile and email
    mine = user_info(fixture_emulator, full, user_token(fixture_emulator, full, "u2")["access_token"])
    theirs = user_info(fixture_emulator, scoped, user_token(fixture_emulator, scoped, "u2")["access_token"])
    assert_ok(mine)
    assert_ok(theirs)
    assert mine.data.open_id != theirs.data.open_id
    assert mine.data.union_id == theirs.data.union_id
    assert mine.data.mobile == "+8613800001002" and theirs.data.mobile is None
    assert theirs.data.email is None and "email" not in raw_json(theirs)["data"]
    assert theirs.data.user_id == "u2"


def test_codes_are_single_use_and_bound(emulator: EmulatorProcess) -> None:
    app, other = emulator.apps
    user_id = active_user(emulator, 0)["user_id"]
    code = login(emulator, app, user_id)
    assert oauth_error(exchange(emulator, app, code, redirect_uri="https://evil.example/cb")) == (20071, "invalid_grant")
    assert oauth_error(exchange(emulator, app, code, client_secret="wrong")) == (20002, "invalid_client")
    assert oauth_error(exchange(emulator, other, code)) == (20024, "invalid_grant")
    assert oauth_error(exchange(emulator, app, "0" * 32)) == (20003, "invalid_grant")
    assert oauth_error(exchange(emulator, app, code, grant_type="password")) == (20036, "unsupported_grant_type")
    assert exchange(emulator, app, code).status_code == 200
    assert oauth_error(exchange(emulator, app, code)) == (20065, "invalid_grant")


def test_refresh_rotates(emulator: EmulatorProcess) -> None:
    app = emulator.apps[0]
    user = active_user(emulator, 1)
    tokens = user_token(emulator, app, user["mobile"], scope="offline_access")

    def refresh(token: str) -> requests.Response:
        return requests.post(emulator.base + TOKEN, json={"grant_type": "refresh_token", "client_id": app.app_id,
                                                          "client_secret": app.app_secret, "refresh_token": token},
                             timeout=10)

    renewed = refresh(tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["access_token"] != tokens["access_token"] and body["refresh_token"] != tokens["refresh_token"]
    resp = user_info(emulator, app, body["access_token"])
    assert_ok(resp)
    assert resp.data.user_id == user["user_id"]
    assert oauth_error(refresh(tokens["refresh_token"]))[0] == 20064


def test_user_info_refuses_tenant_tokens(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET).uri(USER_INFO)
               .token_types({lark.AccessTokenType.TENANT}).build())
    resp = client.request(request)
    assert resp.code == 99991663
    assert resp.raw.status_code == 400
    unknown = user_info(emulator, emulator.apps[0], "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln")
    assert unknown.code == 99991668


# -- legacy v1 exchanges (app_access_token, SDK typed APIs) ------------------------------------------------------------


def test_oidc_access_token_and_refresh_through_the_sdk(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    client = fixture_emulator.client(app)
    code = login(fixture_emulator, app, "u3", scope="contact:user.base:readonly")
    body = CreateOidcAccessTokenRequestBody.builder().grant_type("authorization_code").code(code).build()
    resp = client.authen.v1.oidc_access_token.create(CreateOidcAccessTokenRequest.builder().request_body(body).build())
    assert_ok(resp)
    assert raw_json(resp)["message"] == "success"
    assert resp.data.access_token.startswith("u-") and resp.data.refresh_token.startswith("ur-")
    assert resp.data.token_type == "Bearer" and resp.data.expires_in == 7200
    assert resp.data.scope == "contact:user.base:readonly"
    info = user_info(fixture_emulator, app, resp.data.access_token)
    assert_ok(info)
    assert info.data.user_id == "u3"

    again = client.authen.v1.oidc_access_token.create(CreateOidcAccessTokenRequest.builder().request_body(body).build())
    assert again.code == 20003
    assert again.raw.status_code == 200

    refresh_body = (CreateOidcRefreshAccessTokenRequestBody.builder().grant_type("refresh_token")
                    .refresh_token(resp.data.refresh_token).build())
    refreshed = client.authen.v1.oidc_refresh_access_token.create(
        CreateOidcRefreshAccessTokenRequest.builder().request_body(refresh_body).build())
    assert_ok(refreshed)
    assert refreshed.data.access_token.startswith("u-")
    assert refreshed.data.access_token != resp.data.access_token


def test_older_access_token_returns_the_profile(fixture_emulator: EmulatorProcess) -> None:
    app = fixture_emulator.apps[0]
    code = login(fixture_emulator, app, "u1")
    body = CreateAccessTokenRequestBody.builder().grant_type("authorization_code").code(code).build()
    resp = fixture_emulator.client(app).authen.v1.access_token.create(
        CreateAccessTokenRequest.builder().request_body(body).build())
    assert_ok(resp)
    assert resp.data.name == "张三" and resp.data.user_id == "u1" and resp.data.open_id.startswith("ou_")
    assert resp.data.refresh_token.startswith("ur-") and resp.data.sid


# -- time: expiry with the clock side door ----------------------------------------------------------------------------


def test_expired_codes_and_user_tokens(faults: EmulatorProcess) -> None:
    app = faults.apps[0]
    user_id = active_user(faults, 0)["user_id"]
    stale = login(faults, app, user_id)
    token = user_token(faults, app, user_id)["access_token"]
    assert_ok(user_info(faults, app, token))

    faults.admin_post("clock/advance", {"seconds": 301})
    assert oauth_error(exchange(faults, app, stale)) == (20004, "invalid_grant")

    faults.admin_post("tokens/expire")
    expired = user_info(faults, app, token)
    assert expired.code == 99991677
    assert expired.raw.status_code == 400


def test_counters(emulator: EmulatorProcess) -> None:
    before = emulator.state(org=False)["counters"]
    user_id = active_user(emulator, 2)["user_id"]
    user_token(emulator, emulator.apps[0], user_id)
    after = emulator.state(org=False)["counters"]
    assert after["authorization_codes_issued"] == before["authorization_codes_issued"] + 1
    assert after["user_tokens_issued"] == before["user_tokens_issued"] + 1
