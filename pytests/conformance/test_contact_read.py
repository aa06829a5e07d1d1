"""Reading the generated org (150 users, 20 departments) through the SDK and comparing with `/_emulator/state`
(feishu-api.md §1.7, §1.8, §3)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from lark_oapi.api.contact.v3 import (
    BatchDepartmentRequest,
    BatchGetIdUserRequest,
    BatchGetIdUserRequestBody,
    BatchUserRequest,
    ChildrenDepartmentRequest,
    GetDepartmentRequest,
    GetUserRequest,
    ListScopeRequest,
    ParentDepartmentRequest,
)

from support import EmulatorProcess, all_children, all_members, assert_ok, error_dict, page_all, raw_json

USER_ID_TYPES = ["open_id", "union_id", "user_id"]


def org_of(emulator: EmulatorProcess) -> dict:
    return emulator.state(org=True)["org"]


def active_users(org: dict) -> list[dict]:
    return [user for user in org["users"] if not user["is_resigned"]]


def test_recursive_children_of_root_list_every_department(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    client = emulator.client(0)
    departments, pages = all_children(client, "0", fetch_child=True, page_size=50)
    assert len(departments) == len(org["departments"])
    expected = {d["open_department_id"]: d for d in org["departments"]}
    assert {d.open_department_id for d in departments} == set(expected)
    for department in departments:
        want = expected[department.open_department_id]
        assert department.department_id == want["department_id"]
        assert department.name == want["name"]
        assert department.parent_department_id == want["parent_open_department_id"]
        assert department.status.is_deleted is False
    # Small pages: the same set, across several pages, with no duplicates.
    small, small_pages = all_children(client, "0", fetch_child=True, page_size=7)
    assert small_pages == -(-len(org["departments"]) // 7)
    assert [d.open_department_id for d in small] == [d.open_department_id for d in departments]
    assert pages == 1


def test_walking_the_tree_level_by_level_finds_every_department(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    client = emulator.client(1)
    seen: dict[str, str] = {}
    queue = ["0"]
    calls = 0
    while queue:
        parent = queue.pop(0)
        children, pages = all_children(client, parent, fetch_child=False, page_size=50)
        calls += pages
        for child in children:
            assert child.parent_department_id == parent
            assert child.open_department_id not in seen
            seen[child.open_department_id] = parent
            queue.append(child.open_department_id)
    assert seen == {d["open_department_id"]: d["parent_open_department_id"] for d in org["departments"]}
    # The tree is several levels deep, so some departments have a parent other than the root.
    assert any(parent != "0" for parent in seen.values())


def test_direct_children_are_ordered_by_order(emulator: EmulatorProcess) -> None:
    children, _ = all_children(emulator.client(0), "0", fetch_child=False)
    orders = [int(child.order) for child in children]
    assert orders == sorted(orders)
    body_orders = [item["order"] for item in raw_json(emulator.client(0).contact.v3.department.children(
        ChildrenDepartmentRequest.builder().department_id("0").page_size(50).build()))["data"]["items"]]
    assert all(isinstance(order, str) for order in body_orders), "department order is a string in JSON (§3.2)"


def test_every_user_is_found_in_each_of_their_departments(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    client = emulator.client(0)
    found: dict[str, set[str]] = defaultdict(set)
    for department_id in ["0"] + [d["open_department_id"] for d in org["departments"]]:
        members, _ = all_members(client, department_id, page_size=50)
        ids = [member.union_id for member in members]
        assert len(ids) == len(set(ids)), f"duplicates in {department_id}"
        for member in members:
            assert department_id in member.department_ids
            found[member.union_id].add(department_id)
    users = active_users(org)
    assert set(found) == {user["union_id"] for user in users}
    for user in users:
        assert found[user["union_id"]] == set(user["open_department_ids"]), user["name"]
    # The generated org has users directly under the root and users in several departments.
    assert any("0" in user["open_department_ids"] for user in users)
    assert sum(len(user["open_department_ids"]) > 1 for user in users) >= 3


def test_root_department_members(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    members, _ = all_members(emulator.client(0), "0", page_size=10)
    expected = [user for user in active_users(org) if "0" in user["open_department_ids"]]
    assert sorted(member.user_id for member in members) == sorted(user["user_id"] for user in expected)
    for member in members:
        assert "0" in member.department_ids


def test_small_pages_give_the_same_members(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    biggest = max(org["departments"], key=lambda d: sum(d["open_department_id"] in u["open_department_ids"]
                                                       for u in active_users(org)))
    client = emulator.client(0)
    big, big_pages = all_members(client, biggest["open_department_id"], page_size=50)
    small, small_pages = all_members(client, biggest["open_department_id"], page_size=2)
    assert [u.open_id for u in small] == [u.open_id for u in big]
    assert small_pages == -(-len(big) // 2) and len(big) > 2
    # No page_size: the default is 10.
    default, default_pages = all_members(client, biggest["open_department_id"], page_size=10)
    assert len(default) == len(big)


@pytest.mark.parametrize("user_id_type", USER_ID_TYPES)
def test_user_id_types_on_output(emulator: EmulatorProcess, user_id_type: str) -> None:
    org = org_of(emulator)
    by_union = {user["union_id"]: user for user in org["users"]}
    leaders = {user["open_ids"]["cli_conf_a"] if user_id_type == "open_id" else user[user_id_type]
               for user in org["users"]}
    client = emulator.client(0)
    members, _ = all_members(client, "0", user_id_type=user_id_type)
    department = org["departments"][0]
    more, _ = all_members(client, department["open_department_id"], user_id_type=user_id_type)
    for member in members + more:
        user = by_union[member.union_id]
        # Every id is present; which one a path/body id means depends on user_id_type.
        assert member.user_id == user["user_id"]
        assert member.open_id == user["open_ids"]["cli_conf_a"]
        # leader_user_id is typed by user_id_type.
        if member.leader_user_id:
            assert member.leader_user_id in leaders
    assert any(member.leader_user_id for member in members + more)


@pytest.mark.parametrize("user_id_type", USER_ID_TYPES)
def test_user_id_types_on_input(emulator: EmulatorProcess, user_id_type: str) -> None:
    org = org_of(emulator)
    user = next(u for u in active_users(org) if len(u["open_department_ids"]) > 1)
    ids = {"open_id": user["open_ids"]["cli_conf_a"], "union_id": user["union_id"], "user_id": user["user_id"]}
    resp = emulator.client(0).contact.v3.user.get(
        GetUserRequest.builder().user_id(ids[user_id_type]).user_id_type(user_id_type).build())
    assert_ok(resp)
    got = resp.data.user
    assert (got.open_id, got.union_id, got.user_id) == (ids["open_id"], ids["union_id"], ids["user_id"])
    assert got.name == user["name"]
    assert got.department_ids == user["open_department_ids"]
    # The same id with the wrong type is "not found", not a type error (§1.7).
    wrong_type = {"open_id": "user_id", "union_id": "open_id", "user_id": "union_id"}[user_id_type]
    miss = emulator.client(0).contact.v3.user.get(
        GetUserRequest.builder().user_id(ids[user_id_type]).user_id_type(wrong_type).build())
    assert miss.code in (99992351, 99992360, 99992364)


def test_department_id_types_on_input_and_output(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    by_open = {d["open_department_id"]: d for d in org["departments"]}
    child = next(d for d in org["departments"] if d["parent_open_department_id"] != "0")
    parent = by_open[child["parent_open_department_id"]]
    client = emulator.client(0)

    by_custom = client.contact.v3.department.get(GetDepartmentRequest.builder().department_id(child["department_id"])
                                                  .department_id_type("department_id").build())
    assert_ok(by_custom)
    assert by_custom.data.department.open_department_id == child["open_department_id"]
    assert by_custom.data.department.department_id == child["department_id"]
    assert by_custom.data.department.parent_department_id == parent["department_id"]

    by_open_id = client.contact.v3.department.get(
        GetDepartmentRequest.builder().department_id(child["open_department_id"])
        .department_id_type("open_department_id").build())
    assert_ok(by_open_id)
    assert by_open_id.data.department.parent_department_id == parent["open_department_id"]

    # Default department_id_type is open_department_id: a custom id is then "not found".
    default = client.contact.v3.department.get(
        GetDepartmentRequest.builder().department_id(child["department_id"]).build())
    assert default.code == 99992357
    custom_miss = client.contact.v3.department.get(
        GetDepartmentRequest.builder().department_id(child["open_department_id"]).department_id_type("department_id")
        .build())
    assert custom_miss.code == 99992380

    # Children and members by custom id, output in custom ids.
    children, _ = all_children(client, parent["department_id"], fetch_child=False, department_id_type="department_id")
    assert child["department_id"] in {c.department_id for c in children}
    assert all(c.parent_department_id == parent["department_id"] for c in children)
    members, _ = all_members(client, child["department_id"], department_id_type="department_id")
    expected = [u for u in active_users(org) if child["open_department_id"] in u["open_department_ids"]]
    assert len(members) == len(expected)
    for member in members:
        assert child["department_id"] in member.department_ids
        assert all(not d.startswith("od-") for d in member.department_ids)
        for order in member.orders or []:
            assert not order.department_id.startswith("od-")


def test_open_id_is_per_app_while_union_id_and_user_id_are_not(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    user = active_users(org)[3]
    by_user_id = GetUserRequest.builder().user_id(user["user_id"]).user_id_type("user_id")
    a = emulator.client(0).contact.v3.user.get(by_user_id.build())
    b = emulator.client(1).contact.v3.user.get(by_user_id.build())
    assert_ok(a)
    assert_ok(b)
    assert a.data.user.open_id != b.data.user.open_id
    assert a.data.user.open_id == user["open_ids"]["cli_conf_a"]
    assert b.data.user.open_id == user["open_ids"]["cli_conf_b"]
    assert a.data.user.union_id == b.data.user.union_id == user["union_id"]
    assert a.data.user.user_id == b.data.user.user_id == user["user_id"]
    # App B cannot use app A's open_id: 99992361 "open_id cross app" (§1.5).
    cross = emulator.client(1).contact.v3.user.get(GetUserRequest.builder().user_id(a.data.user.open_id).build())
    assert not cross.success()
    assert cross.code == 99992361
    assert cross.raw.status_code == 400
    # Departments ids are tenant-wide: the same for both apps.
    da, _ = all_children(emulator.client(0), "0", fetch_child=True)
    db, _ = all_children(emulator.client(1), "0", fetch_child=True)
    assert [d.open_department_id for d in da] == [d.open_department_id for d in db]


def test_batch_get_users_and_departments(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    users = active_users(org)[:5]
    client = emulator.client(0)
    resp = client.contact.v3.user.batch(BatchUserRequest.builder().user_ids([u["user_id"] for u in users])
                                        .user_id_type("user_id").build())
    assert_ok(resp)
    assert [item.user_id for item in resp.data.items] == [u["user_id"] for u in users]
    departments = org["departments"][:4]
    dresp = client.contact.v3.department.batch(BatchDepartmentRequest.builder()
                                               .department_ids([d["department_id"] for d in departments])
                                               .department_id_type("department_id").build())
    assert_ok(dresp)
    assert [item.department_id for item in dresp.data.items] == [d["department_id"] for d in departments]


def test_parent_chain(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    by_open = {d["open_department_id"]: d for d in org["departments"]}

    def depth(d: dict) -> int:
        return 0 if d["parent_open_department_id"] == "0" else 1 + depth(by_open[d["parent_open_department_id"]])

    deepest = max(org["departments"], key=depth)
    assert depth(deepest) >= 2
    client = emulator.client(0)
    parents, _ = page_all(lambda token: client.contact.v3.department.parent(
        (ParentDepartmentRequest.builder().department_id(deepest["open_department_id"]).page_size(50)
         .page_token(token) if token else
         ParentDepartmentRequest.builder().department_id(deepest["open_department_id"]).page_size(50)).build()))
    chain = []
    current = deepest["parent_open_department_id"]
    while current != "0":
        chain.append(current)
        current = by_open[current]["parent_open_department_id"]
    assert [p.open_department_id for p in parents] == chain


def test_batch_get_id_by_mobile_and_email(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    user = active_users(org)[7]
    body = BatchGetIdUserRequestBody.builder().emails([user["email"], "nobody@nowhere.example"]).mobiles(
        [user["mobile"]]).build()
    resp = emulator.client(0).contact.v3.user.batch_get_id(
        BatchGetIdUserRequest.builder().user_id_type("user_id").request_body(body).build())
    assert_ok(resp)
    entries = resp.data.user_list
    assert len(entries) == 3
    by_email = {e.email: e for e in entries if e.email}
    assert by_email[user["email"]].user_id == user["user_id"]
    assert by_email["nobody@nowhere.example"].user_id is None
    assert next(e for e in entries if e.mobile).user_id == user["user_id"]


def test_scopes_of_an_all_members_app(emulator: EmulatorProcess) -> None:
    org = org_of(emulator)
    resp = emulator.client(0).contact.v3.scope.list(ListScopeRequest.builder().page_size(100).build())
    assert_ok(resp)
    first_level = [d["open_department_id"] for d in org["departments"] if d["parent_open_department_id"] == "0"]
    assert sorted(resp.data.department_ids) == sorted(first_level)
    assert resp.data.has_more is False


def test_get_root_department_is_refused(emulator: EmulatorProcess) -> None:
    resp = emulator.client(0).contact.v3.department.get(GetDepartmentRequest.builder().department_id("0").build())
    assert resp.code == 40161
    assert resp.raw.status_code == 400
    assert error_dict(resp)["log_id"] == resp.get_log_id()
