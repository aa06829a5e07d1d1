"""Fixtures of the official-SDK conformance suite.

Every test talks to a real `yunqiao emulator` process through lark-oapi 1.7.5 (the official Python SDK). The
`/_emulator/...` admin endpoints are read with plain `requests` to learn what the emulator holds (and to inject
faults), never to drive the API under test.

Instances (each started once per session, stopped with SIGTERM, which must exit 0):

* ``emulator``: generated org (150 users, 20 departments), apps cli_conf_a / cli_conf_b, rate limit off.
* ``fixture_emulator``: the exact org in fixtures/org.json (tests only read it), apps cli_fix_a (from the file)
  and cli_fix_b (from a flag).
* ``limited_emulator``: rate limit on, its own app ids; for the limiter tests.
* ``fault_emulator``: rate limit off, its own app id; for fault injection, token expiry and clock tests, which
  change instance-wide state.
* ``im_emulator``: generated org, apps cli_conf_im_a / cli_conf_im_b, rate limit off; for IM messages, images and
  card callbacks (its clock and rate limit are moved by the IM tests only).

The SDK caches tenant tokens process-wide by app_id (`lark_oapi.core.token.TokenManager.cache`); the autouse
fixture below gives every test an empty cache, and every instance has its own app ids on top of that.
"""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from lark_oapi.core.cache import LocalCache
from lark_oapi.core.token import TokenManager

from support import FIXTURES, App, EmulatorProcess, app_flags, start_emulator
from yunqiao_process import stopped_at_exit


@pytest.fixture(autouse=True)
def fresh_token_cache() -> Iterator[None]:
    """The SDK caches tokens process-wide by app_id; every test starts without cached tokens."""
    TokenManager.cache = LocalCache()
    yield
    TokenManager.cache = LocalCache()


def _running(*args: str, apps: list[App]) -> Iterator[EmulatorProcess]:
    with stopped_at_exit(start_emulator(*args, apps=apps)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    apps = [App("cli_conf_a", "secret_a"), App("cli_conf_b", "secret_b")]
    yield from _running("--rate-limit", "off", *app_flags(apps), "--users", "150", "--departments", "20", apps=apps)


@pytest.fixture(scope="session")
def fixture_org() -> dict:
    return json.loads((FIXTURES / "org.json").read_text())


@pytest.fixture(scope="session")
def fixture_emulator(fixture_org: dict) -> Iterator[EmulatorProcess]:
    from_file = [App(app["app_id"], app["app_secret"]) for app in fixture_org["apps"]]
    from_flag = [App("cli_fix_b", "secret_fix_b")]
    yield from _running("--rate-limit", "off", "--fixture", str(FIXTURES / "org.json"), *app_flags(from_flag),
                        apps=from_file + from_flag)


@pytest.fixture(scope="session")
def limited_emulator() -> Iterator[EmulatorProcess]:
    apps = [App("cli_conf_rl_a", "secret_rl_a"), App("cli_conf_rl_b", "secret_rl_b")]
    yield from _running("--rate-limit", "on", *app_flags(apps), "--users", "30", "--departments", "5", apps=apps)


@pytest.fixture(scope="session")
def fault_emulator() -> Iterator[EmulatorProcess]:
    apps = [App("cli_conf_fault", "secret_fault")]
    yield from _running("--rate-limit", "off", *app_flags(apps), "--users", "30", "--departments", "5", apps=apps)


@pytest.fixture(scope="session")
def im_emulator() -> Iterator[EmulatorProcess]:
    """IM and card callbacks: rate limit off (tests that need it switch it on and off), a Verification Token set by
    flag for the first app; callback URLs and Encrypt Keys are set per test through `/_emulator/apps/…/callback`."""
    apps = [App("cli_conf_im_a", "secret_im_a"), App("cli_conf_im_b", "secret_im_b")]
    yield from _running("--rate-limit", "off", *app_flags(apps), "--users", "40", "--departments", "6",
                        "--verification-token", "cli_conf_im_a:vt-conformance", apps=apps)


@pytest.fixture
def faults(fault_emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    """The fault instance with no faults before and after the test."""
    fault_emulator.clear_faults()
    yield fault_emulator
    fault_emulator.clear_faults()
