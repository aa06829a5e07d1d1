"""The admin console in a real browser: an admin connects an enterprise to the emulator, end to end.

One flow (it builds on its own earlier steps) and one negative case. Every page visited is saved as
test-output/browser/NN-name.png; the app page with its generated URLs is also the README's picture, docs/console.png
(refreshed with YUNQIAO_UPDATE_DOCS=1). Any SEVERE browser-log entry (a script error, a failed load, a CSP
violation) fails the test, except those a step declares it expects (the 4xx of a rejected login or form).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import APP_ID, APP_SECRET, Console
from yunqiao_process import ROOT, YunqiaoProcess

EXTERNAL_DOMAIN = "https://yunqiao.example.com"
ENTERPRISE = "云桥演示企业"
APP_NAME = "OA 工作台"
HOMEPAGE = "https://oa.example.com/spa/portal"
#: The fixture org (pytests/conformance/fixtures/org.json): the user we look for, one we do not, the departments.
USER, OTHER_USER = "张三", "李四"
DEPARTMENTS = ["研发中心", "后端组", "销售中心"]


def log_in(console: Console, password: str | None = None) -> None:
    """Signs in from /login; stays on the login page (with its error) when the password is wrong."""
    console.fill("username", console.bridge.username)
    console.fill("password", password or console.bridge.password)
    console.navigate("login-submit")


def ensure_logged_in(console: Console) -> None:
    console.open("/console")
    if console.path.startswith("/login"):
        log_in(console)
    console.wait_path("/console")


def step_results(console: Console) -> dict[str, int]:
    """Waits for the rows of #check-result; counts them by outcome (step-ok, step-failed, step-skipped)."""
    rows = console.wait(lambda _: console.css("#check-result .step-ok, #check-result .step-failed, #check-result .step-skipped"),
                        message=f"no step rows in #check-result on {console.path}")
    return {kind: len(console.css(f"#check-result .step-{kind}")) for kind in ("ok", "failed", "skipped")} | {"rows": len(rows)}


def test_connect_an_enterprise(console: Console, emulator: YunqiaoProcess, emulator_state: dict) -> None:
    # -- sign in (a wrong password first) -----------------------------------------------------------------------
    console.open("/console")
    console.wait_path("/login")
    console.element("username")
    console.shot("login")
    with console.expecting(r"/login - Failed to load resource: the server responded with a status of 401"):
        log_in(console, password="not-the-password")
        assert console.text("login-error")
        console.shot("login-failed")
    log_in(console)
    console.wait_path("/console")
    console.element("nav-home")
    console.shot("home")

    # -- the external domain --------------------------------------------------------------------------------------
    console.navigate("nav-settings")
    console.wait_path("/console/settings")
    console.fill("externalDomain", EXTERNAL_DOMAIN)
    console.navigate("save-settings")
    assert console.element("externalDomain").get_attribute("value") == EXTERNAL_DOMAIN
    console.shot("settings")

    # -- an enterprise against the emulator -----------------------------------------------------------------------
    console.navigate("nav-enterprises")
    console.wait_path("/console/enterprises")
    console.element("enterprise-list")
    console.shot("enterprises-empty")
    console.navigate("new-enterprise")
    console.fill("name", ENTERPRISE)
    console.select("brand", "feishu")
    console.fill("baseURL", emulator.base)
    console.shot("enterprise-form")
    console.navigate("save-enterprise")
    enterprise_id = console.wait_path(r"/console/enterprises/(\d+)")[1]
    assert ENTERPRISE in console.main_text()
    console.element("app-list")
    console.shot("enterprise")

    # -- an app of it -----------------------------------------------------------------------------------------------
    console.navigate("add-app")
    console.fill("appName", APP_NAME)
    console.fill("appID", APP_ID)
    console.fill("appSecret", APP_SECRET)
    console.select("homepageKind", "custom")
    console.fill("homepageURL", HOMEPAGE)
    console.shot("app-form")
    console.navigate("save-app")
    app_id = console.wait_path(r"/console/apps/(\d+)")[1]
    homepage_url = f"{EXTERNAL_DOMAIN}/feishu/apps/{app_id}/home"
    redirect_url = f"{EXTERNAL_DOMAIN}/feishu/apps/{app_id}/oauth/callback"
    assert console.text("homepage-url") == homepage_url
    assert console.text("oauth-redirect-url") == redirect_url
    assert console.text("trusted-domain") == "yunqiao.example.com"
    assert APP_SECRET not in console.driver.page_source, "the app secret must never be shown again"
    update_readme_picture(console.shot("app"))

    # The copy buttons: each shows that it copied, and the clipboard holds the URL (the `console` fixture grants
    # the clipboard permissions, so the headless browser can read it back).
    for button, expected in (("copy-homepage-url", homepage_url), ("copy-redirect-url", redirect_url)):
        before = console.element(button).text
        console.click(button)
        console.wait(lambda _: is_copied(console, button, before), message=f"#{button} shows no copied state")
        copied = console.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.clipboard.readText().then(done, error => done('clipboard not readable: ' + error));")
        assert copied == expected, f"#{button} copied {copied!r}"

    # Test the credentials against the emulator: every step ok.
    console.navigate("test-credentials")
    results = step_results(console)
    assert results["failed"] == 0 and results["ok"] == results["rows"] >= 2, results
    console.shot("app-credentials", show="check-result")

    # -- the network check of the settings page ---------------------------------------------------------------------
    console.navigate("nav-settings")
    console.select("check-enterprise", enterprise_id)
    console.navigate("check-network")
    results = step_results(console)
    assert results["failed"] == 0 and results["ok"] >= 3, results  # dns, tcp, token (tls is skipped: plain http)
    console.shot("settings-network-check", show="check-result")

    # -- sync now ---------------------------------------------------------------------------------------------------
    console.open(f"/console/enterprises/{enterprise_id}")
    assert APP_ID in console.text("app-list")
    console.navigate("sync-now")
    console.element("run-status")
    console.wait(lambda _: console.element("run-status").get_attribute("data-status") in ("succeeded", "failed"), timeout=30,
                 message="the sync run did not finish within 30 s")
    assert console.element("run-status").get_attribute("data-status") == "succeeded", console.main_text()
    console.shot("sync-run")

    # -- the directory mirror ---------------------------------------------------------------------------------------
    console.open(f"/console/enterprises/{enterprise_id}")
    console.navigate("open-directory")
    console.wait_path(rf"/console/enterprises/{enterprise_id}/directory")
    tree = console.text("department-tree")
    assert all(name in tree for name in DEPARTMENTS), tree
    users = console.text("user-list")
    assert USER in users and OTHER_USER in users, users
    console.shot("directory")

    console.fill("user-search", USER)
    with console.loading():
        console.element("user-search").send_keys(Keys.ENTER)
    users = console.text("user-list")
    assert USER in users and OTHER_USER not in users, f"the search for {USER} found {users}"
    console.shot("directory-search")

    expected = next(user for user in emulator_state["org"]["users"] if user["name"] == USER)
    console.navigate(element=console.element("user-list").find_element(By.PARTIAL_LINK_TEXT, USER))
    card = console.text("user-card")
    for value in (expected["user_id"], expected["union_id"], expected["open_ids"][APP_ID], expected["email"]):
        assert value in card, f"{value} is not on the user card: {card}"
    console.shot("user-card")

    # -- an API token -----------------------------------------------------------------------------------------------
    console.navigate("nav-tokens")
    console.fill("token-name", "ci")
    console.navigate("create-token")
    assert console.text("new-token").startswith("yq_")
    console.shot("tokens")

    # -- the audit log lists every change ---------------------------------------------------------------------------
    console.navigate("nav-audit")
    audit = console.text("audit-log")
    for action in ("admin.login", "settings.update", "enterprise.create", "app.create", "sync.start", "token.create"):
        assert f'data-action="{action}"' in console.driver.page_source, f"{action} is not in the audit log: {audit}"
        assert action not in audit, f"the internal key {action} is shown: {audit}"
    console.shot("audit")

    # -- English once, then back ------------------------------------------------------------------------------------
    console.navigate("lang-switch")
    assert console.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    console.element("audit-log")
    console.shot("audit-en")
    console.navigate("lang-switch")
    assert console.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"

    # -- sign out ---------------------------------------------------------------------------------------------------
    console.navigate("logout")
    console.wait_path("/login")
    console.open("/console")
    console.wait_path("/login")


