"""An exact org (fixtures/org.json) read through the SDK: every id, member list and field is known in advance.
Tests here do not change the org (failing writes only)."""

from __future__ import annotations

import lark_oapi as lark
import pytest
from lark_oapi.api.contact.v3 import (
    ChildrenDepartmentRequest,
    CreateUserRequest,
    DeleteDepartmentRequest,
    Department,
    FindByDepartmentUserRequest,
    GetDepartmentRequest,
    GetUserRequest,
    ListScopeRequest,
    User,
)

from support import (
    WIRE_EXCEPTIONS,
    App,
    EmulatorProcess,
    all_children,
    all_members,
    assert_ok,
    error_dict,
    raw_json,
    wire_type_problems,
)

D100_OPEN = "od-00000000000000000000000000000100"
MEMBERS = {  # direct members per department, in fixture order
    "0": ["u7", "u8"],
    "D100": ["u1", "u4"],
    "D110": ["u2", "u3"],
    "D120": ["u3", "u4"],
    "D200": ["u5", "u8"],
    "D210": ["u4", "u6"],
    "D300": [],
}


def app_named(emulator: EmulatorProcess, app_id: str) -> App:
    return next(app for app in emulator.apps if app.app_id == app_id)


def get_user(client: lark.Client, user_id: str, **types: str):
    builder = GetUserRequest.builder().user_id(user_id).user_id_type(types.get("user_id_type", "user_id"))
    if "department_id_type" in types:
        builder = builder.department_id_type(types["department_id_type"])
    resp = client.contact.v3.user.get(builder.build())
    assert_ok(resp)
    return resp


def test_tenant_and_apps(fixture_emulator: EmulatorProcess) -> None:
    state = fixture_emulator.state(org=True)
    assert state["tenant"]["name"] == "一致性测试有限公司"
    assert state["tenant"]["tenant_key"] == "c0f0a1b2c3d4e5f6"
    assert [app["app_id"] for app in state["apps"]] == ["cli_fix_a", "cli_fix_b", "cli_fix_scoped"]
    assert len(state["org"]["departments"]) == 6 and len(state["org"]["users"]) == 8
    for app in ("cli_fix_a", "cli_fix_b"):  # the app from the file and the app from --app both work
        get_user(fixture_emulator.client(app_named(fixture_emulator, app)), "u1")


