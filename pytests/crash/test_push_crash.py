"""Crash test of message push (issue #7, "The bar"): `kill -9` the bridge while 2 000 deliveries are on their way to
Feishu, start it again on the same database, and the emulator holds each (message, app, recipient) exactly once.

Everything is set up the way an admin and an OA would: the admin API (signed in with the password from
`yunqiao admin set-password --generate`, then an API token), the OA directory imported as CSV, auto-bind, an OA
module, a push rule with a text target per app, an OA key, and the messages through `POST /api/v1/messages`.

The emulator runs with its rate limits on (50/s and 1000/min per app per API), so the deliveries take a few seconds.
Four apps of one enterprise share them (500 each): one app alone would need two minutes for 2 000 at 1000/min.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit, yunqiao_binary

APPS = [(f"cli_crash_{letter}", f"crash-secret-{letter}") for letter in "abcd"]
USERS = 100
MESSAGES = 20
RECIPIENTS_PER_MESSAGE = 25
PLANNED = MESSAGES * RECIPIENTS_PER_MESSAGE * len(APPS)  # 2 000
MODULE = "approval"
MARKER = "crash-msg-{:02d}"


@pytest.fixture()
def emulator() -> YunqiaoProcess:
    app_flags = [flag for app_id, secret in APPS for flag in ("--app", f"{app_id}:{secret}")]
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--rate-limit", "on", "--users", str(USERS),
                                       "--departments", "4", *app_flags)) as process:
        yield process


def wait_for(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(interval)


class Admin:
    """The admin API with an API token (made in a signed-in console session, as an admin would)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        console = requests.Session()
        page = console.get(f"{base}/login", timeout=10)
        login_csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert login_csrf, page.text
        signed_in = console.post(f"{base}/login", data={"_csrf": login_csrf[1], "username": username, "password": password},
                                 timeout=30)
        assert signed_in.ok and "/login" not in signed_in.url, f"login failed: {signed_in.status_code} {signed_in.url}"
        csrf = re.search(r'name="_csrf" value="([^"]+)"', console.get(f"{base}/console", timeout=10).text)
        assert csrf, "no CSRF token on the console page"
        created = console.post(f"{base}/api/admin/v1/tokens", json={"name": "crash test"}, headers={"X-CSRF-Token": csrf[1]},
                               timeout=10)
        assert created.status_code == 201, created.text
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {created.json()['token']}"

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base}/api/admin/v1/{path}", timeout=30, **kwargs)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def emulator_total(emulator: YunqiaoProcess) -> int:
    return requests.get(f"{emulator.base}/_emulator/messages", params={"limit": 0}, timeout=10).json()["total"]


def emulator_messages(emulator: YunqiaoProcess) -> list[dict]:
    items: list[dict] = []
    while True:
        page = requests.get(f"{emulator.base}/_emulator/messages", params={"offset": len(items), "limit": 500}, timeout=30).json()
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def set_up(admin: Admin, emulator: YunqiaoProcess, org: dict) -> str:
    """The tenant as an admin would set it up; returns an OA key."""
    admin.call("PUT", "settings", json={"externalDomain": admin.base})
    enterprise = admin.call("POST", "enterprises", json={"name": "崩溃测试企业", "baseURL": emulator.base})
    enterprise_id = enterprise["id"]
    app_ids = [admin.call("POST", f"enterprises/{enterprise_id}/apps",
                          json={"name": f"推送 {app_id[-1]}", "appID": app_id, "appSecret": secret})["id"]
               for app_id, secret in APPS]
    run = admin.call("POST", f"enterprises/{enterprise_id}/sync")["run"]
    done = wait_for(lambda: (r := admin.call("GET", f"enterprises/{enterprise_id}/sync-runs/{run['id']}"))["status"] != "running" and r,
                    timeout=60, message="the directory sync did not finish")
    assert done["status"] == "succeeded", done

    # The OA directory: every emulator user, half matched by employee no., half by mobile only.
    users = sorted(org["users"], key=lambda user: user["employee_no"])
    lines = ["oa_id,login_id,name,employee_no,mobile,department_oa_id"]
    for index, user in enumerate(users):
        employee_no = user["employee_no"] if index % 2 == 0 else ""
        lines.append(f"{7001 + index},crash.u{index},{user['name']},{employee_no},{user['mobile']},CD1")
    for sheet, text in (("departments", "oa_id,name,parent_oa_id\nCD1,崩溃测试部,\n"), ("users", "\n".join(lines) + "\n")):
        admin.call("POST", "oa-directory/import", params={"sheet": sheet, "mode": "merge", "format": "csv"},
                   data=text.encode(), headers={"Content-Type": "text/csv"})
    admin.call("PUT", f"enterprises/{enterprise_id}/binding-settings", json={"autoBindEnabled": True, "fields": ["employeeNo", "mobile"]})
    admin.call("POST", f"enterprises/{enterprise_id}/auto-bind")
    bindings = admin.call("GET", f"enterprises/{enterprise_id}/bindings")["items"]
    assert len(bindings) == len(users), f"{len(bindings)} of {len(users)} OA users bound"

    admin.call("POST", "oa-modules", json={"key": MODULE, "name": "审批"})
    admin.call("POST", "push-rules", json={"name": "审批 → 全部应用", "source": MODULE, "enabled": True, "targets": [
        {"enterpriseId": enterprise_id, "appId": app_id, "type": "text"} for app_id in app_ids]})
    return admin.call("POST", "oa-keys", json={"name": "crash test OA"})["key"]


