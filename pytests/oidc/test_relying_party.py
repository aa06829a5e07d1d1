"""The bridge as an OpenID Connect provider, driven by a real relying party (issue #16, "Checks"): Authlib (PyPI) does
discovery, the authorization code flow with PKCE (S256) and a nonce, the code exchange with client_secret_basic, and
checks the ID token's signature against the JWKS and its claims (iss, aud, exp, nonce), then reads userinfo.

Against a real `yunqiao serve` and `yunqiao emulator`, set up through the admin API as an admin would: an enterprise
with the emulator's app, a directory sync, an OA user with a password, an OIDC client. The browser is played with
`requests` without following redirects: the bridge's authorize → the emulator's authorize page (signed in as a Feishu
user with `login_as`) → the bridge's callback → the first-visit OA login form → back to the OA with a code.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from crash.test_push_crash import Admin, start_bridge, wait_for
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit, yunqiao_binary

APP = ("cli_oidc_rp", "oidc-rp-secret")
REDIRECT = "https://oa.example/oidc/callback"
OA_PASSWORD = "oa-password-123"


@pytest.fixture()
def emulator() -> Iterator[YunqiaoProcess]:
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--users", "5", "--departments", "1",
                                       "--app", f"{APP[0]}:{APP[1]}")) as process:
        yield process


@pytest.fixture()
def bridge(tmp_path: Path) -> Iterator[tuple[YunqiaoProcess, Admin]]:
    database = str(tmp_path / "yunqiao.sqlite")
    done = subprocess.run([yunqiao_binary(), "admin", "set-password", "--database", database, "--username", "admin", "--generate"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    password = re.search(r"^password of admin set: (\S+)$", done.stdout, re.MULTILINE)
    assert done.returncode == 0 and password, done.stdout + done.stderr
    with stopped_at_exit(start_bridge(tmp_path, database)) as process:
        yield process, Admin(process.base, "admin", password[1])


def set_up(admin: Admin, emulator: YunqiaoProcess) -> tuple[dict, str]:
    """The tenant as an admin sets it up; answers the OIDC client (with its secret) and the Feishu user to sign in as."""
    admin.call("PUT", "settings", json={"externalDomain": admin.base})
    enterprise = admin.call("POST", "enterprises", json={"name": "OIDC 测试企业", "baseURL": emulator.base})["id"]
    app = admin.call("POST", f"enterprises/{enterprise}/apps", json={"name": "门户", "appID": APP[0], "appSecret": APP[1]})["id"]
    run = admin.call("POST", f"enterprises/{enterprise}/sync")["run"]
    done = wait_for(lambda: (r := admin.call("GET", f"enterprises/{enterprise}/sync-runs/{run['id']}"))["status"] != "running" and r,
                    timeout=60, message="the directory sync did not finish")
    assert done["status"] == "succeeded", done
    for sheet, text in (("departments", "oa_id,name,parent_oa_id\nOD1,总部,\n"),
                        ("users", "oa_id,login_id,name,email,department_oa_id\n3001,wangfang,王芳,wangfang@oa.example,OD1\n")):
        admin.call("POST", "oa-directory/import", params={"sheet": sheet, "mode": "merge", "format": "csv"}, data=text.encode(),
                   headers={"Content-Type": "text/csv"})
    admin.call("PUT", "oa-users/3001/password", expect=(204,), json={"password": OA_PASSWORD})
    client = admin.call("POST", "oidc-clients", json={"name": "示例 OA", "redirectURIs": [REDIRECT], "appId": app})
    feishu_user = requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=10).json()["org"]["users"][0]["user_id"]
    return client, feishu_user


def sign_in(browser: requests.Session, authorize_url: str, feishu_user: str) -> str:
    """The browser's way from the OA's authorize link back to the OA: answers the final redirect (with the code)."""
    to_feishu = browser.get(authorize_url, allow_redirects=False, timeout=10)
    assert to_feishu.status_code == 302, to_feishu.text
    to_callback = browser.get(to_feishu.headers["Location"] + "&login_as=" + feishu_user, allow_redirects=False, timeout=10)
    assert to_callback.status_code == 302, to_callback.text
    form = browser.get(to_callback.headers["Location"], allow_redirects=False, timeout=10)
    if form.status_code == 302:  # bound already
        return form.headers["Location"]
    assert form.status_code == 200 and 'name="token"' in form.text, form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    action = re.search(r'<form[^>]+action="([^"]+)"', form.text)
    assert token and action
    bound = browser.post(urlsplit(to_callback.headers["Location"])._replace(path=action[1], query="").geturl(),
                         data={"token": token[1], "loginID": "wangfang", "password": OA_PASSWORD}, allow_redirects=False, timeout=30)
    assert bound.status_code == 303, bound.text
    return bound.headers["Location"]


def test_a_relying_party_signs_a_user_in_and_verifies_the_id_token(emulator: YunqiaoProcess, bridge: tuple[YunqiaoProcess, Admin]) -> None:
    process, admin = bridge
    client, feishu_user = set_up(admin, emulator)
    issuer = client["issuer"]
    assert issuer == f"{process.base}/oidc/1"

    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == issuer and "S256" in metadata["code_challenge_methods_supported"]
    rp = OAuth2Session(client["clientID"], client["secret"], scope="openid profile email", redirect_uri=REDIRECT,
                       code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = "v" * 64
    url, state = rp.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce="rp-nonce-1")

    back = sign_in(requests.Session(), url, feishu_user)
    assert back.startswith(REDIRECT + "?"), back
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=back, code_verifier=verifier)

    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": issuer}},
                        claims_params={"nonce": "rp-nonce-1", "client_id": client["clientID"]})
    claims.validate()
    assert claims["sub"] == "3001" and claims["name"] == "王芳" and claims["email"] == "wangfang@oa.example"

    info = rp.get(metadata["userinfo_endpoint"]).json()
    assert info["sub"] == "3001" and info["preferred_username"] == "wangfang"

    # The same code again is refused; so is a forged signature.
    replay = requests.post(metadata["token_endpoint"], data={"grant_type": "authorization_code", "code": parse_qs(urlsplit(back).query)["code"][0],
                                                             "redirect_uri": REDIRECT, "code_verifier": verifier},
                           auth=(client["clientID"], client["secret"]), timeout=10)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    header, payload, signature = token["id_token"].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(Exception):
        jwt.decode(forged, keys).validate()
