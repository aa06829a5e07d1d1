"""Bindings in a real browser: the OA directory filled through the console upload, an OA user's password, a Feishu user's
first visit (the app's homepage URL → the emulator's authorize page → the bridge's OA login form → bound), the binding on
the user card (unbind, bind again from a search), the audit log, and the bindings page (settings, auto-bind now, a
conflict resolved).

Two browsers: the admin's (the suite's `console`, signed out again at the end) and the Feishu user's (its own Chromium,
no admin session). Both save their pages into the same numbered series in test-output/browser/, and neither may leave a
SEVERE browser-log entry that the step does not expect.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from selenium.webdriver.common.by import By

from browser_support import APP_ID, APP_SECRET, Console, chrome
from test_console import ensure_logged_in
from yunqiao_process import YunqiaoProcess

ENTERPRISE = "云桥绑定测试企业"
APP_NAME = "OA 门户"
#: The Feishu user (fixture org u2) who binds by OA login, and their OA account.
FEISHU_USER = "李四"
OA_LOGIN, OA_NAME, OA_PASSWORD = "lisi.oa", "李四（OA）", "Lisi-OA-password-2026"

DEPARTMENTS_CSV = """oa_id,name,parent_oa_id,subcompany,order
D1,云桥总部,,S1,1
D2,研发中心,D1,S1,2
D3,销售中心,D1,S1,3
"""
#: 钱七 matches Feishu's 钱七 by employee no. (E1005); 王五 (甲) and 王五 (乙) both have Feishu 王五's mobile (a conflict);
#: the OA 李四 matches no Feishu user by any field: he binds by logging in.
USERS_CSV = f"""oa_id,login_id,name,mobile,email,employee_no,title,department_oa_id,part_time_department_oa_ids,status
1001,{OA_LOGIN},{OA_NAME},13900009999,lisi@oa.example.com,OA-0002,工程师,D2,D3,
1002,qianqi,钱七（OA）,,,E1005,销售经理,D3,,
1003,wangwu.a,王五（甲）,13800001003,,,,D2,,
1004,wangwu.b,王五（乙）,+86 138 0000 1003,,,,D3,,
1005,gone,离职员工,,,,,D1,,离职
"""
BAD_USERS_CSV = """oa_id,login_id,name,email,department_oa_id
1001,lisi.oa,李四,lisi@,D2
1002,,钱七,,D9
"""


@pytest.fixture(scope="module")
def feishu_user(console: Console) -> Iterator[Console]:
    """The Feishu user's own browser (no admin session), saving into the admin's series of screenshots."""
    driver = chrome()
    try:
        browser = Console(driver, console.bridge, console.shots, taken=console.taken)
        yield browser
        browser.check_log()
    finally:
        driver.quit()


def upload(console: Console, tmp_path: Path, sheet: str, name: str, text: str, *, mode: str = "merge") -> None:
    """Chooses the sheet, the mode and a file on /console/oa and submits the import form."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    console.select("import-sheet", sheet)
    console.click(f"import-mode-{mode}")
    console.element("import-file").send_keys(str(path))
    console.navigate("import-submit")


def test_first_visit_binding_and_the_bindings_page(console: Console, feishu_user: Console, emulator: YunqiaoProcess,
                                                   tmp_path: Path) -> None:
    ensure_logged_in(console)
    try:
        run(console, feishu_user, emulator, tmp_path)
    finally:
        console.open("/console")
        if not console.path.startswith("/login"):
            console.navigate("logout")