def set_password(directory: Path, database: str) -> str:
    """A generated password for `admin` on a new database (`yunqiao admin set-password --generate`)."""
    done = subprocess.run([yunqiao_binary(), "admin", "set-password", "--database", database, "--username", "admin", "--generate"],
                          cwd=directory, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"set-password failed: {done.stdout}{done.stderr}"
    password = re.search(r"^password of admin set: (\S+)$", done.stdout, re.MULTILINE)
    assert password, done.stdout
    return password[1]


def start_bridge(directory: Path, database: str) -> YunqiaoProcess:
    return start_yunqiao("serve", cwd=directory, env={"YUNQIAO_DATABASE": database, "YUNQIAO_HTTP_PORT": "0"})


def test_kill_9_during_delivery_loses_and_duplicates_nothing(emulator: YunqiaoProcess, tmp_path: Path) -> None:
    org = requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=10).json()["org"]
    union_of = {user["union_id"]: user for user in org["users"]}
    database = str(tmp_path / "yunqiao.sqlite")
    password = set_password(tmp_path, database)

    bridge = start_bridge(tmp_path, database)
    try:
        oa_key = set_up(Admin(bridge.base, "admin", password), emulator, org)
        assert emulator_total(emulator) == 0

        # -- 20 messages × 25 recipients × 4 apps, accepted in parallel -----------------------------------------------
        oa = requests.Session()
        oa.headers["Authorization"] = f"Bearer {oa_key}"
        oa_ids = [str(7001 + index) for index in range(USERS)]

        def accept(number: int) -> dict:
            start = number * RECIPIENTS_PER_MESSAGE % USERS
            body = {"source": MODULE, "idempotencyKey": f"crash-{number}", "title": MARKER.format(number),
                    "body": f"崩溃测试消息 {MARKER.format(number)}",
                    "recipients": [oa_ids[(start + offset) % USERS] for offset in range(RECIPIENTS_PER_MESSAGE)]}
            response = oa.post(f"{bridge.base}/api/v1/messages", json=body, timeout=30)
            assert response.status_code == 202, response.text
            return response.json()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(accept, range(MESSAGES)))
        accepted_in = time.monotonic() - started
        assert sum(answer["deliveries"]["planned"] for answer in answers) == PLANNED
        assert sum(answer["deliveries"]["skipped"] for answer in answers) == 0

        # -- kill -9 while the deliveries are on their way -------------------------------------------------------------
        before = wait_for(lambda: (n := emulator_total(emulator)) >= PLANNED // 4 and n, timeout=60, interval=0.02,
                          message="the deliveries did not start")
        os.kill(bridge.process.pid, signal.SIGKILL)
        bridge.process.wait(timeout=10)
        time.sleep(0.5)  # sends on the wire when the process died land (or not) now
        at_kill = emulator_total(emulator)
        assert bridge.process.returncode == -signal.SIGKILL
        assert 0.1 * PLANNED <= before <= at_kill <= 0.8 * PLANNED, f"killed at {before} (then {at_kill}) of {PLANNED}"
        # What the killed process had recorded: Feishu took more than that (answers lost in the kill, sent again after
        # the restart with the same uuid) and the rest was still pending.
        with sqlite3.connect(database) as store:
            recorded = store.execute("SELECT count(*) FROM delivery WHERE state = 'sent'").fetchone()[0]
            claimed = store.execute("SELECT count(*) FROM delivery WHERE leaseOwner IS NOT NULL").fetchone()[0]
        store.close()
        assert recorded <= at_kill, f"{recorded} recorded sent, the emulator holds {at_kill}"
    except BaseException:
        if bridge.process.poll() is None:
            bridge.process.kill()
            bridge.process.wait()
        raise
    finally:
        print(f"\nlog of the killed bridge: {bridge.stderr_path}")
    killed_log = bridge.stderr_path

    # -- restart on the same database; wait until nothing is pending ------------------------------------------------------
    restarted_at = time.monotonic()
    with stopped_at_exit(start_bridge(tmp_path, database)) as bridge:
        admin = Admin(bridge.base, "admin", password)

        def drained() -> bool:
            pending = admin.call("GET", "messages", params={"state": "pending", "limit": 1})["total"]
            return pending == 0 and emulator_total(emulator) >= PLANNED

        wait_for(drained, timeout=90, interval=0.5, message=f"deliveries still pending after the restart "
                 f"(emulator holds {emulator_total(emulator)} of {PLANNED})")
        drained_in = time.monotonic() - restarted_at
        time.sleep(1.0)  # nothing more may arrive
        dead = admin.call("GET", "messages", params={"state": "dead", "limit": 1})["total"]
        skipped = admin.call("GET", "messages", params={"state": "skipped", "limit": 1})["total"]
        sent = sum(item["deliveries"]["sent"] for item in admin.call("GET", "messages", params={"limit": 100})["items"])

    # -- every (message, app, recipient) exactly once -----------------------------------------------------------------
    messages = emulator_messages(emulator)
    pairs: Counter[tuple[str, str, str]] = Counter()
    uuids: Counter[str] = Counter()
    for message in messages:
        assert message["msg_type"] == "text" and message["receive_id_type"] == "union_id", message
        marker = re.search(r"crash-msg-\d\d", message["content_json"]["text"])
        assert marker, message["content"]
        pairs[(marker[0], message["app_id"], message["receive_id"])] += 1
        uuids[message["uuid"]] += 1
    expected = set()
    for number in range(MESSAGES):
        start = number * RECIPIENTS_PER_MESSAGE % USERS
        for offset in range(RECIPIENTS_PER_MESSAGE):
            user = sorted(org["users"], key=lambda user: user["employee_no"])[(start + offset) % USERS]
            for app_id, _ in APPS:
                expected.add((MARKER.format(number), app_id, user["union_id"]))
    duplicates = {pair: count for pair, count in pairs.items() if count > 1}
    lost = expected - set(pairs)
    unexpected = set(pairs) - expected
    print(f"accepted {MESSAGES} messages ({PLANNED} deliveries) in {accepted_in:.2f} s; killed with {before} delivered "
          f"({at_kill} half a second later; the killed bridge had recorded {recorded} sent and held {claimed} claims, so "
          f"{at_kill - recorded} were sent again with their uuid); restarted, drained in {drained_in:.1f} s; emulator holds {len(messages)}; "
          f"duplicates {len(duplicates)}, lost {len(lost)}, unexpected {len(unexpected)}; bridge: sent {sent}, dead {dead}, "
          f"skipped {skipped}")
    assert all(receiver in union_of for _, _, receiver in pairs)
    assert not duplicates, f"{len(duplicates)} duplicated: {list(duplicates.items())[:5]}"
    assert not lost, f"{len(lost)} lost: {sorted(lost)[:5]}"
    assert not unexpected, f"{len(unexpected)} unexpected: {sorted(unexpected)[:5]}"
    assert len(messages) == PLANNED and len(uuids) == PLANNED
    assert (sent, dead, skipped) == (PLANNED, 0, 0)
    assert at_kill < PLANNED, "everything was delivered before the kill"
    os.unlink(killed_log)
