"""Message push in a real browser (seed 三, issue #7): an enterprise on the emulator with a bound OA user, an OA module
with its action webhook (the secret shown only masked), a push rule (消息推送规则 → 新建 → rule page) with a todo target
with quick approval for the emulator's app, a refused target (quick approval on text), a test send that the delivery
worker takes to the emulator, the message log and the message's page with its delivery, and the dead letters.

Runs on its own (its own enterprise and OA users) and signs out at the end, as the suite's other tests expect.
"""

from __future__ import annotations

from pathlib import Path

import requests
from selenium.webdriver.common.by import By

from browser_support import APP_ID, APP_SECRET, Console
from test_console import ensure_logged_in
from yunqiao_process import YunqiaoProcess

ENTERPRISE = "云桥推送测试企业"
APP_NAME = "推送应用"
MODULE_KEY, MODULE_NAME = "daily-report", "日报"
ACTION_SECRET = "push-action-secret-0042"
RULE = "日报推送"
#: 赵六 (fixture org u4, employee no. E1004) is bound to this OA user by auto-bind.
OA_ID, OA_LOGIN, OA_NAME = "9004", "push.zhaoliu", "赵六（推送）"
DEPARTMENTS_CSV = "oa_id,name,parent_oa_id\nPD1,推送测试部,\n"
USERS_CSV = f"oa_id,login_id,name,employee_no,department_oa_id\n{OA_ID},{OA_LOGIN},{OA_NAME},E1004,PD1\n"


def test_push_rules_test_send_and_the_message_log(console: Console, emulator: YunqiaoProcess, tmp_path: Path) -> None:
    ensure_logged_in(console)
    try:
        run(console, emulator, tmp_path)
    finally:
        console.open("/console")
        if not console.path.startswith("/login"):
            console.navigate("logout")


def top(console: Console) -> None:
    """Back to the top of the page: the sticky header covers links scrolled under it."""
    console.driver.execute_script("window.scrollTo(0, 0)")


def upload(console: Console, tmp_path: Path, sheet: str, text: str) -> None:
    path = tmp_path / f"push-{sheet}.csv"
    path.write_text(text, encoding="utf-8")
    console.select("import-sheet", sheet)
    console.click("import-mode-merge")
    console.element("import-file").send_keys(str(path))
    console.navigate("import-submit")