def run(console: Console, feishu_user: Console, emulator: YunqiaoProcess, tmp_path: Path) -> None:
    bridge = console.bridge.base
    # -- the external domain points at the bridge: Feishu sends the user back to it -------------------------------------
    console.navigate("nav-settings")
    console.fill("externalDomain", bridge)
    console.navigate("save-settings")
    assert console.element("externalDomain").get_attribute("value") == bridge

    # -- an enterprise on the emulator, its app (no homepage: the user lands on the "bound" page), a first sync --------
    enterprise_id, app_id = console.add_enterprise_with_app(ENTERPRISE, emulator.base, APP_NAME, APP_ID, APP_SECRET)
    homepage_url = console.text("homepage-url")
    assert homepage_url == f"{bridge}/feishu/apps/{app_id}/home"
    console.open(f"/console/enterprises/{enterprise_id}")
    console.navigate("sync-now")
    console.wait(lambda _: console.element("run-status").get_attribute("data-status") in ("succeeded", "failed"), timeout=30, message="the sync did not finish")
    assert console.element("run-status").get_attribute("data-status") == "succeeded", console.main_text()

    # -- the OA directory: a bad users file first (every bad row shown, nothing applied), then departments and users --
    console.navigate("nav-oa")
    console.wait_path("/console/oa")
    assert console.text("count-departments") == "0"
    console.shot("oa-directory-empty")
    with console.expecting(r"/console/oa/import - Failed to load resource: the server responded with a status of 400"):
        upload(console, tmp_path, "departments", "departments.csv", DEPARTMENTS_CSV)
        upload(console, tmp_path, "users", "users-bad.csv", BAD_USERS_CSV)
        rows = console.css("#import-errors tbody tr")
        assert [row.get_attribute("data-line") for row in rows] == ["2", "3", "3"], console.text("import-errors")
        errors = console.text("import-errors")
        assert "lisi@" in errors and "D9" in errors and "login_id" in errors, errors
        assert "未导入任何数据" in console.text("form-error")
        console.shot("oa-import-errors", show="import-errors")
    assert console.text("count-active") == "0", "a file with errors must apply nothing"
    upload(console, tmp_path, "users", "users.csv", USERS_CSV)
    assert "人员表已导入" in console.text("notice") and "新增 5" in console.text("notice"), console.text("notice")
    assert (console.text("count-departments"), console.text("count-active"), console.text("count-left")) == ("3", "4", "1")
    assert all(name in console.text("oa-department-tree") for name in ("云桥总部", "研发中心", "销售中心"))
    console.shot("oa-directory")

    # -- the OA user's detail: departments, no binding yet, a password ---------------------------------------------------
    console.navigate(element=console.element("oa-user-list").find_element(By.LINK_TEXT, OA_NAME))
    console.wait_path("/console/oa/users/1001")
    departments = console.text("oa-user-departments")
    assert "研发中心" in departments and "主部门" in departments and "兼职" in departments, departments
    assert "未绑定" in console.text("oa-user-bindings")
    console.fill("oa-password", OA_PASSWORD)
    console.fill("oa-password-confirm", OA_PASSWORD)
    console.navigate("oa-password-save")
    assert console.text("notice") == "密码已设置"
    assert OA_PASSWORD not in console.driver.page_source
    console.shot("oa-user-password")

    # -- the Feishu user opens the app: Feishu's authorize page, "log in as", the bridge's OA login form ---------------
    feishu_user.open(f"/feishu/apps/{app_id}/home")
    feishu_user.wait(lambda driver: driver.current_url.startswith(emulator.base + "/open-apis/authen/v1/authorize"),
                     message="not sent to the emulator's authorize page")
    assert f"redirect_uri={bridge}" in feishu_user.driver.current_url.replace("%3A", ":").replace("%2F", "/")
    feishu_user.wait(lambda driver: driver.find_elements(By.PARTIAL_LINK_TEXT, f"Log in as {FEISHU_USER}"))
    feishu_user.shot("feishu-authorize")
    feishu_user.navigate(element=feishu_user.driver.find_element(By.PARTIAL_LINK_TEXT, f"Log in as {FEISHU_USER}"))
    feishu_user.wait_path(rf"/feishu/apps/{app_id}/oauth/callback")
    assert feishu_user.text("feishu-user").endswith(FEISHU_USER)
    assert feishu_user.text("app-name") == APP_NAME
    with feishu_user.expecting(rf"/feishu/apps/{app_id}/bind - Failed to load resource: the server responded with a status of 401"):
        feishu_user.fill("loginID", OA_LOGIN)
        feishu_user.fill("password", "not the password")
        feishu_user.navigate("bind-submit")
        assert feishu_user.text("bind-error") == "账号或密码错误"
        feishu_user.shot("feishu-oa-login-failed")
    feishu_user.fill("loginID", OA_LOGIN)
    feishu_user.fill("password", OA_PASSWORD)
    feishu_user.shot("feishu-oa-login")
    feishu_user.navigate("bind-submit")
    assert OA_NAME in feishu_user.text("bound-as") and OA_LOGIN in feishu_user.text("bound-as")
    feishu_user.shot("feishu-bound")
    # Opening the app again goes straight through: bound.
    feishu_user.open(f"/feishu/apps/{app_id}/home")
    feishu_user.navigate(element=feishu_user.wait(
        lambda driver: driver.find_elements(By.PARTIAL_LINK_TEXT, f"Log in as {FEISHU_USER}"))[0])
    assert OA_NAME in feishu_user.text("bound-as")

    # -- the admin sees the binding on the user card and unbinds it, then binds again from a search --------------------
    console.open(f"/console/enterprises/{enterprise_id}/directory")
    console.navigate(element=console.element("user-list").find_element(By.LINK_TEXT, FEISHU_USER))
    card_path = console.path.split("?")[0]
    assert console.text("bound-oa-user") == OA_NAME and console.text("bound-oa-login") == OA_LOGIN
    assert console.text("bound-method").startswith("手动绑定")
    assert console.text("bound-by") == f"oa:{OA_LOGIN}"
    console.shot("user-card-bound", show="user-binding")
    console.navigate("unbind-user")
    # Unbinding asks first, naming both people.
    console.wait_path(rf"/console/enterprises/{enterprise_id}/bindings/unbind")
    assert console.text("unbind-oa-user") == OA_NAME and console.text("unbind-feishu-user") == FEISHU_USER
    console.shot("unbind-confirm")
    console.navigate("confirm-unbind")
    assert console.path.split("?")[0] == card_path
    assert console.text("notice") == "已解绑"
    console.element("user-unbound")
    console.fill("oa-search", "lisi")
    console.navigate("oa-search-submit")
    assert OA_NAME in console.text("oa-search-results")
    console.shot("user-card-search", show="user-binding")
    console.navigate("bind-1001")
    assert console.path.split("?")[0] == card_path
    assert console.text("bound-method").startswith("用户卡片") and console.text("bound-by") == "admin"

    console.navigate("nav-audit")
    console.fill("audit-action", "binding")
    console.navigate("audit-search")
    audit = console.text("audit-log")
    source = console.driver.page_source
    assert source.count('data-action="binding.bind"') == 2 and source.count('data-action="binding.unbind"') == 1, audit
    assert audit.count("绑定用户") == 2 and audit.count("解除绑定") == 1, audit
    assert f"oa:{OA_LOGIN}" in audit and OA_PASSWORD not in console.driver.page_source
    console.shot("audit-bindings")

    # -- the bindings page: settings (mobile/email warning), auto-bind now, the conflict resolved ---------------------
    console.open(f"/console/enterprises/{enterprise_id}")
    console.navigate("open-bindings")
    console.wait_path(rf"/console/enterprises/{enterprise_id}/bindings")
    assert "未经用户本人验证" in console.text("binding-contact-warning")
    console.click("auto-bind-enabled")
    console.select("rank-employeeNo", "1")
    console.select("rank-mobile", "2")
    console.select("rank-email", "")
    console.select("rank-userID", "")
    console.navigate("save-binding-settings")
    assert console.text("notice") == "已保存"
    assert console.element("auto-bind-enabled").is_selected()
    assert console.text("binding-order") == "当前顺序：工号 > 手机号"
    console.navigate("auto-bind-now")
    notice = console.text("notice")
    assert "新绑定 1" in notice and "冲突 1" in notice, notice
    conflict = console.css("#conflict-list tr[data-kind='ambiguous']")
    assert len(conflict) == 1 and "王五" in conflict[0].text and "王五（甲）" in conflict[0].text and "王五（乙）" in conflict[0].text
    assert "钱七（OA）" in console.text("binding-list")
    console.shot("bindings-conflict", show="conflicts")
    candidate = conflict[0].find_element(By.CSS_SELECTOR, "li[data-oa-id='1003'] button.bind-candidate")
    console.navigate(element=candidate)
    assert console.text("notice") == "已绑定"
    assert console.text("conflict-count") == "0"
    bindings = console.text("binding-list")
    assert "王五（甲）" in bindings and "用户卡片" in bindings and "钱七（OA）" in bindings, bindings
    console.shot("bindings-resolved")

    # The same setting, seen from the enterprise page's sync section.
    console.open(f"/console/enterprises/{enterprise_id}")
    assert console.element("auto-bind-enabled").is_selected()
    assert console.text("binding-order") == "当前顺序：工号 > 手机号"
    console.shot("enterprise-binding-settings", show="binding-settings")

    # The OA user's page shows the binding of this enterprise.
    console.open("/console/oa/users/1001")
    assert FEISHU_USER in console.text("oa-user-bindings") and ENTERPRISE in console.text("oa-user-bindings")
    assert re.search(r"用户卡片", console.text("oa-user-bindings"))
