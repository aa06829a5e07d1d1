"""Crash test of contact events (issue #15, "Checks"): `kill -9` the bridge while 500 contact events are on their way
from the emulator to its event request URL, start it again on the same database and port, and once Feishu's re-pushes
are done the bridge's mirror equals the emulator's org, every event stored once.

Set up as an admin would, through the admin API: an enterprise with its app (Verification Token and Encrypt Key), a first
directory sync, and the emulator's event URL set to the bridge's (it answers the challenge). The changes are made
through the emulator's contact API (job titles of 20 users, 25 each); the emulator's re-push schedule is shortened to
seconds (the platform's is 15 s, 5 min, 1 h, 6 h).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests

from test_push_crash import Admin, set_password, wait_for
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit

APP = ("cli_events_crash", "events-crash-secret")
TOKEN, KEY = "vt-events-crash", "ek-events-crash"
USERS = 20
CHANGES = 500


@pytest.fixture()
def emulator() -> Iterator[YunqiaoProcess]:
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--rate-limit", "off", "--users", str(USERS), "--departments", "2",
                                       "--app", f"{APP[0]}:{APP[1]}")) as process:
        requests.put(f"{process.base}/_emulator/apps/{APP[0]}/callback", json={"verification_token": TOKEN, "encrypt_key": KEY},
                     timeout=10).raise_for_status()
        requests.put(f"{process.base}/_emulator/events/settings",
                     json={"retry_schedule_ms": [1000, 2000, 3000, 5000, 8000, 13000, 21000]}, timeout=10).raise_for_status()
        yield process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_bridge(directory: Path, database: str, port: int) -> YunqiaoProcess:
    return start_yunqiao("serve", cwd=directory, env={"YUNQIAO_DATABASE": database, "YUNQIAO_HTTP_PORT": str(port)})


def counters(emulator: YunqiaoProcess) -> dict:
    return requests.get(f"{emulator.base}/_emulator/events", params={"app_id": APP[0]}, timeout=10).json()["counters"].get(APP[0], {})


def org_users(emulator: YunqiaoProcess) -> list[dict]:
    return requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=30).json()["org"]["users"]


def test_kill_9_while_events_arrive_loses_and_repeats_nothing(emulator: YunqiaoProcess, tmp_path: Path) -> None:
    database = str(tmp_path / "yunqiao.sqlite")
    password = set_password(tmp_path, database)
    port = free_port()
    token = requests.post(f"{emulator.base}/open-apis/auth/v3/tenant_access_token/internal",
                          json={"app_id": APP[0], "app_secret": APP[1]}, timeout=10).json()["tenant_access_token"]
    users = [user["user_id"] for user in org_users(emulator)]
    assert len(users) == USERS

    def change(index: int) -> None:
        user = users[index % USERS]
        answer = requests.patch(f"{emulator.base}/open-apis/contact/v3/users/{user}", params={"user_id_type": "user_id"},
                                json={"job_title": f"职位{index:03d}"}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text

    bridge = start_bridge(tmp_path, database, port)
    try:
        admin = Admin(bridge.base, "admin", password)
        enterprise = admin.call("POST", "enterprises", json={"name": "事件崩溃测试", "baseURL": emulator.base})["id"]
        app = admin.call("POST", f"enterprises/{enterprise}/apps",
                         json={"name": "通讯录", "appID": APP[0], "appSecret": APP[1], "verificationToken": TOKEN, "encryptKey": KEY})["id"]
        run = admin.call("POST", f"enterprises/{enterprise}/sync")["run"]
        done = wait_for(lambda: (r := admin.call("GET", f"enterprises/{enterprise}/sync-runs/{run['id']}"))["status"] != "running" and r,
                        timeout=60, message="the directory sync did not finish")
        assert done["status"] == "succeeded", done
        subscribed = requests.put(f"{emulator.base}/_emulator/apps/{APP[0]}/events",
                                  json={"url": f"{bridge.base}/feishu/apps/{app}/events"}, timeout=10)
        assert subscribed.status_code == 200, subscribed.text

        # -- kill -9 while the events pour in -------------------------------------------------------------------------------
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(change, index) for index in range(CHANGES)]
            wait_for(lambda: counters(emulator).get("delivered", 0) >= 150, timeout=60, interval=0.02,
                     message="the events did not start arriving")
            os.kill(bridge.process.pid, signal.SIGKILL)
            bridge.process.wait(timeout=10)
            for future in futures:
                future.result()
        at_kill = counters(emulator)
        assert 150 <= at_kill["delivered"] < CHANGES, f"killed with {at_kill}"
    except BaseException:
        if bridge.process.poll() is None:
            bridge.process.kill()
            bridge.process.wait()
        raise

    # -- restart on the same database and port: the re-pushes arrive ------------------------------------------------------------
    with stopped_at_exit(start_bridge(tmp_path, database, port)) as bridge:
        admin = Admin(bridge.base, "admin", password)
        wait_for(lambda: counters(emulator).get("delivered", 0) + counters(emulator).get("given_up", 0) >= CHANGES,
                 timeout=120, interval=0.5, message=f"the re-pushes did not finish: {counters(emulator)}")
        final = counters(emulator)
        assert final["given_up"] == 0, final
        channel = wait_for(lambda: (c := admin.call("GET", f"apps/{app}/events"))["pending"] == 0 and c, timeout=60,
                           message="the bridge did not apply every event")
        assert channel["received"] == CHANGES and channel["failed"] == 0, channel
        mirror = admin.call("GET", f"enterprises/{enterprise}/users", params={"limit": 200})["users"]

    def in_feishu(user_id: str) -> str:
        answer = requests.get(f"{emulator.base}/open-apis/contact/v3/users/{user_id}", params={"user_id_type": "user_id"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        return answer["data"]["user"]["job_title"]

    expected = {user_id: in_feishu(user_id) for user_id in users}
    assert all(title.startswith("职位") for title in expected.values()), expected
    held = {user["userID"]: user.get("jobTitle") for user in mirror}
    assert held == expected, {key: (held.get(key), value) for key, value in expected.items() if held.get(key) != value}
