"""Third-party approval (feishu-api.md §5.1–5.5) through lark-oapi: definitions, instance pushes (REPLACE and UPDATE),
the freshness check and the external task list, each built with the SDK's builders and parsed by its models; and the
quick-approval callback, decrypted with the SDK's own `AESCipher`.

Times are answered as millisecond strings (the doc's examples); lark-oapi types them int and passes strings through,
so they are listed as deliberate wire types below.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
import requests
from lark_oapi.api.approval.v4 import (
    ApprovalCreateExternal,
    ApprovalCreateViewers,
    CheckExternalInstanceRequest,
    CheckExternalInstanceRequestBody,
    CheckExternalInstanceResponseBody,
    CreateExternalApprovalRequest,
    CreateExternalApprovalResponseBody,
    CreateExternalInstanceRequest,
    CreateExternalInstanceResponseBody,
    ExteranlInstanceCheck,
    ExternalApproval,
    ExternalInstance,
    ExternalInstanceLink,
    ExternalInstanceTask,
    ExternalInstanceTaskNode,
    ActionConfig,
    GetExternalApprovalRequest,
    GetExternalApprovalResponseBody,
    I18nResource,
    I18nResourceText,
    ListExternalTaskRequest,
    ListExternalTaskRequestBody,
    ListExternalTaskResponseBody,
)
from lark_oapi.core.utils import AESCipher

from support import WIRE_EXCEPTIONS, App, EmulatorProcess, app_flags, error_dict, raw_json, start_emulator, wire_type_problems
from test_im import users
from yunqiao_process import stopped_at_exit

T0 = 1_700_000_000_000
CALLBACK_KEY = "conformance-approval-key"

#: Millisecond times travel as strings (feishu-api.md §1.9, §5.2); lark-oapi types them int.
APPROVAL_WIRE = {
    **WIRE_EXCEPTIONS,
    **{f"ExternalInstance.{name}": str for name in ("start_time", "end_time", "update_time")},
    **{f"ExternalInstanceTaskNode.{name}": str for name in ("create_time", "end_time", "update_time")},
    **{f"CcNode.{name}": str for name in ("create_time", "update_time")},
    "ExteranlInstanceCheckResponse.update_time": str, "ExternalInstanceTask.update_time": str,
    "ExternalTaskList.update_time": str, "ExternalTaskItem.update_time": str,
}


@pytest.fixture(scope="module")
def approval_emulator() -> Iterator[EmulatorProcess]:
    apps = [App("cli_conf_ap_a", "secret_ap_a"), App("cli_conf_ap_b", "secret_ap_b")]
    with stopped_at_exit(start_emulator("--rate-limit", "off", *app_flags(apps), "--users", "30", "--departments", "5",
                                        apps=apps)) as emulator:
        yield emulator


def assert_ok(resp, body_model: type) -> dict:
    """Success, and the raw `data` has the SDK model's wire types (times as strings); answers the raw data."""
    assert resp.success(), f"code={resp.code} msg={resp.msg} body={resp.raw.content[:500]!r}"
    assert resp.raw.status_code == 200
    body = raw_json(resp)
    assert body["msg"] == "success" and isinstance(body["data"], dict)
    assert wire_type_problems(body["data"], body_model, "data", APPROVAL_WIRE) == []
    return body["data"]


def locales(*texts: tuple[str, str]) -> list[I18nResource]:
    return [I18nResource.builder().locale("zh-CN").is_default(True)
            .texts([I18nResourceText.builder().key(key).value(value).build() for key, value in texts]).build()]


def definition(code: str, *, callback: str | None = None, batch: bool = False) -> ExternalApproval:
    external = (ApprovalCreateExternal.builder().biz_name("@i18n@1").biz_type("oa").create_link_pc("https://oa.example/new")
                .support_pc(True).support_mobile(True).support_batch_read(False).enable_mark_readed(False)
                .enable_quick_operate(True).allow_batch_operate(batch).action_callback_token("cb-token"))
    if callback:
        external = external.action_callback_url(callback).action_callback_key(CALLBACK_KEY)
    return (ExternalApproval.builder().approval_name("@i18n@1").approval_code(code).group_code("oa").group_name("@i18n@2")
            .description("@i18n@1").external(external.build())
            .viewers([ApprovalCreateViewers.builder().viewer_type("TENANT").build()])
            .i18n_resources(locales(("@i18n@1", "请假"), ("@i18n@2", "OA 审批"))).managers([]).build())


