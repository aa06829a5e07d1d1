"""`yunqiao demo` as a first-time administrator meets it (issue #13, item 15): the banner's manual-bind walk in a real
browser — the app's homepage URL → the emulator's authorize page ("Log in as …") → the bridge's OA login form → the
demo OA's homepage, which names the user just bound — and every link the banner prints, or the sample messages carry,
answers a real page.

The demo runs on its own database in a temporary directory, every port picked free (`--port 0 --emulator-port 0
--oa-port 0`), and must exit 0 on SIGTERM. Its pages join the suite's numbered screenshots.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import requests
from selenium.webdriver.common.by import By

from browser_support import Console, chrome
from yunqiao_process import YunqiaoProcess, start_yunqiao, stopped_at_exit

#: The banner's manual-bind line.
MANUAL_BIND = re.compile(r"manual bind: open (?P<home>\S+) → log in as (?P<name>\S+) → OA login (?P<login>\S+) / (?P<password>\S+)"
                         r" → the demo OA's homepage (?P<portal>\S+)")
URL = re.compile(r"https?://[^\s'\"()（）,，]+")


@pytest.fixture(scope="module")
def feishu_user(demo: YunqiaoProcess, console: Console) -> Iterator[Console]:
    """A Feishu user's browser on the demo (no admin session), saving into the suite's series of screenshots."""
    driver = chrome()
    try:
        browser = Console(driver, demo, console.shots, taken=console.taken)  # type: ignore[arg-type]
        yield browser
        browser.check_log()
    finally:
        driver.quit()


def banner(demo: YunqiaoProcess) -> str:
    return "\n".join(demo.stdout_lines)


def test_every_link_of_the_banner_and_the_sample_messages_answers(demo: YunqiaoProcess) -> None:
    text = banner(demo)
    links = {url.rstrip(".;") for line in text.splitlines() if "-X POST" not in line for url in URL.findall(line)}
    assert any(link.endswith("/portal") for link in links), text
    # The sample messages open their items on the demo OA.
    emulator = re.search(r"Feishu emulator\s+(http://\S+?)/_emulator", text)
    union = re.search(r"_emulator/messages\?union_id=([\w-]+)", text)
    assert emulator and union, text
    sent = requests.get(f"{emulator[1]}/_emulator/messages", params={"union_id": union[1]}, timeout=10).json()
    items = sent["items"]
    opened = {url.rstrip("\\") for message in items for url in URL.findall(str(message).replace("\\/", "/")) if "/portal/items/" in url}
    assert len(opened) == 2, f"the two sample messages link to their OA items: {items}"
    for link in sorted(links | opened):
        answer = requests.get(link, timeout=15)
        assert answer.status_code == 200, f"{link} answers {answer.status_code}: {answer.text[:200]}"


def test_the_manual_bind_walk_ends_on_the_demo_oas_homepage(demo: YunqiaoProcess, feishu_user: Console) -> None:
    walk = MANUAL_BIND.search(banner(demo))
    assert walk, banner(demo)
    home, name, login, password, portal = (walk[key] for key in ("home", "name", "login", "password", "portal"))
    emulator = re.search(r"Feishu emulator\s+(http://\S+?)/_emulator", banner(demo))
    assert emulator

    feishu_user.driver.get(home)
    feishu_user.wait(lambda driver: driver.current_url.startswith(emulator[1] + "/open-apis/authen/v1/authorize"),
                     message="not sent to the emulator's authorize page")
    # The page lists the first users only; the user searches for their name as a person would.
    feishu_user.driver.get(feishu_user.driver.current_url + "&q=" + requests.utils.quote(name))
    link = feishu_user.wait(lambda driver: driver.find_elements(By.PARTIAL_LINK_TEXT, f"Log in as {name}"))[0]
    feishu_user.navigate(element=link)
    feishu_user.wait(lambda driver: "/oauth/callback" in driver.current_url, message="not back at the bridge's callback")
    assert feishu_user.text("feishu-user").endswith(name)
    feishu_user.shot("demo-oa-login")
    feishu_user.fill("loginID", login)
    feishu_user.fill("password", password)
    feishu_user.navigate("bind-submit")

    feishu_user.wait(lambda driver: driver.current_url.split("?")[0] == portal, message=f"not on the demo OA's homepage {portal}")
    assert feishu_user.text("oa-title").startswith("OA 门户")
    assert feishu_user.text("signed-in-name") == name and feishu_user.text("signed-in-login") == login
    feishu_user.shot("demo-oa-portal")

    # The portal's own links answer too: the items, the app again, the console.
    for anchor in feishu_user.css("main a"):
        href = anchor.get_attribute("href")
        assert requests.get(href, timeout=15).status_code == 200, href
    feishu_user.navigate(element=feishu_user.driver.find_element(By.PARTIAL_LINK_TEXT, "差旅申请"))
    assert "目的地：上海" in feishu_user.text("item-lines")
    feishu_user.shot("demo-oa-item")

    # Opening the app again goes straight through to the portal: bound.
    feishu_user.driver.get(home)
    feishu_user.wait(lambda driver: "/open-apis/authen/v1/authorize" in driver.current_url, message="not sent to authorize")
    feishu_user.driver.get(feishu_user.driver.current_url + "&q=" + requests.utils.quote(name))
    link = feishu_user.wait(lambda driver: driver.find_elements(By.PARTIAL_LINK_TEXT, f"Log in as {name}"))[0]
    feishu_user.navigate(element=link)
    feishu_user.wait(lambda driver: driver.current_url.split("?")[0] == portal, message="a bound user is not sent to the portal")


def test_the_demo_oa_signs_in_through_the_bridges_openid_connect(demo: YunqiaoProcess, feishu_user: Console) -> None:
    """用飞书登录 on the demo OA: the OA sends the browser to the bridge's OIDC authorize endpoint, the bridge to Feishu
    (the emulator), the user (bound by the walk above) comes back to the OA with a code, and the OA's own session says
    who they are; signing out ends it."""
    walk = MANUAL_BIND.search(banner(demo))
    sign_in = re.search(r"OA sign-in\s+(http://\S+)", banner(demo))
    emulator = re.search(r"Feishu emulator\s+(http://\S+?)/_emulator", banner(demo))
    assert walk and sign_in and emulator, banner(demo)
    name, login, portal = walk["name"], walk["login"], walk["portal"]

    feishu_user.driver.get(portal)
    feishu_user.navigate("oa-login")
    feishu_user.wait(lambda driver: driver.current_url.startswith(emulator[1] + "/open-apis/authen/v1/authorize"),
                     message="not sent through the bridge to the emulator's authorize page")
    feishu_user.driver.get(feishu_user.driver.current_url + "&q=" + requests.utils.quote(name))
    link = feishu_user.wait(lambda driver: driver.find_elements(By.PARTIAL_LINK_TEXT, f"Log in as {name}"))[0]
    feishu_user.navigate(element=link)
    feishu_user.wait(lambda driver: driver.current_url.split("?")[0] == portal, message="not back on the OA signed in")
    assert feishu_user.text("oa-session-name") == name and feishu_user.text("oa-session-login") == login
    feishu_user.shot("demo-oa-oidc-signed-in")
    feishu_user.navigate("oa-logout")
    assert feishu_user.css("#oa-login")


def test_qr_login_signs_the_demo_oa_in_after_a_scan(demo: YunqiaoProcess, feishu_user: Console) -> None:
    """扫码登录 (issue #16): the admin turns it on (业务集成 → 扫码登录); the demo OA's 用飞书登录 then shows Feishu's QR
    code on the bridge's QR page (the emulator's SDK in an iframe); the "phone" (the emulator's scan page in another tab)
    confirms as the user bound above, and the QR page goes on by itself: back on the OA, signed in."""
    walk = MANUAL_BIND.search(banner(demo))
    password = re.search(r"Admin login\s+user: admin\s+password: (\S+)", banner(demo))
    assert walk and password, banner(demo)
    name, login, portal = walk["name"], walk["login"], walk["portal"]

    admin = requests.Session()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', admin.get(f"{demo.base}/login", timeout=10).text)
    assert csrf
    admin.post(f"{demo.base}/login", data={"username": "admin", "password": password[1], "_csrf": csrf[1]}, timeout=10)
    settings = admin.get(f"{demo.base}/console/qr-login", timeout=10).text
    choice = re.search(r'name="(app_\d+)"><option value=""[^>]*>[^<]*</option><option value="(\d+)"', settings)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', settings)
    assert choice and csrf, settings[:2000]
    saved = admin.post(f"{demo.base}/console/qr-login", data={"_csrf": csrf[1], "enabled": "on", choice[1]: choice[2]}, timeout=10)
    assert saved.status_code == 200 and 'id="qr-enabled" checked' in saved.text, saved.text[:2000]

    feishu_user.driver.get(portal)
    if feishu_user.css("#oa-logout"):
        feishu_user.navigate("oa-logout")
    feishu_user.navigate("oa-login")
    feishu_user.wait(lambda driver: "/qr-login/" in driver.current_url, message="the OIDC sign-in did not show the QR page")
    frame = feishu_user.wait(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#qr-box iframe"))[0]
    feishu_user.driver.switch_to.frame(frame)
    scan = feishu_user.wait(lambda driver: driver.find_elements(By.ID, "emulator-scan"))[0].get_attribute("href")
    feishu_user.driver.switch_to.default_content()
    feishu_user.shot("qr-login-page")

    page = feishu_user.driver.current_window_handle
    feishu_user.driver.switch_to.new_window("tab")
    feishu_user.driver.get(scan + "&q=" + requests.utils.quote(name))
    confirm = feishu_user.wait(lambda driver: driver.find_elements(By.CSS_SELECTOR, "button.confirm"))[0]
    confirm.click()
    feishu_user.wait(lambda driver: "已在手机上确认登录" in driver.page_source, message="the phone did not confirm")
    feishu_user.driver.close()
    feishu_user.driver.switch_to.window(page)

    feishu_user.wait(lambda driver: driver.current_url.split("?")[0] == portal, timeout=20, message="the QR page did not go on to the OA")
    assert feishu_user.text("oa-session-name") == name and feishu_user.text("oa-session-login") == login
    feishu_user.shot("qr-login-signed-in")