def run(console: Console, emulator: YunqiaoProcess, tmp_path: Path) -> None:
    # -- an enterprise on the emulator with its app, synced; an OA user bound to 赵六 by employee no. ----------------
    enterprise_id, app_id = console.add_enterprise_with_app(ENTERPRISE, emulator.base, APP_NAME, APP_ID, APP_SECRET)
    console.open(f"/console/enterprises/{enterprise_id}")
    console.navigate("sync-now")
    console.wait(lambda _: console.element("run-status").get_attribute("data-status") in ("succeeded", "failed"), timeout=30, message="the sync did not finish")
    assert console.element("run-status").get_attribute("data-status") == "succeeded", console.main_text()
    console.open("/console/oa")
    upload(console, tmp_path, "departments", DEPARTMENTS_CSV)
    upload(console, tmp_path, "users", USERS_CSV)
    console.open(f"/console/enterprises/{enterprise_id}/bindings")
    console.navigate("auto-bind-now")
    assert console.css(f'#binding-list tr[data-oa-id="{OA_ID}"]'), console.main_text()

    # -- 消息推送: the overview, then an OA module (its secret only masked) -------------------------------------------
    console.open("/console")
    console.navigate("nav-push")
    console.wait_path("/console/push")
    assert "current" in console.element("nav-push").get_attribute("class")
    console.navigate("tab-push-modules")
    console.navigate("new-push-module")
    console.fill("key", MODULE_KEY)
    console.fill("name", MODULE_NAME)
    console.fill("actionURL", "https://oa.example.com/yunqiao/actions")
    console.fill("actionSecret", ACTION_SECRET)
    console.navigate("save-push-module")
    console.wait_path("/console/push/modules")
    row = console.element("push-module-list").find_element(By.CSS_SELECTOR, f'tr[data-module="{MODULE_KEY}"]')
    assert "••••••••0042" in row.text and ACTION_SECRET not in console.driver.page_source, row.text
    console.shot("push-modules")

    # -- 消息推送规则 → 新建: name and source; then the rule's page with its targets --------------------------------------
    console.navigate("tab-push-rules")
    console.navigate("new-push-rule")
    console.fill("name", RULE)
    console.select("source", MODULE_KEY)
    console.shot("push-rule-new")
    console.navigate("save-push-rule")
    rule_id = console.wait_path(r"/console/push/rules/(\d+)")[1]
    assert console.text("rule-name") == RULE and MODULE_NAME in console.text("rule-source")
    target = f"{enterprise_id}:{app_id}"
    # Quick approval is only for todos: refused on the server, the entered choice kept.
    with console.expecting(rf"/console/push/rules/{rule_id}/targets - Failed to load resource: the server responded with a status of 400"):
        console.select("target", target)
        console.select("type", "text")
        console.click("quickApproval")
        console.navigate("save-target")
        error = console.element("push-target-form").find_element(By.CSS_SELECTOR, '.field-error[data-field="quickApproval"]')
        assert "快捷审批只用于待办消息" in error.text, error.text
        console.shot("push-target-refused", show="target-form")
    console.select("type", "todo")
    assert console.element("quickApproval").is_selected()
    console.navigate("save-target")
    assert "推送目标已保存" in console.text("notice")
    targets = console.css("#target-list tbody tr[data-target]")
    assert len(targets) == 1 and "待办" in targets[0].text and "快捷审批" in targets[0].text, targets[0].text
    console.shot("push-rule", show="targets")

    # -- test send to the bound OA user (by login): the worker takes it to the emulator -------------------------------
    test_form = targets[0].find_element(By.CSS_SELECTOR, "form.test-send")
    test_form.find_element(By.NAME, "oaUserID").send_keys(OA_LOGIN)
    console.navigate(element=test_form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    message_id = console.wait_path(r"/console/push/messages/(\d+)")[1]
    assert "测试消息已提交" in console.text("notice")
    assert console.text("message-title") == f"云桥测试消息 · {RULE}"

    def delivered(_) -> bool:
        rows = console.css("#delivery-list tbody tr[data-delivery]")
        if rows and rows[0].get_attribute("data-state") == "sent":
            return True
        console.driver.refresh()
        return False
    console.wait(delivered, timeout=20, message="the test message was not sent")
    row = console.css("#delivery-list tbody tr[data-delivery]")[0]
    feishu_id = row.find_element(By.CSS_SELECTOR, "code.feishu-message-id").text
    assert feishu_id.startswith("om_") and OA_ID in row.text and "已发送" in row.text, row.text
    held = requests.get(f"{emulator.base}/_emulator/messages/{feishu_id}", timeout=10)
    assert held.status_code == 200, held.text
    assert held.json().get("msg_type") == "interactive", held.json()
    listed = requests.get(f"{emulator.base}/_emulator/messages", params={"app_id": APP_ID}, timeout=10).json()
    assert feishu_id in str(listed), listed
    console.shot("push-message", show="deliveries")

    # -- the message log: search by recipient, open the message again ----------------------------------------------
    top(console)
    console.navigate("tab-push-messages")
    console.fill("message-recipient", OA_ID)
    console.select("message-state", "sent")
    console.navigate("message-search-submit")
    rows = console.css("#message-list tbody tr[data-message]")
    assert [row.get_attribute("data-message") for row in rows] == [message_id], console.text("message-list")
    console.shot("push-messages")
    console.navigate(element=rows[0].find_element(By.LINK_TEXT, f"云桥测试消息 · {RULE}"))
    console.wait_path(rf"/console/push/messages/{message_id}")

    # -- the overview counts it; no dead letters -----------------------------------------------------------------------
    top(console)
    console.navigate("tab-push-overview")
    assert int(console.text("today-sent")) >= 1
    console.shot("push-overview")
    console.navigate("tab-push-dead")
    assert "没有死信" in console.text("dead-letter-list")

    # -- 审批中心 (issue #18): the module's todo channel; the Approval Center needs an OA page ----------------------------
    top(console)
    console.navigate("tab-push-modules")
    row = console.element("push-module-list").find_element(By.CSS_SELECTOR, f'tr[data-module="{MODULE_KEY}"]')
    assert "仅消息卡片" in row.text, row.text
    console.navigate(element=row.find_element(By.CSS_SELECTOR, "a[id^=approval-center-]"))
    module_id = console.wait_path(r"/console/push/modules/(\d+)/approval-center")[1]
    assert console.element("channel-card").is_selected()
    assert "尚未对账" in console.text("approval-check-none")
    with console.expecting(rf"/console/push/modules/{module_id}/approval-center - Failed to load resource: the server responded with a status of 400"):
        console.click("channel-cardAndApprovalCenter")
        console.navigate("save-approval-center")
        error = console.element("approval-center-form").find_element(By.CSS_SELECTOR, '.field-error[data-field="pcURL"]')
        assert "开启审批中心需要填写该模块的 OA 电脑端或移动端页面" in error.text, error.text
    assert console.element("channel-cardAndApprovalCenter").is_selected(), "the entered choice is kept"
    console.fill("pcURL", "https://oa.example.com/daily-report/new")
    console.navigate("save-approval-center")
    assert "已保存" in console.text("notice") and console.element("channel-cardAndApprovalCenter").is_selected()

    # The rule's todo target to the app: the module's definition is pushed to the emulator and shows its code.
    def defined(_) -> bool:
        rows = console.css("#approval-definition-list tbody tr[data-state]")
        if rows and rows[0].get_attribute("data-state") == "synced":
            return True
        console.driver.refresh()
        return False
    console.wait(defined, timeout=20, message="the approval definition was not pushed")
    definition = console.css("#approval-definition-list tbody tr[data-state]")[0]
    assert APP_NAME in definition.text and "已同步" in definition.text, definition.text
    held = requests.get(f"{emulator.base}/_emulator/approval/definitions", params={"app_id": APP_ID}, timeout=10).json()
    assert len(held["items"]) == 1 and held["items"][0]["approval_code"] in definition.text, held
    console.navigate("run-approval-check")
    assert "对账完成" in console.text("notice") and console.text("approval-checked") == "0"
    console.shot("push-approval-center")
    console.navigate("tab-push-modules")
    row = console.element("push-module-list").find_element(By.CSS_SELECTOR, f'tr[data-module="{MODULE_KEY}"]')
    assert "卡片和审批中心" in row.text, row.text
