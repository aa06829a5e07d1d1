"""Crash test of mode 3, OA → Feishu (issue #14, "Checks"): `kill -9` the bridge while it applies a plan of 500 new
users and 100 moves to new departments, start it again on the same database, and the emulator holds each department
and each user exactly once, every move done, and the run's report complete.

Set up as an admin would, through the admin API: an enterprise with its app, a first directory sync, the OA directory
imported as CSV (10 new departments; the emulator's 100 users, bound by mobile, moved into them; 500 new users),
mode 3's settings (read-write, mounted under the root), a run — parked, since the emulator's own departments are not in
the OA and would be deleted — and its approval. The bridge applies in the background; the emulator's rate limits are on
(50/s per API, and moves 1 per second), so the apply takes about two minutes and the kill lands in the middle of it.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
import requests

from test_push_crash import Admin, set_password, start_bridge, wait_for
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit

APP = ("cli_o2f_crash", "o2f-crash-secret")
EXISTING = 100
NEW_USERS = 500
DEPARTMENTS = 10


@pytest.fixture()
def emulator() -> Iterator[YunqiaoProcess]:
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--rate-limit", "on", "--users", str(EXISTING), "--departments", "2",
                                       "--app", f"{APP[0]}:{APP[1]}")) as process:
        yield process


def org(emulator: YunqiaoProcess) -> dict:
    return requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=30).json()["org"]


def set_up(admin: Admin, emulator: YunqiaoProcess) -> int:
    """The enterprise, the OA directory and mode 3's settings; answers the parked run's id, approved."""
    enterprise = admin.call("POST", "enterprises", json={"name": "OA 写入崩溃测试", "baseURL": emulator.base})["id"]
    admin.call("POST", f"enterprises/{enterprise}/apps", json={"name": "通讯录", "appID": APP[0], "appSecret": APP[1]})
    run = admin.call("POST", f"enterprises/{enterprise}/sync")["run"]
    done = wait_for(lambda: (r := admin.call("GET", f"enterprises/{enterprise}/sync-runs/{run['id']}"))["status"] != "running" and r,
                    timeout=60, message="the directory sync did not finish")
    assert done["status"] == "succeeded", done

    existing = sorted(org(emulator)["users"], key=lambda user: user["mobile"])
    departments = ["oa_id,name,parent_oa_id"] + [f"N{index:02d},新部门{index:02d}," for index in range(DEPARTMENTS)]
    users = ["oa_id,login_id,name,mobile,department_oa_id"]
    users += [f"{5001 + index},moved.{index},{user['name']},{user['mobile']},N{index % DEPARTMENTS:02d}" for index, user in enumerate(existing)]
    users += [f"{9001 + index},crash.new{index},新员工{index},+86137{index:08d},N{index % DEPARTMENTS:02d}" for index in range(NEW_USERS)]
    for sheet, lines in (("departments", departments), ("users", users)):
        admin.call("POST", "oa-directory/import", params={"sheet": sheet, "mode": "merge", "format": "csv"},
                   data=("\n".join(lines) + "\n").encode(), headers={"Content-Type": "text/csv"})
    admin.call("PUT", f"enterprises/{enterprise}/binding-settings", json={"autoBindEnabled": True, "fields": ["mobile"]})
    admin.call("POST", f"enterprises/{enterprise}/auto-bind")
    assert len(admin.call("GET", f"enterprises/{enterprise}/bindings")["items"]) == EXISTING

    admin.call("PUT", f"enterprises/{enterprise}/oa-to-feishu/settings", json={
        "writable": True, "topDepartmentID": "0", "createUsers": True, "accountField": "loginID",
        "fieldMapping": [{"oa": "name", "feishu": "name", "synced": True}, {"oa": "mobile", "feishu": "mobile", "synced": True}],
        "includePartTimeDepartments": False, "leaverAction": "disable", "includeDepartments": [], "includeUsers": [], "excludeUsers": [],
        "threshold": {"maxPercent": 10, "maxCount": 500}})
    parked = admin.call("POST", f"enterprises/{enterprise}/oa-to-feishu/runs")
    assert parked["status"] == "parked", parked
    assert parked["counts"]["users.create"] == NEW_USERS and parked["counts"]["users.update"] == EXISTING, parked["counts"]
    approved = admin.call("POST", f"oa-to-feishu/runs/{parked['id']}/approve", expect=(202,))
    assert approved["status"] == "applying", approved
    return approved["id"]


def test_kill_9_during_the_apply_creates_nothing_twice(emulator: YunqiaoProcess, tmp_path: Path) -> None:
    database = str(tmp_path / "yunqiao.sqlite")
    password = set_password(tmp_path, database)

    bridge = start_bridge(tmp_path, database)
    try:
        run_id = set_up(Admin(bridge.base, "admin", password), emulator)
        # -- kill -9 in the middle of the creates --------------------------------------------------------------------------
        # (The moves go at 1 per second, so the creates come about 100 s in.)
        wait_for(lambda: len(org(emulator)["users"]) >= EXISTING + NEW_USERS // 3, timeout=240, interval=0.05,
                 message="the apply did not start")
        os.kill(bridge.process.pid, signal.SIGKILL)
        bridge.process.wait(timeout=10)
        time.sleep(0.5)
        at_kill = len(org(emulator)["users"])
        assert EXISTING < at_kill < EXISTING + NEW_USERS, f"killed with {at_kill} users in Feishu"
    except BaseException:
        if bridge.process.poll() is None:
            bridge.process.kill()
            bridge.process.wait()
        raise

    # -- restart: the run resumes from its journal ----------------------------------------------------------------------------
    with stopped_at_exit(start_bridge(tmp_path, database)) as bridge:
        admin = Admin(bridge.base, "admin", password)
        run = wait_for(lambda: (r := admin.call("GET", f"oa-to-feishu/runs/{run_id}"))["status"] not in ("applying",) and r,
                       timeout=300, interval=0.5, message="the resumed run did not finish")
        assert run["status"] in ("applied", "partial"), run
        report = run["report"]
        assert report["applied"].get("users.create") == NEW_USERS and report["applied"].get("users.update") == EXISTING, report
        assert report["applied"].get("departments.create") == DEPARTMENTS, report
        assert all(failure["action"] == "departments.delete" for failure in report["failures"]), report["failures"]

    state = org(emulator)
    accounts = Counter(user["user_id"] for user in state["users"])
    created = [account for account in accounts if account.startswith("crash.new")]
    assert len(created) == NEW_USERS and all(accounts[account] == 1 for account in created), "a user was created twice or not at all"
    assert len(state["users"]) == EXISTING + NEW_USERS
    names = Counter(department["name"] for department in state["departments"])
    assert all(names[f"新部门{index:02d}"] == 1 for index in range(DEPARTMENTS)), names
    new_departments = {department["open_department_id"] for department in state["departments"] if department["name"].startswith("新部门")}
    moved = [user for user in state["users"] if not user["user_id"].startswith("crash.new")]
    assert all(set(user["open_department_ids"]) <= new_departments for user in moved), "a move was lost"
