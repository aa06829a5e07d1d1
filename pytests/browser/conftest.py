"""Fixtures of the browser suite: the admin console in headless Chromium (Selenium), against a real bridge
(`yunqiao serve` on a fresh database) and a real emulator (`yunqiao emulator` with the conformance fixture org).

* ``emulator``: the org of pytests/conformance/fixtures/org.json plus the app cli_yunqiaodemo0001.
* ``bridge``: `yunqiao serve` on a database in a temporary directory; the admin's password comes from
  `yunqiao admin set-password --generate`.
* ``console``: one Chrome session on the bridge (see `browser_support.Console`). Every page it saves lands in
  test-output/browser/NN-name.png, and none may leave a SEVERE entry in the browser log.

Both processes are stopped with SIGTERM at the end and must exit 0.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import requests

from browser_support import APP_ID, APP_SECRET, ORG_FIXTURE, SHOTS, Bridge, Console, chrome
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit, yunqiao_binary


@pytest.fixture(scope="session")
def emulator() -> Iterator[YunqiaoProcess]:
    with stopped_at_exit(start_yunqiao("emulator", "--port", "0", "--rate-limit", "off", "--fixture", str(ORG_FIXTURE),
                                       "--app", f"{APP_ID}:{APP_SECRET}")) as process:
        yield process


@pytest.fixture(scope="session")
def emulator_state(emulator: YunqiaoProcess) -> dict:
    """The org as the emulator holds it (the ids the console must show), from its admin side door."""
    response = requests.get(f"{emulator.base}/_emulator/state", params={"org": "true"}, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="session")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    directory = tmp_path_factory.mktemp("bridge")
    database = str(directory / "yunqiao.sqlite")
    done = subprocess.run([yunqiao_binary(), "admin", "set-password", "--database", database, "--username", "admin",
                           "--generate"], cwd=directory, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"set-password failed: {done.stdout}{done.stderr}"
    password = re.search(r"^password of admin set: (\S+)$", done.stdout, re.MULTILINE)
    assert password, f"no password in {done.stdout!r}"
    environment = {"YUNQIAO_DATABASE": database, "YUNQIAO_HTTP_PORT": "0"}
    with stopped_at_exit(start_yunqiao("serve", cwd=directory, env=environment, kind=Bridge,
                                       password=password[1])) as process:
        yield process


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[YunqiaoProcess]:
    """`yunqiao demo` on its own database, every port picked free; shared by test_demo.py and test_languages.py."""
    directory = tmp_path_factory.mktemp("demo")
    arguments = ("demo", "--port", "0", "--emulator-port", "0", "--oa-port", "0", "--database", str(directory / "demo.sqlite"))
    with stopped_at_exit(start_yunqiao(*arguments, cwd=directory, timeout=240)) as process:
        yield process


@pytest.fixture(scope="session")
def shots() -> Path:
    """test-output/browser/, emptied of the previous run's screenshots."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    return SHOTS


@pytest.fixture(scope="session")
def console(bridge: Bridge, shots: Path) -> Iterator[Console]:
    driver = chrome()
    try:
        # Lets the copy buttons use navigator.clipboard (a headless window has no focus to earn it with).
        driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": bridge.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        console = Console(driver, bridge, shots)
        yield console
        console.check_log()
    finally:
        driver.quit()
