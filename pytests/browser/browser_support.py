"""Helpers of the browser suite: the bridge process, Chromium, and `Console` (one browser on the admin console:
navigation, explicit waits, screenshots and the browser-log check)."""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from yunqiao_process import ROOT, YunqiaoProcess

SHOTS = ROOT / "test-output" / "browser"
ORG_FIXTURE = ROOT / "pytests" / "conformance" / "fixtures" / "org.json"
APP_ID = "cli_yunqiaodemo0001"
APP_SECRET = "demo-app-secret-0001"
WAIT = 10.0  # seconds: the longest any single page element may take


@dataclass
class Bridge(YunqiaoProcess):
    """A running `yunqiao serve` and its admin's credentials."""

    username: str = "admin"
    password: str = ""


def chrome() -> webdriver.Chrome:
    """Headless Chromium (the Debian packages `chromium` and `chromium-driver`), 1366×900, zh-CN, browser log on."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("chromium and chromedriver are needed (scripts/test installs the Debian packages "
                    "`chromium` and `chromium-driver`)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--window-size=1366,900", "--lang=zh-CN", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-search-engine-choice-screen", "--hide-scrollbars"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))


@dataclass
class Console:
    """The console in one browser: navigation, explicit waits, screenshots and the browser-log check."""

    driver: webdriver.Chrome
    bridge: Bridge
    shots: Path
    taken: list[str] = field(default_factory=list)
    #: Regular expressions of SEVERE log entries the current step expects (see `expecting`).
    expected_errors: list[str] = field(default_factory=list)

    # -- navigation ----------------------------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.bridge.base + path)

    @property
    def path(self) -> str:
        """The current path and query."""
        return "/" + self.driver.current_url.removeprefix(self.bridge.base).lstrip("/")

    def wait(self, condition, timeout: float = WAIT, message: str = ""):
        """Polls `condition(driver)` until it is truthy. An element that vanishes under a check (the page is being
        replaced, e.g. by an auto-refresh) counts as "not yet"."""
        def tolerant(driver):
            try:
                return condition(driver)
            except WebDriverException as error:
                if isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error):
                    return False
                raise
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(tolerant, message)

    def element(self, element_id: str, timeout: float = WAIT) -> WebElement:
        """The visible element with this id."""
        return self.wait(EC.visibility_of_element_located((By.ID, element_id)), timeout,
                         f"no visible #{element_id} on {self.path}")

    def css(self, selector: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def main_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def click(self, element_id: str) -> None:
        self.wait(EC.element_to_be_clickable((By.ID, element_id)),
                  message=f"#{element_id} is not clickable on {self.path}").click()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """The block leaves the page (a click, a submit): waits until the next page has replaced it and loaded."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        before = self.path
        yield
        self.wait(EC.staleness_of(page), message=f"no new page after {before}")
        self.wait(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def navigate(self, element_id: str | None = None, *, element: WebElement | None = None) -> None:
        """Clicks a link or submit button (by id, or the given element) and waits until the next page has loaded."""
        with self.loading():
            if element is not None:
                element.click()
            else:
                assert element_id
                self.click(element_id)

    def fill(self, element_id: str, value: str) -> None:
        input_ = self.element(element_id)
        input_.clear()
        if value:
            input_.send_keys(value)

    def select(self, element_id: str, value: str) -> None:
        Select(self.element(element_id)).select_by_value(value)

    def text(self, element_id: str) -> str:
        return self.element(element_id).text.strip()

    def add_enterprise_with_app(self, name: str, base_url: str, app_name: str, app_id: str, app_secret: str) -> tuple[str, str]:
        """Creates an enterprise and its app (no homepage) through the console forms; returns their ids."""
        self.open("/console/enterprises/new")
        self.fill("name", name)
        self.fill("baseURL", base_url)
        self.navigate("save-enterprise")
        enterprise_id = self.wait_path(r"/console/enterprises/(\d+)")[1]
        self.navigate("add-app")
        self.fill("appName", app_name)
        self.fill("appID", app_id)
        self.fill("appSecret", app_secret)
        self.select("homepageKind", "none")
        self.navigate("save-app")
        return enterprise_id, self.wait_path(r"/console/apps/(\d+)")[1]

    def wait_path(self, pattern: str) -> re.Match:
        """Waits until the current path (without query) fully matches `pattern`; returns the match."""
        def matched(_):
            return re.fullmatch(pattern, self.path.split("?")[0])
        return self.wait(matched, message=f"the path does not match {pattern}")

    # -- evidence -----------------------------------------------------------------------------------------------

    def shot(self, name: str, *, show: str | None = None) -> Path:
        """Checks the browser log, then saves the page as NN-name.png (NN: the order taken); `show`: the id of an
        element to scroll into the middle of the window first."""
        self.check_log()
        if show:
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", self.element(show))
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), f"screenshot {path} failed"
        self.taken.append(path.name)
        return path

    @contextmanager
    def expecting(self, *patterns: str) -> Iterator[None]:
        """Within the block, SEVERE log entries matching one of `patterns` (regular expressions) are expected, e.g.
        the 4xx status of a rejected form; the log is checked before the block ends."""
        self.expected_errors = list(patterns)
        try:
            yield
            self.check_log()
        finally:
            self.expected_errors = []

    def check_log(self) -> None:
        """No SEVERE entry in the browser log since the last check (script errors, failed loads, CSP violations),
        except those the current step expects (`expected_errors`)."""
        entries = self.driver.get_log("browser")
        severe = [entry["message"] for entry in entries if entry["level"] == "SEVERE"
                  and not any(re.search(pattern, entry["message"]) for pattern in self.expected_errors)]
        assert severe == [], f"browser console errors on {self.path}: {severe}"