def create_definition(client, code: str, **options: Any) -> str:
    request = (CreateExternalApprovalRequest.builder().department_id_type("open_department_id").user_id_type("user_id")
               .request_body(definition(code, **options)).build())
    resp = client.approval.v4.external_approval.create(request)
    assert_ok(resp, CreateExternalApprovalResponseBody)
    return resp.data.approval_code


def task(task_id: str, user_id: str, *, status: str = "PENDING", update: int = T0, context: str = "") -> ExternalInstanceTaskNode:
    return (ExternalInstanceTaskNode.builder().task_id(task_id).user_id(user_id).title("@i18n@3").status(status)
            .links(ExternalInstanceLink.builder().pc_link(f"https://oa.example/task/{task_id}").build())
            .create_time(T0).end_time(0 if status == "PENDING" else update).update_time(update).action_context(context)
            .action_configs([ActionConfig.builder().action_type("APPROVE").build(),
                             ActionConfig.builder().action_type("REJECT").is_need_reason(True).build()]).build())


def push(client, code: str, instance_id: str, tasks: list[ExternalInstanceTaskNode], *, status: str = "PENDING",
         update: int = T0, mode: str = "REPLACE"):
    body = (ExternalInstance.builder().approval_code(code).instance_id(instance_id).status(status)
            .links(ExternalInstanceLink.builder().pc_link(f"https://oa.example/req/{instance_id}")
                   .mobile_link(f"https://oa.example/m/{instance_id}").build())
            .title("@i18n@1").user_name("@i18n@2").start_time(T0).end_time(0).update_time(update).update_mode(mode)
            .task_list(tasks).i18n_resources(locales(("@i18n@1", "张三的请假"), ("@i18n@2", "张三"), ("@i18n@3", "审批")))
            .build())
    return client.approval.v4.external_instance.create(CreateExternalInstanceRequest.builder().request_body(body).build())


def list_tasks(client, body: ListExternalTaskRequestBody, page_size: int | None = None, token: str | None = None):
    builder = ListExternalTaskRequest.builder().request_body(body)
    if page_size:
        builder = builder.page_size(page_size)
    if token:
        builder = builder.page_token(token)
    return client.approval.v4.external_task.list(builder.build())


