"""Creating, changing and deleting departments and users through the SDK (feishu-api.md §3.3–3.6).
Runs against the generated org; every test makes its own departments/users with unique names and ids."""

from __future__ import annotations

import itertools
import uuid

import lark_oapi as lark
import pytest
from lark_oapi.api.contact.v3 import (
    CreateDepartmentRequest,
    CreateUserRequest,
    DeleteDepartmentRequest,
    DeleteUserRequest,
    DeleteUserRequestBody,
    Department,
    DepartmentI18nName,
    GetDepartmentRequest,
    GetUserRequest,
    PatchDepartmentRequest,
    PatchUserRequest,
    ResourceAcceptor,
    ResurrectUserRequest,
    ResurrectUserRequestBody,
    UpdateDepartmentIdDepartmentRequest,
    UpdateDepartmentIdDepartmentRequestBody,
    UpdateDepartmentRequest,
    UpdateUserIdUserRequest,
    UpdateUserIdUserRequestBody,
    UpdateUserRequest,
    User,
    UserDepartmentInfo,
)

from support import (
    WIRE_EXCEPTIONS,
    EmulatorProcess,
    all_children,
    all_members,
    assert_ok,
    error_dict,
    raw_json,
    wire_type_problems,
)

_mobiles = itertools.count(13_955_500_001)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_department(client: lark.Client, name: str, parent: str = "0", *, custom_id: str | None = None,
                      order: int | str | None = None, client_token: str | None = None):
    department = Department.builder().name(name).parent_department_id(parent)
    if custom_id:
        department = department.department_id(custom_id)
    if order is not None:
        department = department.order(order)
    builder = (CreateDepartmentRequest.builder().department_id_type("department_id").user_id_type("user_id")
               .request_body(department.build()))
    if client_token:
        builder = builder.client_token(client_token)
    return client.contact.v3.department.create(builder.build())


def create_user(client: lark.Client, departments: list[str], *, user_id: str | None = None, name: str = "测试用户",
                client_token: str | None = None, **extra):
    user = (User.builder().name(name).mobile(str(next(_mobiles))).department_ids(departments).employee_type(1)
            .email(f"{uuid.uuid4().hex[:10]}@conformance.example"))
    if user_id:
        user = user.user_id(user_id)
    for key, value in extra.items():
        user = getattr(user, key)(value)
    builder = (CreateUserRequest.builder().user_id_type("user_id").department_id_type("department_id")
               .request_body(user.build()))
    if client_token:
        builder = builder.client_token(client_token)
    return client.contact.v3.user.create(builder.build())


def delete_user(client: lark.Client, user_id: str, body: DeleteUserRequestBody | None = None):
    builder = DeleteUserRequest.builder().user_id(user_id).user_id_type("user_id")
    if body is not None:
        builder = builder.request_body(body)
    return client.contact.v3.user.delete(builder.build())


def delete_department(client: lark.Client, department_id: str):
    return client.contact.v3.department.delete(
        DeleteDepartmentRequest.builder().department_id(department_id).department_id_type("department_id").build())


def get_user(client: lark.Client, user_id: str):
    return client.contact.v3.user.get(GetUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                      .department_id_type("department_id").build())


