"""Crash test of the Approval Center (issue #18): `kill -9` the bridge while it pushes 500 todos to Feishu's Approval
Center — a fifth of them approved in the OA while the pushes are under way — start it again on the same database,
and the emulator holds each instance exactly once, in its newest state, and no instance was applied more often than
it had states (a push after the restart is the same state with the same `update_time`, which Feishu ignores).

Set up as an admin would, through the admin API: external domain, an enterprise with its app, a first directory sync,
the OA directory as CSV with auto-bind, a module whose todos go to the Approval Center only, a rule with a todo target,
an OA key; the todos through `POST /api/v1/messages` and the approvals through `PATCH /api/v1/todos/{id}`. The
emulator's rate limits are on (50/s per app per API), so the pushes take about ten seconds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests

from test_push_crash import Admin, set_password, start_bridge, wait_for
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit

APP = ("cli_approval_crash", "approval-crash-secret")
USERS = 50
TODOS = 500
APPROVED = range(0, TODOS, 5)  # every fifth todo is approved in the OA while the pushes run
MODULE = "approval"


@pytest.fixture()
def emulator() -> Iterator[YunqiaoProcess]:
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--rate-limit", "on", "--users", str(USERS), "--departments", "2",
                                       "--app", f"{APP[0]}:{APP[1]}")) as process:
        yield process


def held(emulator: YunqiaoProcess) -> list[dict]:
    return requests.get(f"{emulator.base}/_emulator/approval/instances", params={"app_id": APP[0]}, timeout=30).json()["items"]


def set_up(admin: Admin, emulator: YunqiaoProcess) -> str:
    """The tenant as an admin would set it up; answers an OA key."""
    admin.call("PUT", "settings", json={"externalDomain": admin.base})
    enterprise = admin.call("POST", "enterprises", json={"name": "审批中心崩溃测试", "baseURL": emulator.base})["id"]
    app = admin.call("POST", f"enterprises/{enterprise}/apps", json={"name": "审批", "appID": APP[0], "appSecret": APP[1]})["id"]
    run = admin.call("POST", f"enterprises/{enterprise}/sync")["run"]
    done = wait_for(lambda: (r := admin.call("GET", f"enterprises/{enterprise}/sync-runs/{run['id']}"))["status"] != "running" and r,
                    timeout=60, message="the directory sync did not finish")
    assert done["status"] == "succeeded", done
    org = requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=30).json()["org"]
    lines = ["oa_id,login_id,name,mobile,department_oa_id"]
    lines += [f"{8001 + index},ac.u{index},{user['name']},{user['mobile']},AC1"
              for index, user in enumerate(sorted(org["users"], key=lambda user: user["mobile"]))]
    for sheet, text in (("departments", "oa_id,name,parent_oa_id\nAC1,审批测试部,\n"), ("users", "\n".join(lines) + "\n")):
        admin.call("POST", "oa-directory/import", params={"sheet": sheet, "mode": "merge", "format": "csv"},
                   data=text.encode(), headers={"Content-Type": "text/csv"})
    admin.call("PUT", f"enterprises/{enterprise}/binding-settings", json={"autoBindEnabled": True, "fields": ["mobile"]})
    admin.call("POST", f"enterprises/{enterprise}/auto-bind")
    assert len(admin.call("GET", f"enterprises/{enterprise}/bindings")["items"]) == USERS

    module = admin.call("POST", "oa-modules", json={"key": MODULE, "name": "审批", "actionURL": None})["id"]
    admin.call("PUT", f"oa-modules/{module}/approval-center",
               json={"channel": "approvalCenter", "pcURL": "https://oa.example.com/approval/new"})
    admin.call("POST", "push-rules", json={"name": "审批 → 审批中心", "source": MODULE, "enabled": True, "targets": [
        {"enterpriseId": enterprise, "appId": app, "type": "todo", "quickApproval": True}]})
    return admin.call("POST", "oa-keys", json={"name": "approval crash OA"})["key"]


def test_kill_9_during_the_pushes_leaves_each_instance_once_in_its_newest_state(emulator: YunqiaoProcess, tmp_path: Path) -> None:
    database = str(tmp_path / "yunqiao.sqlite")
    password = set_password(tmp_path, database)
    bridge = start_bridge(tmp_path, database)
    try:
        oa = requests.Session()
        oa.headers["Authorization"] = f"Bearer {set_up(Admin(bridge.base, 'admin', password), emulator)}"

        def accept(number: int) -> None:
            recipients = [str(8001 + (number + offset) % USERS) for offset in range(2)]
            body = {"source": MODULE, "idempotencyKey": f"ac-{number}", "title": f"报销单 {number}", "recipients": recipients,
                    "links": {"pc": f"https://oa.example.com/wf/{number}"},
                    "todo": {"id": f"wf-{number}", "actions": ["approve", "reject"]}}
            response = oa.post(f"{bridge.base}/api/v1/messages", json=body, timeout=30)
            assert response.status_code == 202, response.text

        def approve(number: int) -> None:
            response = oa.patch(f"{bridge.base}/api/v1/todos/wf-{number}", json={"source": MODULE, "state": "approved",
                                                                                  "by": str(8001 + number % USERS)}, timeout=30)
            assert response.status_code == 200, response.text

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(accept, range(TODOS)))
        before = wait_for(lambda: (n := len(held(emulator))) >= TODOS // 10 and n, timeout=60, interval=0.05,
                          message="the pushes did not start")
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(approve, APPROVED))
        time.sleep(0.3)
        os.kill(bridge.process.pid, signal.SIGKILL)
        bridge.process.wait(timeout=10)
        time.sleep(0.5)
        at_kill = len(held(emulator))
        assert at_kill < TODOS, "everything was pushed before the kill"
    except BaseException:
        if bridge.process.poll() is None:
            bridge.process.kill()
            bridge.process.wait()
        raise
    killed_log = bridge.stderr_path

    restarted_at = time.monotonic()
    with stopped_at_exit(start_bridge(tmp_path, database)):
        def drained() -> bool:
            with sqlite3.connect(database) as store:
                waiting = store.execute("SELECT count(*) FROM approvalInstance WHERE state != 'synced'").fetchone()[0]
            store.close()
            return waiting == 0
        wait_for(drained, timeout=180, interval=0.5, message="instances still pending after the restart (a killed claim waits for its 60 s lease)")
        drained_in = time.monotonic() - restarted_at
        time.sleep(1.0)
        with sqlite3.connect(database) as store:
            rows = {instance: (change_time, state) for instance, change_time, state in
                    store.execute("SELECT instanceId, changeTime, state FROM approvalInstance")}
        store.close()

    instances = held(emulator)
    ids = Counter(item["instance_id"] for item in instances)
    expected = {f"{MODULE}:wf-{number}" for number in range(TODOS)}
    approved = {f"{MODULE}:wf-{number}" for number in APPROVED}
    wrong_state = [item["instance_id"] for item in instances
                   if item["status"] != ("APPROVED" if item["instance_id"] in approved else "PENDING")]
    stale = [item["instance_id"] for item in instances if int(item["update_time"]) != int(rows[item["instance_id"]][0])]
    over_applied = [item["instance_id"] for item in instances if item["applied"] > (2 if item["instance_id"] in approved else 1)]
    repushed = sum(item["pushes"] - item["applied"] for item in instances)
    print(f"{TODOS} todos, {len(approved)} approved while pushing; killed with {before} → {at_kill} held; restarted, drained in "
          f"{drained_in:.1f} s; emulator holds {len(instances)}; wrong state {len(wrong_state)}, stale {len(stale)}, "
          f"applied more than their states {len(over_applied)}; pushes Feishu ignored (same state again) {repushed}")
    assert set(ids) == expected and all(count == 1 for count in ids.values())
    assert all(state == "synced" for _, state in rows.values())
    assert not wrong_state, wrong_state[:5]
    assert not stale, stale[:5]
    assert not over_applied, over_applied[:5]
    os.unlink(killed_log)
