"""Error answers as the SDK sees them: validation, not-found per id type, auth, log ids and unknown paths
(feishu-api.md §1.2–1.5, §8.4)."""

from __future__ import annotations

import lark_oapi as lark
import pytest
import requests
from lark_oapi.api.contact.v3 import (
    ChildrenDepartmentRequest,
    FindByDepartmentUserRequest,
    GetDepartmentRequest,
    GetUserRequest,
)

from support import EmulatorProcess, assert_ok, error_dict, raw_json

CHILDREN_PATH = "/open-apis/contact/v3/departments/0/children"


def test_page_size_51_is_a_field_violation(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    resp = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").page_size(51)
                                                 .build())
    assert not resp.success()
    assert resp.raw.status_code == 400
    assert resp.code == 99992402
    assert resp.data is None
    error = error_dict(resp)
    assert [v["field"] for v in error["field_violations"]] == ["page_size"]
    assert error["field_violations"][0]["value"] == "51"
    assert error["log_id"] == resp.get_log_id()
    assert error["troubleshooter"].startswith("https://")
    assert raw_json(resp)["error"] == error

    members = client.contact.v3.user.find_by_department(
        FindByDepartmentUserRequest.builder().department_id("0").page_size(51).build())
    assert members.code == 99992402
    assert error_dict(members)["field_violations"][0]["field"] == "page_size"
    # The largest allowed page is fine.
    assert_ok(client.contact.v3.user.find_by_department(
        FindByDepartmentUserRequest.builder().department_id("0").page_size(50).build()))


def test_bad_page_token_and_id_type(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    token = client.contact.v3.department.children(
        ChildrenDepartmentRequest.builder().department_id("0").fetch_child(True).page_size(2).build()).data.page_token
    assert token
    # A token belongs to its query.
    other_query = client.contact.v3.department.children(
        ChildrenDepartmentRequest.builder().department_id("0").fetch_child(False).page_size(2).page_token(token)
        .build())
    assert other_query.code == 99992402
    assert error_dict(other_query)["field_violations"][0]["field"] == "page_token"
    garbage = client.contact.v3.department.children(
        ChildrenDepartmentRequest.builder().department_id("0").page_token("garbage!").build())
    assert garbage.code == 99992402
    bad_type = client.contact.v3.user.get(GetUserRequest.builder().user_id("x").user_id_type("employee_id").build())
    assert bad_type.code == 99992402
    assert error_dict(bad_type)["field_violations"][0]["field"] == "user_id_type"


@pytest.mark.parametrize(("user_id_type", "code"),
                         [("open_id", 99992351), ("user_id", 99992360), ("union_id", 99992364)])
def test_unknown_user_per_id_type(emulator: EmulatorProcess, user_id_type: str, code: int) -> None:
    unknown = {"open_id": "ou_00000000000000000000000000000000", "user_id": "no-such-user",
               "union_id": "on_00000000000000000000000000000000"}[user_id_type]
    resp = emulator.client(0).contact.v3.user.get(GetUserRequest.builder().user_id(unknown).user_id_type(user_id_type)
                                                  .build())
    assert not resp.success()
    assert resp.code == code
    assert resp.raw.status_code == 400
    error = error_dict(resp)
    assert error["log_id"] == resp.get_log_id()
    assert error["field_violations"][0]["value"] == unknown


def test_unknown_department(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    by_open = client.contact.v3.department.children(
        ChildrenDepartmentRequest.builder().department_id("od-00000000000000000000000000000000").build())
    assert by_open.code == 99992357
    by_custom = client.contact.v3.user.find_by_department(
        FindByDepartmentUserRequest.builder().department_id("NOPE").department_id_type("department_id").build())
    assert by_custom.code == 99992380


def test_bogus_tenant_token_through_the_sdk(emulator: EmulatorProcess) -> None:
    client = emulator.client(0, set_token=True)
    option = lark.RequestOption.builder().tenant_access_token("t-bogus0000000000000000000000000000").build()
    resp = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build(), option)
    assert not resp.success()
    assert resp.code == 99991663
    assert resp.raw.status_code == 400
    assert resp.raw.headers["Content-Type"].startswith("application/json")
    assert error_dict(resp)["log_id"] == resp.get_log_id()
    # A user token the emulator never issued: 99991668 (§1.4).
    user_option = lark.RequestOption.builder().user_access_token("u-bogus").build()
    user_resp = client.contact.v3.user.get(GetUserRequest.builder().user_id("x").build(), user_option)
    assert user_resp.code == 99991668


def test_missing_token_through_the_raw_api(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET).uri(CHILDREN_PATH)
               .token_types(set()).build())
    resp = client.request(request)
    assert "Authorization" not in request.headers
    assert resp.code == 99991661
    assert resp.raw.status_code == 400
    assert resp.error["log_id"] == resp.get_log_id()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "t-abc"])
def test_missing_token_raw_http(emulator: EmulatorProcess, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    raw = requests.get(emulator.base + CHILDREN_PATH, headers=headers, timeout=10)
    assert raw.status_code == 400
    body = raw.json()
    assert body["code"] == 99991661
    assert body["error"]["log_id"] == raw.headers["X-Tt-Logid"]


def test_log_id_header_on_success_and_failure(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    ok = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())
    assert_ok(ok)
    assert ok.get_log_id() and ok.get_log_id() == ok.raw.headers["X-Tt-Logid"]
    failed = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id("0").build())
    assert failed.get_log_id() == failed.raw.headers["X-Tt-Logid"] == error_dict(failed)["log_id"]
    assert ok.get_log_id() != failed.get_log_id()
    # lark-oapi 1.7.5: get_troubleshooter() fails on the dict error object (§8.4.3); read the dict instead.
    assert error_dict(failed)["troubleshooter"].startswith("https://open.feishu.cn/")


def test_unknown_path_is_a_plain_404(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    for method, uri in ((lark.HttpMethod.GET, "/open-apis/contact/v3/no_such_thing"),
                        (lark.HttpMethod.GET, "/open-apis/contact/v3/departments/0/children/extra"),
                        (lark.HttpMethod.POST, CHILDREN_PATH)):  # a known path with the wrong method
        request = (lark.BaseRequest.builder().http_method(method).uri(uri)
                   .token_types({lark.AccessTokenType.TENANT}).build())
        resp = client.request(request)
        assert resp.code is None, uri
        assert not resp.success()
        assert resp.raw.status_code == 404
        assert resp.raw.headers["Content-Type"].startswith("text/plain")
        assert resp.raw.content == b"404 page not found"
        assert resp.get_log_id()
    # The same over plain HTTP, without any token.
    raw = requests.delete(emulator.base + "/open-apis/auth/v3/tenant_access_token/internal", timeout=10)
    assert (raw.status_code, raw.text) == (404, "404 page not found")