def test_department_lifecycle(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    custom = unique("CONF")
    order = 7_000_000 + uuid.uuid4().int % 1_000_000  # an int, as lark-oapi's Department.order is typed
    created = create_department(client, unique("一致性部门"), custom_id=custom, order=order)
    assert_ok(created)
    department = created.data.department
    assert department.department_id == custom
    assert department.order == str(order)
    assert department.open_department_id.startswith("od-")
    assert department.parent_department_id == "0"
    body = raw_json(created)["data"]["department"]
    assert body["order"] == str(order)
    assert wire_type_problems(body, Department, "department", WIRE_EXCEPTIONS) == []

    # Visible among the root's children, with parent "0" and a string order.
    children, _ = all_children(client, "0", fetch_child=False, department_id_type="department_id")
    mine = [c for c in children if c.department_id == custom]
    assert len(mine) == 1 and mine[0].parent_department_id == "0"
    state = {d["department_id"]: d for d in emulator.state()["org"]["departments"]}
    assert state[custom]["open_department_id"] == department.open_department_id

    # Patch: name, i18n name, order (as a string, like the docs show) and leader.
    leader = emulator.state()["org"]["users"][0]
    new_name = unique("改名部门")
    patch = (Department.builder().name(new_name).order("98765").leader_user_id(leader["user_id"])
             .i18n_name(DepartmentI18nName.builder().zh_cn(new_name).en_us("Renamed").build()).build())
    patched = client.contact.v3.department.patch(
        PatchDepartmentRequest.builder().department_id(custom).department_id_type("department_id")
        .user_id_type("user_id").request_body(patch).build())
    assert_ok(patched)
    assert patched.data.department.name == new_name
    assert raw_json(patched)["data"]["department"]["order"] == "98765"
    assert patched.data.department.leader_user_id == leader["user_id"]
    assert patched.data.department.i18n_name.en_us == "Renamed"
    got = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(department.open_department_id)
                                           .build())
    assert_ok(got)
    assert got.data.department.name == new_name
    assert got.data.department.leader_user_id == leader["open_ids"]["cli_conf_a"]  # default user_id_type open_id

    # Delete, then it is gone for both id types.
    deleted = delete_department(client, custom)
    assert_ok(deleted)
    assert raw_json(deleted)["code"] == 0
    gone = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(department.open_department_id)
                                            .build())
    assert gone.code == 99992357
    gone_custom = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(custom)
                                                   .department_id_type("department_id").build())
    assert gone_custom.code == 99992380
    assert custom not in {d["department_id"] for d in emulator.state()["org"]["departments"]}


