"""Fixtures of the API contract suite: one `yunqiao serve` on a fresh database, signed in the way an admin and an OA
would be — an API token of full scope (made in a console session: password, CSRF token) and an OA key.

The fuzzer sends whatever the document allows (and much it does not) to every operation: URLs for enterprises,
OA connectors and settings included, which the bridge then calls. So the suite runs only in a network namespace of
its own, with nothing but loopback (`scripts/test` starts it under `unshare --net`): whatever the bridge is made to
call, no packet leaves the machine.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit, yunqiao_binary


@dataclass
class Bridge(YunqiaoProcess):
    """A running `yunqiao serve` with the credentials the fuzzer sends."""

    token: str = ""
    token_id: int = 0
    oa_key: str = ""
    oa_key_id: int = 0
    session: str = ""
    csrf: str = ""


def only_loopback() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.fixture(scope="session")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    if not only_loopback():
        pytest.fail("the contract suite makes the bridge call the URLs it generates: run it in a network namespace with only "
                    "loopback, e.g. unshare --net --map-root-user -- sh -c 'ip link set lo up && exec .venv/bin/python -m pytest "
                    "pytests/contract' (as scripts/test does)", pytrace=False)
    directory = tmp_path_factory.mktemp("contract")
    database = str(directory / "yunqiao.sqlite")
    done = subprocess.run([yunqiao_binary(), "admin", "set-password", "--database", database, "--username", "admin",
                           "--generate"], cwd=directory, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"set-password failed: {done.stdout}{done.stderr}"
    password = re.search(r"^password of admin set: (\S+)$", done.stdout, re.MULTILINE)
    assert password, f"no password in {done.stdout!r}"
    environment = {"YUNQIAO_DATABASE": database, "YUNQIAO_HTTP_PORT": "0"}
    with stopped_at_exit(start_yunqiao("serve", cwd=directory, env=environment, kind=Bridge)) as process:
        sign_in(process, password[1])
        yield process


def sign_in(bridge: Bridge, password: str) -> None:
    """The console's login form (its CSRF cookie and field), the session's CSRF token from the console page, then an
    API token of full scope and, with it, an OA key."""
    base = bridge.base
    console = requests.Session()
    login_csrf = re.search(r'name="_csrf" value="([^"]+)"', console.get(f"{base}/login", timeout=10).text)
    assert login_csrf, "no CSRF field on the login page"
    signed_in = console.post(f"{base}/login", data={"_csrf": login_csrf[1], "username": "admin", "password": password}, timeout=30)
    assert signed_in.ok and "/login" not in signed_in.url, f"login failed: {signed_in.status_code} {signed_in.url}"
    csrf = re.search(r'name="_csrf" value="([^"]+)"', console.get(f"{base}/console", timeout=10).text)
    assert csrf, "no CSRF token on the console page"
    created = console.post(f"{base}/api/admin/v1/tokens", json={"name": "contract fuzzer", "scope": "full"},
                           headers={"X-CSRF-Token": csrf[1]}, timeout=10)
    assert created.status_code == 201, created.text
    bridge.token, bridge.token_id = created.json()["token"], created.json()["id"]
    bridge.session, bridge.csrf = console.cookies["yq_session"], csrf[1]
    key = requests.post(f"{base}/api/admin/v1/oa-keys", json={"name": "contract fuzzer OA"},
                        headers={"Authorization": f"Bearer {bridge.token}"}, timeout=10)
    assert key.status_code == 201, key.text
    bridge.oa_key, bridge.oa_key_id = key.json()["key"], key.json()["id"]


TIMES: dict[str, float] = {"start": time.monotonic()}  # reset when the session starts, if this is loaded before


def pytest_sessionstart(session: pytest.Session) -> None:
    TIMES["start"] = time.monotonic()


def pytest_collection_finish(session: pytest.Session) -> None:
    TIMES["collected"] = time.monotonic()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The suite's time in its two parts: collecting (schemathesis builds the coverage phase's boundary values of every
    operation then) and running the calls; `CONTRACT_TIMES=FILE` appends them to FILE as a JSON line."""
    if "collected" not in TIMES:
        return
    now = time.monotonic()
    collect, run = TIMES["collected"] - TIMES["start"], now - TIMES["collected"]
    passed = len(terminalreporter.stats.get("passed", []))
    failed = len(terminalreporter.stats.get("failed", []))
    terminalreporter.write_line(f"contract suite: {passed} passed, {failed} failed; collected in {collect:.1f} s, "
                                f"ran in {run:.1f} s ({collect + run:.1f} s)")
    if record := os.environ.get("CONTRACT_TIMES"):
        with open(record, "a") as file:
            file.write(json.dumps({"passed": passed, "failed": failed, "collect_s": round(collect, 1), "run_s": round(run, 1),
                                   "examples": os.environ.get("CONTRACT_EXAMPLES", "10")}) + "\n")
