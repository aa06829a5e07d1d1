"""通讯录管理 (OA → 飞书, issue #14) in a real browser, on `yunqiao demo`: the settings page (read-write, the root as top
department, one OA department in scope), a preview with its tree marked matched (orange) and deleted (red), then a run
— parked, since Feishu's other departments would be deleted — approved from its page, and applied in the background.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from browser_support import Console, chrome
from test_languages import banner_password
from yunqiao_process import YunqiaoProcess


@pytest.fixture(scope="module")
def admin(demo: YunqiaoProcess, console: Console) -> Iterator[Console]:
    """The demo's admin in a browser of their own, saving into the suite's series of screenshots."""
    driver = chrome()
    try:
        browser = Console(driver, demo, console.shots, taken=console.taken)  # type: ignore[arg-type]
        browser.open("/login")
        browser.fill("username", "admin")
        browser.fill("password", banner_password(demo))
        browser.navigate("login-submit")
        browser.wait_path("/console")
        yield browser
        browser.check_log()
    finally:
        driver.quit()


def test_settings_preview_and_an_approved_run(admin: Console) -> None:
    admin.open("/console/enterprises/1")
    admin.navigate("open-oa-to-feishu")
    assert admin.path == "/console/enterprises/1/oa-to-feishu"
    assert admin.element("o2f-read-only").is_selected()

    # Read-write, mounted under the root, only 研发中心 (OA department D002) in scope.
    admin.click("o2f-read-write")
    admin.select("topDepartmentID", "0")
    admin.fill("includeDepartments", "D002")
    admin.navigate("o2f-save")
    assert admin.path.endswith("?saved=1"), admin.path
    assert admin.element("o2f-read-write").is_selected()
    admin.shot("oa-to-feishu-settings")

    # 模拟同步: the plan's page, 研发中心 matched, the other departments to be deleted; nothing to approve.
    admin.navigate("o2f-preview")
    admin.wait_path(r"/console/enterprises/1/oa-to-feishu/runs/\d+")
    assert admin.element("o2f-status").get_attribute("data-status") == "preview"
    tree = admin.element("o2f-tree").text
    assert "匹配 研发中心" in tree and "删除 销售中心" in tree, tree
    assert not admin.css("#o2f-approve")
    admin.shot("oa-to-feishu-preview")

    # 立即同步: parked (it deletes), approved from its page, applied in the background.
    admin.open("/console/enterprises/1/oa-to-feishu")
    admin.navigate("o2f-run")
    assert admin.element("o2f-status").get_attribute("data-status") == "parked"
    assert "待审批" in admin.text("o2f-reasons")
    admin.shot("oa-to-feishu-parked")
    admin.navigate("o2f-approve")
    run = re.search(r"/runs/(\d+)", admin.path)
    assert run, admin.path
    admin.wait(lambda _: (admin.open(admin.path) or True) and admin.element("o2f-status").get_attribute("data-status") in ("applied", "partial"),
               timeout=60, message="the approved run did not finish")
    assert admin.element("o2f-report")
    admin.shot("oa-to-feishu-applied")


def test_schedules_are_saved_and_refused_by_field(admin: Console) -> None:
    """定时设置: a cron expression too often is refused next to its field, in Chinese; an hourly sync from Feishu and a
    nightly one to Feishu are saved and show when they run next."""
    admin.open("/console/enterprises/1/oa-to-feishu")
    admin.click("fromFeishu_enabled")
    admin.fill("fromFeishu_everyMinutes", "60")
    admin.click("toFeishu_enabled")
    admin.click("toFeishu_cronKind")
    admin.fill("toFeishu_cron", "* * * * *")
    with admin.expecting(r"/sync-schedules - Failed to load resource: the server responded with a status of 400"):
        admin.navigate("schedule-save")
        assert "最多每 5 分钟执行一次" in admin.text("schedules"), admin.text("schedules")
    admin.fill("toFeishu_cron", "0 2 * * *")
    admin.navigate("schedule-save")
    assert "scheduled=1" in admin.path, admin.path
    status = admin.text("schedules")
    assert status.count("下次执行") == 2, status
    assert admin.element("toFeishu_cron").get_attribute("value") == "0 2 * * *"
    admin.shot("oa-to-feishu-schedules")