def test_first_level_departments_in_order(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(0)
    children, _ = all_children(client, "0", fetch_child=False, department_id_type="department_id")
    assert [c.department_id for c in children] == ["D100", "D200", "D300"]
    assert [c.name for c in children] == ["研发中心", "销售中心", "空部门"]
    assert all(c.parent_department_id == "0" for c in children)
    assert children[0].open_department_id == D100_OPEN
    recursive, _ = all_children(client, "0", fetch_child=True, department_id_type="department_id")
    assert sorted(c.department_id for c in recursive) == ["D100", "D110", "D120", "D200", "D210", "D300"]
    below, _ = all_children(client, "D100", fetch_child=True, department_id_type="department_id")
    assert [c.department_id for c in below] == ["D110", "D120"]
    assert all(c.parent_department_id == "D100" for c in below)
    empty, pages = all_children(client, "D300", fetch_child=True, department_id_type="department_id")
    assert empty == [] and pages == 1


@pytest.mark.parametrize("department", list(MEMBERS))
def test_direct_members(fixture_emulator: EmulatorProcess, department: str) -> None:
    members, _ = all_members(fixture_emulator.client(0), department, page_size=1, department_id_type="department_id",
                             user_id_type="user_id")
    assert [m.user_id for m in members] == MEMBERS[department]


def test_user_in_three_departments(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(app_named(fixture_emulator, "cli_fix_b"))
    user = get_user(client, "u4", department_id_type="department_id").data.user
    assert sorted(user.department_ids) == ["D100", "D120", "D210"]
    assert user.leader_user_id == "u1"
    assert sorted(order.department_id for order in user.orders) == ["D100", "D120", "D210"]
    assert sum(bool(order.is_primary_dept) for order in user.orders) == 1
    by_open = get_user(client, "u4").data.user
    assert D100_OPEN in by_open.department_ids
    assert all(d.startswith("od-") for d in by_open.department_ids)
    # Directly under the root and in a department at once.
    u8 = get_user(client, "u8", department_id_type="department_id").data.user
    assert sorted(u8.department_ids) == ["0", "D200"]


def test_user_fields(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(0)
    u1 = get_user(client, "u1").data.user
    assert u1.union_id == "on_00000000000000000000000000000001"
    assert u1.open_id.startswith("ou_")
    assert (u1.name, u1.en_name, u1.email, u1.employee_no, u1.job_title) == (
        "张三", "San Zhang", "zhangsan@conformance.example", "E1001", "总监")
    assert u1.mobile == "+8613800001001"
    assert u1.gender == 1
    assert u1.status.is_frozen is False and u1.status.is_resigned is False and u1.status.is_activated is True
    # A CN mobile without +86 in the fixture comes back normalised.
    assert get_user(client, "u2").data.user.mobile == "+8613800001002"
    assert get_user(client, "u3").data.user.employee_type == 2
    assert get_user(client, "u6").data.user.status.is_frozen is True
    # leader_user_id follows user_id_type, on input and output alike.
    u2 = get_user(client, "u2").data.user
    u2_ids = {"user_id": "u2", "union_id": u2.union_id, "open_id": u2.open_id}
    for user_id_type, expected in (("user_id", "u1"), ("union_id", u1.union_id), ("open_id", u1.open_id)):
        resp = client.contact.v3.user.get(
            GetUserRequest.builder().user_id(u2_ids[user_id_type]).user_id_type(user_id_type).build())
        assert_ok(resp)
        assert resp.data.user.leader_user_id == expected


def test_department_fields(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(0)
    resp = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id("D100")
                                            .department_id_type("department_id").user_id_type("user_id").build())
    assert_ok(resp)
    department = resp.data.department
    assert (department.name, department.department_id, department.open_department_id) == ("研发中心", "D100", D100_OPEN)
    assert department.parent_department_id == "0"
    assert department.leader_user_id == "u1"
    assert [(leader.leader_type, leader.leader_id) for leader in department.leaders] == [(1, "u1")]
    body = raw_json(resp)["data"]["department"]
    assert body["order"] == "100", "order travels as a string (§3.2)"
    # lark-oapi types order as int but does not coerce: the typed value is the wire string.
    assert department.order == "100"
    assert isinstance(body["member_count"], int) and isinstance(body["primary_member_count"], int)


def test_wire_types_match_the_sdk_models(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(0)
    for user_id in ("u1", "u4", "u6", "u8"):
        body = raw_json(get_user(client, user_id, department_id_type="department_id"))["data"]["user"]
        assert wire_type_problems(body, User, "user", WIRE_EXCEPTIONS) == []
    for department_id in ("D100", "D110", "D300"):
        resp = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(department_id)
                                                .department_id_type("department_id").build())
        body = raw_json(resp)["data"]["department"]
        assert wire_type_problems(body, Department, "department", WIRE_EXCEPTIONS) == []


def test_delete_department_with_children_or_members_is_refused(fixture_emulator: EmulatorProcess) -> None:
    client = fixture_emulator.client(0)
    with_children = client.contact.v3.department.delete(
        DeleteDepartmentRequest.builder().department_id("D200").department_id_type("department_id").build())
    assert with_children.code == 40160
    assert with_children.raw.status_code == 400
    assert error_dict(with_children)["log_id"] == with_children.get_log_id()
    with_members = client.contact.v3.department.delete(
        DeleteDepartmentRequest.builder().department_id("D110").department_id_type("department_id").build())
    assert with_members.code == 40159
    root = client.contact.v3.department.delete(DeleteDepartmentRequest.builder().department_id("0").build())
    assert root.code == 40157
    unknown = client.contact.v3.department.delete(
        DeleteDepartmentRequest.builder().department_id("D999").department_id_type("department_id").build())
    assert unknown.code == 99992380
    # Nothing changed.
    children, _ = all_children(client, "0", fetch_child=True, department_id_type="department_id")
    assert len(children) == 6


@pytest.mark.parametrize(("field", "value", "code"), [
    ("mobile", "13800001001", 40101),  # u1's mobile, written without +86
    ("mobile", "+86 138 0000 1002", 40101),  # u2's
    ("email", "zhangsan@conformance.example", 40102),
    ("user_id", "u1", 40111),
])
def test_create_user_with_a_taken_value_is_refused(fixture_emulator: EmulatorProcess, field: str, value: str,
                                                   code: int) -> None:
    fields = {"name": "重复者", "mobile": "+8613900009999", "email": "fresh@conformance.example", "user_id": "u_fresh",
              "department_ids": ["D300"], "employee_type": 1}
    fields[field] = value
    user = (User.builder().name(fields["name"]).mobile(fields["mobile"]).email(fields["email"])
            .user_id(fields["user_id"]).department_ids(fields["department_ids"]).employee_type(1).build())
    resp = fixture_emulator.client(0).contact.v3.user.create(
        CreateUserRequest.builder().user_id_type("user_id").department_id_type("department_id").request_body(user)
        .build())
    assert not resp.success()
    assert resp.code == code, resp.raw.content
    assert resp.raw.status_code == 400
    assert resp.data is None
    members, _ = all_members(fixture_emulator.client(0), "D300", department_id_type="department_id")
    assert members == []


def test_an_app_with_a_limited_contact_scope(fixture_emulator: EmulatorProcess) -> None:
    """cli_fix_scoped sees D100 (with its subtree) and u5, and has no field scope for mobile/email (§3)."""
    client = fixture_emulator.client(app_named(fixture_emulator, "cli_fix_scoped"))
    scopes = client.contact.v3.scope.list(ListScopeRequest.builder().user_id_type("user_id")
                                          .department_id_type("department_id").build())
    assert_ok(scopes)
    assert (scopes.data.department_ids, scopes.data.user_ids, scopes.data.has_more) == (["D100"], ["u5"], False)

    root = client.contact.v3.department.children(ChildrenDepartmentRequest.builder().department_id("0").build())
    assert root.code == 40004
    below, _ = all_children(client, "D100", fetch_child=True, department_id_type="department_id")
    assert [d.department_id for d in below] == ["D110", "D120"]
    outside = client.contact.v3.user.find_by_department(
        FindByDepartmentUserRequest.builder().department_id("D200").department_id_type("department_id").build())
    assert outside.code == 40004

    for user_id in ("u3", "u5"):  # in a department of the scope; a single user of the scope
        user = get_user(client, user_id).data.user
        assert user.user_id == user_id
        assert user.mobile is None and user.email is None
        body = raw_json(get_user(client, user_id))["data"]["user"]
        assert "mobile" not in body and "email" not in body  # omitted, not null
    hidden = client.contact.v3.user.get(GetUserRequest.builder().user_id("u7").user_id_type("user_id").build())
    assert hidden.code == 41050