def test_department_update_moves_it(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    first, second = unique("CONF"), unique("CONF")
    assert_ok(create_department(client, unique("甲"), custom_id=first))
    assert_ok(create_department(client, unique("乙"), custom_id=second))
    name = unique("乙改")
    updated = client.contact.v3.department.update(
        UpdateDepartmentRequest.builder().department_id(second).department_id_type("department_id")
        .request_body(Department.builder().name(name).parent_department_id(first).build()).build())
    assert_ok(updated)
    assert updated.data.department.parent_department_id == first
    children, _ = all_children(client, first, fetch_child=False, department_id_type="department_id")
    assert [c.department_id for c in children] == [second]
    # A department cannot move under itself.
    loop = client.contact.v3.department.patch(
        PatchDepartmentRequest.builder().department_id(first).department_id_type("department_id")
        .request_body(Department.builder().parent_department_id(second).build()).build())
    assert not loop.success()
    for department in (second, first):
        assert_ok(delete_department(client, department))


def test_department_create_is_idempotent_per_client_token(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    token = str(uuid.uuid4())
    name = unique("幂等部门")
    first = create_department(client, name, client_token=token)
    second = create_department(client, name, client_token=token)
    assert_ok(first)
    assert_ok(second)
    assert first.data.department.open_department_id == second.data.department.open_department_id
    assert sum(d["name"] == name for d in emulator.state()["org"]["departments"]) == 1
    # Without the token, the same name under the same parent is a sibling-name conflict.
    clash = create_department(client, name)
    assert clash.code == 40153
    assert error_dict(clash)["field_violations"][0]["field"] == "name"


def test_delete_department_with_children_or_members(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    parent, child = unique("CONF"), unique("CONF")
    assert_ok(create_department(client, unique("父部门"), custom_id=parent))
    assert_ok(create_department(client, unique("子部门"), parent=parent, custom_id=child))
    user_id = unique("cu")
    assert_ok(create_user(client, [child], user_id=user_id))

    has_children = delete_department(client, parent)
    assert has_children.code == 40160
    assert has_children.raw.status_code == 400
    has_members = delete_department(client, child)
    assert has_members.code == 40159

    # Resigning the only member empties the department; then both can go.
    assert_ok(delete_user(client, user_id))
    for department in (child, parent):
        assert_ok(delete_department(client, department))


def test_user_lifecycle(emulator: EmulatorProcess) -> None:
    client_a, client_b = emulator.client(0), emulator.client(1)
    department = unique("CONF")
    assert_ok(create_department(client_a, unique("用户部门"), custom_id=department))
    org = emulator.state()["org"]
    other = next(d["department_id"] for d in org["departments"] if d["department_id"].startswith("D"))
    leader = next(u for u in org["users"] if not u["is_resigned"])
    user_id = unique("cu")

    created = create_user(client_a, [department, other], user_id=user_id, name="新同事", en_name="New Colleague",
                          leader_user_id=leader["user_id"], join_time=1_700_000_000, job_title="工程师",
                          employee_no="C0001", gender=2)
    assert_ok(created)
    user = created.data.user
    assert user.user_id == user_id
    assert user.open_id.startswith("ou_") and user.union_id.startswith("on_")
    assert user.department_ids == [department, other]
    assert user.leader_user_id == leader["user_id"]
    assert (user.name, user.en_name, user.join_time, user.gender) == ("新同事", "New Colleague", 1_700_000_000, 2)
    assert user.mobile.startswith("+86")
    assert wire_type_problems(raw_json(created)["data"]["user"], User, "user") == []

    # Both apps see the new user: different open_ids, same union_id.
    seen_b = get_user(client_b, user_id)
    assert_ok(seen_b)
    assert seen_b.data.user.union_id == user.union_id
    assert seen_b.data.user.open_id != user.open_id
    members, _ = all_members(client_a, department, department_id_type="department_id", user_id_type="user_id")
    assert [m.user_id for m in members] == [user_id]
    members_other, _ = all_members(client_a, other, department_id_type="department_id", user_id_type="user_id")
    assert user_id in [m.user_id for m in members_other]

    # Patch: freeze, then unfreeze (is_frozen is a write-only flag; status.is_frozen shows it).
    frozen = client_a.contact.v3.user.patch(PatchUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                            .request_body(User.builder().is_frozen(True).build()).build())
    assert_ok(frozen)
    assert frozen.data.user.status.is_frozen is True
    assert get_user(client_a, user_id).data.user.status.is_frozen is True
    assert next(u for u in emulator.state()["org"]["users"] if u["user_id"] == user_id)["is_frozen"] is True
    thawed = client_a.contact.v3.user.patch(PatchUserRequest.builder().user_id(user.open_id)
                                            .request_body(User.builder().is_frozen(False).build()).build())
    assert_ok(thawed)
    assert get_user(client_a, user_id).data.user.status.is_frozen is False

    # Patch by union_id: name and departments; unspecified fields stay.
    moved = client_a.contact.v3.user.patch(
        PatchUserRequest.builder().user_id(user.union_id).user_id_type("union_id").department_id_type("department_id")
        .request_body(User.builder().name("改名同事").department_ids([department]).build()).build())
    assert_ok(moved)
    assert moved.data.user.name == "改名同事"
    assert moved.data.user.department_ids == [department]
    assert moved.data.user.en_name == "New Colleague"
    members_other, _ = all_members(client_a, other, department_id_type="department_id", user_id_type="user_id")
    assert user_id not in [m.user_id for m in members_other]

    # Full update (PUT) needs the required fields.
    update = (User.builder().name("全量更新").mobile(str(next(_mobiles))).department_ids([department])
              .employee_type(2).build())
    updated = client_a.contact.v3.user.update(UpdateUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                              .department_id_type("department_id").request_body(update).build())
    assert_ok(updated)
    assert (updated.data.user.name, updated.data.user.employee_type) == ("全量更新", 2)
    incomplete = client_a.contact.v3.user.update(UpdateUserRequest.builder().user_id(user_id).user_id_type("user_id")
                                                 .request_body(User.builder().name("x").build()).build())
    assert incomplete.code == 99992402

    # Delete with a resource-transfer body.
    acceptor = leader["user_id"]
    email = ResourceAcceptor.builder().processing_type(1).acceptor_user_id(acceptor).build()
    transfer = (DeleteUserRequestBody.builder().docs_acceptor_user_id(acceptor).calendar_acceptor_user_id(acceptor)
                .department_chat_acceptor_user_id(acceptor).minutes_acceptor_user_id(acceptor)
                .email_acceptor(email).build())
    deleted = delete_user(client_a, user_id, transfer)
    assert_ok(deleted)
    resigned = get_user(client_a, user_id)
    assert_ok(resigned)
    assert resigned.data.user.status.is_resigned is True
    members, _ = all_members(client_a, department, department_id_type="department_id")
    assert members == []
    assert next(u for u in emulator.state()["org"]["users"] if u["user_id"] == user_id)["is_resigned"] is True
    again = delete_user(client_a, user_id)
    assert not again.success()
    assert_ok(delete_department(client_a, department))


def test_delete_user_with_an_invalid_acceptor(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    org = emulator.state()["org"]
    department = next(d["department_id"] for d in org["departments"])
    user_id = unique("cu")
    assert_ok(create_user(client, [department], user_id=user_id))
    body = DeleteUserRequestBody.builder().docs_acceptor_user_id(user_id).build()  # oneself
    refused = delete_user(client, user_id, body)
    assert refused.code == 40138
    assert error_dict(refused)["field_violations"][0]["field"] == "docs_acceptor_user_id"
    assert get_user(client, user_id).data.user.status.is_resigned is False
    assert_ok(delete_user(client, user_id))


def test_user_create_is_idempotent_per_client_token(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    department = next(d["department_id"] for d in emulator.state()["org"]["departments"])
    token = str(uuid.uuid4())
    user_id = unique("cu")
    first = create_user(client, [department], user_id=user_id, client_token=token)
    second = create_user(client, [department], user_id=user_id, client_token=token)
    assert_ok(first)
    assert_ok(second)
    assert first.data.user.open_id == second.data.user.open_id
    assert sum(u["user_id"] == user_id for u in emulator.state()["org"]["users"]) == 1
    third = create_user(client, [department], user_id=user_id)
    assert third.code == 40111


@pytest.mark.parametrize(("field", "code"), [("mobile", 40101), ("email", 40102), ("user_id", 40111)])
def test_duplicate_values_on_create(emulator: EmulatorProcess, field: str, code: int) -> None:
    org = emulator.state()["org"]
    existing = next(u for u in org["users"] if not u["is_resigned"])
    department = org["departments"][0]["department_id"]
    value = {"mobile": existing["mobile"].removeprefix("+86"), "email": existing["email"].upper(),
             "user_id": existing["user_id"]}[field]
    fields = {"user_id": unique("cu"), field: value}
    resp = create_user(emulator.client(0), [department], **fields)
    assert resp.code == code, resp.raw.content
    assert resp.raw.status_code == 400
    assert error_dict(resp)["log_id"] == resp.get_log_id()
    assert len(emulator.state()["org"]["users"]) == len(org["users"])


def test_invalid_user_input(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    department = emulator.state()["org"]["departments"][0]["department_id"]
    bad_mobile = create_user(client, [department], mobile="12345")
    assert bad_mobile.code == 40104
    bad_email = create_user(client, [department], email="not-an-email")
    assert bad_email.code == 40106
    bad_type = create_user(client, [department], employee_type=9)
    assert bad_type.code == 41059
    unknown_department = create_user(client, ["NO-SUCH-DEPT"])
    assert unknown_department.code == 99992380
    missing = client.contact.v3.user.create(CreateUserRequest.builder().request_body(User.builder().name("x").build())
                                            .build())
    assert missing.code == 99992402
    assert error_dict(missing)["field_violations"][0]["field"] in {"mobile", "employee_type", "department_ids"}


def test_resurrect_a_resigned_user(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    department = unique("CONF")
    assert_ok(create_department(client, unique("复职部门"), custom_id=department))
    user_id = unique("cu")
    created = create_user(client, [department], user_id=user_id)
    assert_ok(created)
    not_resigned = client.contact.v3.user.resurrect(
        ResurrectUserRequest.builder().user_id(user_id).user_id_type("user_id").request_body(
            ResurrectUserRequestBody.builder().build()).build())
    assert not not_resigned.success()
    assert_ok(delete_user(client, user_id))

    # lark-oapi types UserDepartmentInfo.department_id as int; a custom id string goes through unchanged.
    body = ResurrectUserRequestBody.builder().departments(
        [UserDepartmentInfo.builder().department_id(department).build()]).build()
    resp = client.contact.v3.user.resurrect(ResurrectUserRequest.builder().user_id(created.data.user.open_id)
                                            .department_id_type("department_id").request_body(body).build())
    assert_ok(resp)
    back = get_user(client, user_id)
    assert back.data.user.status.is_resigned is False
    assert back.data.user.department_ids == [department]
    assert back.data.user.open_id == created.data.user.open_id
    members, _ = all_members(client, department, department_id_type="department_id", user_id_type="user_id")
    assert [m.user_id for m in members] == [user_id]
    assert_ok(delete_user(client, user_id))
    assert_ok(delete_department(client, department))


def test_a_full_tenant_refuses_new_users_with_the_seat_limit(emulator: EmulatorProcess) -> None:
    """40107: every licensed seat is taken (resigned users free theirs); creating or resurrecting one more is refused,
    a create answered so keeps its client_token free for a retry once a seat is free."""
    client = emulator.client(0)
    department = emulator.state()["org"]["departments"][0]["department_id"]
    resigned_id = unique("cu")
    assert_ok(create_user(client, [department], user_id=resigned_id))
    assert_ok(delete_user(client, resigned_id))
    taken = emulator.admin_put("seats", {"seats": 0})["taken"]
    try:
        emulator.admin_put("seats", {"seats": taken})
        token = str(uuid.uuid4())
        full = create_user(client, [department], user_id=unique("cu"), client_token=token)
        assert full.code == 40107, full.raw.content
        assert full.raw.status_code == 400
        assert error_dict(full)["log_id"] == full.get_log_id()
        assert emulator.state()["seats"] == {"limit": taken, "taken": taken}
        back = client.contact.v3.user.resurrect(ResurrectUserRequest.builder().user_id(resigned_id).user_id_type("user_id")
                                                .request_body(ResurrectUserRequestBody.builder().build()).build())
        assert back.code == 40107, back.raw.content

        emulator.admin_put("seats", {"seats": taken + 1})
        retried = create_user(client, [department], user_id=unique("cu"), client_token=token)
        assert_ok(retried)
        assert emulator.state()["seats"]["taken"] == taken + 1
        assert_ok(delete_user(client, retried.data.user.user_id))
    finally:
        emulator.admin_put("seats", {"seats": None})


def test_change_custom_user_id_once(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    department = emulator.state()["org"]["departments"][0]["department_id"]
    old_id, new_id = unique("cu"), unique("cu")
    created = create_user(client, [department], user_id=old_id)
    assert_ok(created)
    resp = client.contact.v3.user.update_user_id(
        UpdateUserIdUserRequest.builder().user_id(old_id).user_id_type("user_id")
        .request_body(UpdateUserIdUserRequestBody.builder().new_user_id(new_id).build()).build())
    assert_ok(resp)
    assert get_user(client, new_id).data.user.union_id == created.data.user.union_id
    assert get_user(client, old_id).code == 99992360
    again = client.contact.v3.user.update_user_id(
        UpdateUserIdUserRequest.builder().user_id(new_id).user_id_type("user_id")
        .request_body(UpdateUserIdUserRequestBody.builder().new_user_id(unique("cu")).build()).build())
    assert again.code == 40119
    assert_ok(delete_user(client, new_id))


def test_change_custom_department_id(emulator: EmulatorProcess) -> None:
    client = emulator.client(0)
    old_id, new_id = unique("CONF"), unique("CONF")
    created = create_department(client, unique("改号部门"), custom_id=old_id)
    assert_ok(created)
    taken = client.contact.v3.department.update_department_id(
        UpdateDepartmentIdDepartmentRequest.builder().department_id(old_id).department_id_type("department_id")
        .request_body(UpdateDepartmentIdDepartmentRequestBody.builder().new_department_id("D1000").build()).build())
    assert taken.code == 40152
    resp = client.contact.v3.department.update_department_id(
        UpdateDepartmentIdDepartmentRequest.builder().department_id(created.data.department.open_department_id)
        .request_body(UpdateDepartmentIdDepartmentRequestBody.builder().new_department_id(new_id).build()).build())
    assert_ok(resp)
    got = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(new_id)
                                           .department_id_type("department_id").build())
    assert_ok(got)
    assert got.data.department.open_department_id == created.data.department.open_department_id
    assert_ok(delete_department(client, new_id))