def test_enterprise_without_a_name_is_not_saved(console: Console) -> None:
    ensure_logged_in(console)
    console.open("/console/enterprises")
    before = console.text("enterprise-list")
    console.navigate("new-enterprise")
    console.fill("name", "")
    console.select("brand", "lark")
    console.fill("baseURL", "https://unsaved.example.com")
    # The browser's own check of `required` would stop the form here: submit it anyway to see the server's answer.
    console.driver.execute_script("document.getElementById('name').form.noValidate = true")
    with console.expecting(r"/console/enterprises\S* - Failed to load resource: the server responded with a status of 4\d\d"):
        console.navigate("save-enterprise")
        assert not re.fullmatch(r"/console/enterprises/\d+", console.path), "the invalid enterprise was saved"
        name = console.element("name")
        summary = [error for error in console.css(".error") if error.is_displayed()]
        assert summary and summary[0].rect["y"] < name.rect["y"], "no error summary at the top of the form"
        field_error = console.wait(lambda _: [e for e in console.css('.field-error[data-field="name"]') if e.is_displayed()],
                                   message="no visible .field-error[data-field=name]")[0]
        assert field_error.text.strip()
        assert is_next_to(field_error, name), (field_error.rect, name.rect)
        console.shot("enterprise-form-invalid")

    console.open("/console/enterprises")
    assert console.text("enterprise-list") == before, "the invalid enterprise was saved"
    assert "unsaved.example.com" not in console.driver.page_source
    console.shot("enterprises-unchanged")


# -- helpers ------------------------------------------------------------------------------------------------------------


def update_readme_picture(shot: Path) -> None:
    """docs/console.png (the README's picture) is this screenshot: written when missing, or on request with
    YUNQIAO_UPDATE_DOCS=1 (not at every run: the page shows times, so the file would change each time)."""
    picture = ROOT / "docs" / "console.png"
    if not picture.exists() or os.environ.get("YUNQIAO_UPDATE_DOCS") == "1":
        picture.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, picture)


def is_copied(console: Console, button_id: str, text_before: str) -> bool:
    """A copy button's "copied" state: the class `copied` and a changed label (已复制 / Copied)."""
    button = console.driver.find_element(By.ID, button_id)
    return "copied" in (button.get_attribute("class") or "").split() and button.text != text_before


def is_next_to(message, field) -> bool:
    """The message sits beside the field or right below/above it (within 48 px)."""
    m, f = message.rect, field.rect
    beside = abs((m["y"] + m["height"] / 2) - (f["y"] + f["height"] / 2)) < max(f["height"], 24)
    below = 0 <= m["y"] - (f["y"] + f["height"]) < 48
    above = 0 <= f["y"] - (m["y"] + m["height"]) < 48
    return beside or below or above