def test_a_definition_gets_a_new_code_and_is_updated_with_it(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(0)
    code = create_definition(client, "oa-leave")
    assert code != "oa-leave" and code == code.upper() and len(code) == 36
    again = (CreateExternalApprovalRequest.builder().request_body(definition(code, batch=True)).build())
    resp = client.approval.v4.external_approval.create(again)
    assert_ok(resp, CreateExternalApprovalResponseBody)
    assert resp.data.approval_code == code

    got = client.approval.v4.external_approval.get(
        GetExternalApprovalRequest.builder().approval_code(code).user_id_type("user_id").build())
    data = assert_ok(got, GetExternalApprovalResponseBody)
    assert got.data.approval_code == code and got.data.approval_name == "@i18n@1" and got.data.group_code == "oa"
    assert got.data.external.allow_batch_operate is True and got.data.external.enable_quick_operate is True
    assert got.data.i18n_resources[0].texts[0].key == "@i18n@1" and got.data.viewers[0].viewer_type == "TENANT"
    assert data["external"]["action_callback_token"] == "cb-token"

    # Another app owns nothing of it.
    other = approval_emulator.client(1)
    missing = other.approval.v4.external_approval.get(GetExternalApprovalRequest.builder().approval_code(code).build())
    assert missing.code == 1390002 and missing.raw.status_code == 400
    assert error_dict(missing)["field_violations"][0]["field"] == "approval_code"


def test_bad_input_is_1390001_naming_the_field(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(0)
    body = definition("bad")
    body.approval_name = None
    resp = client.approval.v4.external_approval.create(CreateExternalApprovalRequest.builder().request_body(body).build())
    assert resp.code == 1390001 and "approval_name" in resp.msg
    assert error_dict(resp)["field_violations"][0]["field"] == "approval_name"

    code = create_definition(client, "for-bad-tasks")
    resp = push(client, code, "bad-1", [task("t1", "nobody-here")])
    assert resp.code == 1390001 and resp.raw.status_code == 400
    assert error_dict(resp)["field_violations"][0]["field"] == "task_list[0].user_id"


def test_an_instance_push_is_echoed_and_updated(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(0)
    people = users(approval_emulator)
    approver, other = people[0]["user_id"], people[1]["user_id"]
    code = create_definition(client, "oa-travel")

    resp = push(client, code, "oa-1001", [task("oa-1001-t1", approver, context="ctx"), task("oa-1001-t2", other)])
    data = assert_ok(resp, CreateExternalInstanceResponseBody)
    echo = resp.data.data
    assert isinstance(echo, ExternalInstance)
    assert echo.instance_id == "oa-1001" and echo.approval_code == code and echo.status == "PENDING"
    assert [t.task_id for t in echo.task_list] == ["oa-1001-t1", "oa-1001-t2"]
    assert isinstance(echo.task_list[0], ExternalInstanceTaskNode) and echo.task_list[0].action_context == "ctx"
    assert echo.task_list[0].action_configs[1].is_need_reason is True
    assert data["data"]["update_time"] == str(T0)

    # UPDATE: the task turns to done; the other stays.
    resp = push(client, code, "oa-1001", [task("oa-1001-t1", approver, status="APPROVED", update=T0 + 500)],
                status="APPROVED", update=T0 + 500, mode="UPDATE")
    assert_ok(resp, CreateExternalInstanceResponseBody)
    assert resp.data.data.status == "APPROVED"
    listed = list_tasks(client, ListExternalTaskRequestBody.builder().instance_ids(["oa-1001"]).build())
    assert_ok(listed, ListExternalTaskResponseBody)
    item = listed.data.data[0]
    assert item.instance_id == "oa-1001" and item.status == "APPROVED" and item.approval_code == code
    assert {t.id: t.status for t in item.tasks} == {"oa-1001-t1": "APPROVED", "oa-1001-t2": "PENDING"}

    # A stale REPLACE changes nothing; a newer one without t2 deletes it.
    stale = push(client, code, "oa-1001", [], status="REJECTED", update=T0 + 100)
    assert_ok(stale, CreateExternalInstanceResponseBody)
    assert stale.data.data.status == "APPROVED" and len(stale.data.data.task_list) == 2
    replaced = push(client, code, "oa-1001", [task("oa-1001-t1", approver, status="APPROVED", update=T0 + 900)],
                    status="APPROVED", update=T0 + 900)
    assert [t.task_id for t in replaced.data.data.task_list] == ["oa-1001-t1"]
    held = requests.get(f"{approval_emulator.base}/_emulator/approval/instances",
                        params={"app_id": approval_emulator.apps[0].app_id}, timeout=10).json()["items"]
    mine = next(i for i in held if i["instance_id"] == "oa-1001")
    assert mine["pushes"] == 4 and mine["applied"] == 3 and mine["title"] == "张三的请假"


def test_check_lists_what_feishu_lacks(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(0)
    approver = users(approval_emulator)[2]["user_id"]
    code = create_definition(client, "oa-check")
    assert_ok(push(client, code, "chk-1", [task("chk-1-t", approver)], update=T0 + 10), CreateExternalInstanceResponseBody)

    def check(*instances: ExteranlInstanceCheck):
        body = CheckExternalInstanceRequestBody.builder().instances(list(instances)).build()
        return client.approval.v4.external_instance.check(CheckExternalInstanceRequest.builder().request_body(body).build())

    def entry(instance_id: str, update: int, tasks: list[tuple[str, int]]) -> ExteranlInstanceCheck:
        return (ExteranlInstanceCheck.builder().instance_id(instance_id).update_time(update)
                .tasks([ExternalInstanceTask.builder().task_id(t).update_time(u).build() for t, u in tasks]).build())

    resp = check(entry("chk-1", T0 + 10, [("chk-1-t", T0)]), entry("chk-1", T0 + 20, []), entry("chk-404", T0, [("x", T0)]))
    assert_ok(resp, CheckExternalInstanceResponseBody)
    diff = resp.data.diff_instances
    assert [(d.instance_id, d.update_time) for d in diff] == [("chk-1", str(T0 + 20)), ("chk-404", str(T0))]
    assert [(t.task_id, t.update_time) for t in diff[1].tasks] == [("x", str(T0))]

    requests.post(f"{approval_emulator.base}/_emulator/approval/forget", json={"instance_id": "chk-1"}, timeout=10).raise_for_status()
    again = check(entry("chk-1", T0 + 10, []))
    assert_ok(again, CheckExternalInstanceResponseBody)
    assert [d.instance_id for d in again.data.diff_instances] == ["chk-1"]


def test_external_tasks_are_paged_with_a_body_on_get(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(1)
    people = users(approval_emulator, 1)
    code = create_definition(client, "oa-list")
    for index in range(3):
        assert_ok(push(client, code, f"lst-{index}", [task(f"lst-{index}-t", people[3]["user_id"])]), CreateExternalInstanceResponseBody)
    body = ListExternalTaskRequestBody.builder().approval_codes([code]).user_ids([people[3]["open_id"]]).status("PENDING").build()
    first = list_tasks(client, body, page_size=2)
    assert_ok(first, ListExternalTaskResponseBody)
    assert [i.instance_id for i in first.data.data] == ["lst-0", "lst-1"] and first.data.has_more is True
    rest = list_tasks(client, body, page_size=2, token=first.data.page_token)
    assert_ok(rest, ListExternalTaskResponseBody)
    assert [i.instance_id for i in rest.data.data] == ["lst-2"] and rest.data.has_more is False
    assert rest.data.data[0].approval_id and rest.data.data[0].tasks[0].id == "lst-2-t"


@contextmanager
def receiver(answer: bytes = b'{"code":0}') -> Iterator[tuple[str, list[dict]]]:
    """An HTTP server on 127.0.0.1 that records every POST and answers `answer`."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append({"headers": dict(self.headers.items()), "body": body})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/approval/callback", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_quick_approval_decrypts_with_the_sdks_cipher(approval_emulator: EmulatorProcess) -> None:
    client = approval_emulator.client(0)
    person = users(approval_emulator)[4]
    with receiver() as (url, seen):
        code = create_definition(client, "oa-quick", callback=url)
        assert_ok(push(client, code, "q-1", [task("q-1-t", person["user_id"], context="row=7")]), CreateExternalInstanceResponseBody)
        center = requests.get(f"{approval_emulator.base}/_emulator/approval/center", params={"user": person["union_id"]},
                              timeout=10).json()["items"]
        assert [(i["task_id"], i["quick_actions"]) for i in center] == [("q-1-t", ["APPROVE", "REJECT"])]
        tap = approval_emulator.admin_post("approval/action", {"user": person["open_id"], "instance_id": "q-1",
                                                               "task_id": "q-1-t", "action_type": "REJECT", "reason": "预算不足"})
    assert tap["status"] == 200 and tap["error"] is None, tap
    assert len(seen) == 1 and seen[0]["headers"]["Content-Type"].startswith("application/json")
    outer = json.loads(seen[0]["body"])
    assert list(outer) == ["encrypt"]
    plain = json.loads(AESCipher(CALLBACK_KEY).decrypt_str(outer["encrypt"]))
    assert plain == tap["sent"] == {"action_type": "REJECT", "action_context": "row=7", "user_id": person["user_id"],
                                    "approval_code": code, "instance_id": "q-1", "task_id": "q-1-t", "reason": "预算不足",
                                    "token": "cb-token"}
