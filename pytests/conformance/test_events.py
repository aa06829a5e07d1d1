"""Contact events out of the emulator (feishu-api.md §3.7, §6; feishu-longconn.md) as lark-oapi 1.7.5 receives them:
`EventDispatcherHandler` behind a plain HTTP server verifies, decrypts and dispatches what is pushed to an event request
URL, and the SDK's long-connection client (`lark.ws.Client`, in a subprocess: it never returns) connects to the
emulator, receives events, acks them, and comes back after the emulator closes its connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import lark_oapi as lark
import pytest
from lark_oapi.api.contact.v3 import PatchUserRequest, User

from support import App, EmulatorProcess, app_flags, assert_ok, start_emulator
from test_contact_write import create_department, create_user, delete_user
from test_im_callbacks import serving
from yunqiao_process import stopped_at_exit

ENCRYPT_KEY = "events-encrypt-key"
VERIFICATION_TOKEN = "vt-events"
APPS = [App("cli_conf_events_http", "secret_events_http"), App("cli_conf_events_ws", "secret_events_ws")]


@pytest.fixture(scope="module")
def events_emulator() -> Iterator[EmulatorProcess]:
    """Its own instance: contact changes here reach only these apps' subscribers."""
    with stopped_at_exit(start_emulator("--rate-limit", "off", *app_flags(APPS), "--users", "20", "--departments", "4",
                                        apps=APPS)) as emulator:
        emulator.admin_put("events/settings", {"retry_schedule_ms": [200, 400]})
        yield emulator


def wait_for(what: str, condition, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_events_pass_the_sdks_dispatcher_encrypted_and_signed(events_emulator: EmulatorProcess) -> None:
    app = APPS[0]
    seen: list[tuple[str, Any]] = []
    handler = (lark.EventDispatcherHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN, lark.LogLevel.CRITICAL)
               .register_p2_contact_user_created_v3(lambda d: seen.append(("created", d)))
               .register_p2_contact_user_updated_v3(lambda d: seen.append(("updated", d)))
               .register_p2_contact_user_deleted_v3(lambda d: seen.append(("deleted", d)))
               .register_p2_contact_department_created_v3(lambda d: seen.append(("department", d)))
               .build())
    client = events_emulator.client(0)
    with serving(handler) as (url, requests_seen):
        events_emulator.admin_put(f"apps/{app.app_id}/callback", {"verification_token": VERIFICATION_TOKEN, "encrypt_key": ENCRYPT_KEY})
        # Setting the URL sends the challenge, which the SDK answers.
        events_emulator.admin_put(f"apps/{app.app_id}/events", {"url": url})
        assert json.loads(requests_seen[0]["body"]).keys() == {"encrypt"}
        department = create_department(client, f"事件部-{uuid.uuid4().hex[:6]}", custom_id=f"EV{uuid.uuid4().hex[:6]}")
        assert_ok(department)
        user_id = f"ev{uuid.uuid4().hex[:8]}"
        assert_ok(create_user(client, [department.data.department.department_id], user_id=user_id, name="事件用户"))
        assert_ok(client.contact.v3.user.patch(PatchUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                               .request_body(User.builder().job_title("测试工程师").build()).build()))
        assert_ok(delete_user(client, user_id))
        wait_for("four events", lambda: len(seen) >= 4)
        events_emulator.admin_put(f"apps/{app.app_id}/events", {"url": None})

    kinds = [kind for kind, _ in seen]
    assert kinds == ["department", "created", "updated", "deleted"], kinds
    created, updated, deleted = seen[1][1], seen[2][1], seen[3][1]
    assert created.header.token == VERIFICATION_TOKEN and created.header.app_id == app.app_id
    assert created.event.object.user_id == user_id and created.event.object.name == "事件用户"
    assert created.event.object.department_ids == [seen[0][1].event.object.open_department_id]
    assert updated.event.object.job_title == "测试工程师" and updated.event.old_object.job_title == ""
    assert deleted.event.object.status.is_resigned is True
    assert deleted.event.old_object.department_ids == created.event.object.department_ids
    ids = [event.header.event_id for _, event in seen]
    assert len(set(ids)) == 4
    times = [int(event.header.create_time) for _, event in seen]
    assert times == sorted(times)
    # Every push carried the SDK's header names and a signature it accepted.
    for request in requests_seen[1:]:
        assert {"X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"} <= set(request["headers"])


WS_CLIENT = textwrap.dedent("""
    import json, sys
    import lark_oapi as lark
    def on_user(data):
        print(json.dumps({"event": data.header.event_type, "user_id": data.event.object.user_id,
                          "job_title": data.event.object.job_title}), flush=True)
    handler = (lark.EventDispatcherHandler.builder("", "", lark.LogLevel.CRITICAL)
               .register_p2_contact_user_created_v3(on_user).register_p2_contact_user_updated_v3(on_user).build())
    lark.ws.Client(sys.argv[1], sys.argv[2], event_handler=handler, domain=sys.argv[3], log_level=lark.LogLevel.ERROR).start()
""")


def test_the_sdks_long_connection_client_receives_events_and_comes_back(events_emulator: EmulatorProcess, tmp_path: Path) -> None:
    app = APPS[1]
    events_emulator.admin_put("long-connections/settings", {"ping_interval": 1, "reconnect_interval": 1, "reconnect_nonce": 0,
                                                             "fragment_bytes": 256 * 1024})
    script = tmp_path / "ws_client.py"
    script.write_text(WS_CLIENT)
    out = open(tmp_path / "out.txt", "w+")
    environment = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    process = subprocess.Popen([sys.executable, str(script), app.app_id, app.app_secret, events_emulator.base],
                               stdout=out, stderr=subprocess.STDOUT, env=environment)
    try:
        def connections() -> list[dict]:
            return [c for c in events_emulator.admin_get("long-connections")["connections"] if c["app_id"] == app.app_id]

        first = wait_for("the SDK connected", lambda: connections())[0]
        client = events_emulator.client(1)
        user_id = f"ws{uuid.uuid4().hex[:8]}"
        assert_ok(create_user(client, ["0"], user_id=user_id, name="长连接用户"))

        def lines() -> list[dict]:
            out.flush()
            return [json.loads(line) for line in Path(out.name).read_text().splitlines() if line.startswith("{")]

        wait_for("the created event", lambda: any(line["user_id"] == user_id for line in lines()))
        counters = events_emulator.admin_get("events", app_id=app.app_id)["counters"][app.app_id]
        assert counters["delivered"] >= 1 and counters["failed_attempts"] == 0, counters
        wait_for("pings answered", lambda: connections() and connections()[0]["pings"] >= 2)

        # Fragmented pushes are put back together by the SDK.
        events_emulator.admin_put("long-connections/settings", {"fragment_bytes": 64})
        assert_ok(client.contact.v3.user.patch(PatchUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                               .request_body(User.builder().job_title("分片").build()).build()))
        wait_for("the fragmented event", lambda: any(line.get("job_title") == "分片" for line in lines()))
        events_emulator.admin_put("long-connections/settings", {"fragment_bytes": 256 * 1024})

        # The emulator closes the connection: the SDK fetches a new URL and connects again.
        events_emulator.admin_post("long-connections/close", {"app_id": app.app_id})
        again = wait_for("the SDK reconnected", lambda: [c for c in connections() if c["device_id"] != first["device_id"]])
        assert len(again) == 1
        assert_ok(client.contact.v3.user.patch(PatchUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                               .request_body(User.builder().job_title("重连").build()).build()))
        wait_for("an event after the reconnect", lambda: any(line.get("job_title") == "重连" for line in lines()))
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()
