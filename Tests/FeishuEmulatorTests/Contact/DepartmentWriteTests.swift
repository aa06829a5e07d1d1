import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// Creating, changing and deleting departments (`feishu-api.md` §3.3, codes §3.6).
@Suite struct DepartmentWriteTests {
    static let create = "\(TestOrg.departmentAPI)?department_id_type=department_id&user_id_type=user_id"
    static func at(_ id: String) -> String { "\(TestOrg.departmentAPI)/\(id)?department_id_type=department_id&user_id_type=user_id" }

    @Test func createUnderRoot() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, ["name": "法务部", "parent_department_id": "0", "department_id": "legal",
                                                         "order": "6000", "leader_user_id": "zhaoliu"])
            #expect(reply.code == 0, "\(reply.text)")
            let department = try #require(reply.data?["department"])
            #expect(department["department_id"] == "legal")
            #expect(department["name"] == "法务部")
            #expect(department["parent_department_id"] == "0")
            #expect(department["order"] == .string("6000"))
            #expect(department["leader_user_id"] == "zhaoliu")
            #expect(department["open_department_id"]?.stringValue?.hasPrefix("od-") == true)
            #expect(try await api.childIDs(of: "0").last == "legal")
            #expect(try await api.get(Self.at("legal")).data?["department"]?["name"] == "法务部")
        }
    }

    @Test func orderIsAcceptedAsNumberAndWrittenAsString() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, ["name": "采购部", "parent_department_id": "0", "order": 7000])
            #expect(reply.data?["department"]?["order"] == .string("7000"))
            // Without an order the department goes last among its siblings, still as a string.
            let auto = try await api.post(Self.create, ["name": "质量部", "parent_department_id": "0"])
            let order = try #require(auto.data?["department"]?["order"]?.stringValue)
            #expect(Int(order).map { $0 > 7000 } == true)
            // A generated custom id when none is given.
            #expect(auto.data?["department"]?["department_id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func createUnderADepartmentByOpenID() async throws {
        try await withEmulator { api async throws in
            let rd = try #require(try await api.get(Self.at("rd")).data?["department"]?["open_department_id"])
            let reply = try await api.post(TestOrg.departmentAPI, ["name": "移动组", "parent_department_id": rd])
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.data?["department"]?["parent_department_id"] == rd)
            #expect(try await api.childIDs(of: "rd").count == 3)
        }
    }

    @Test(arguments: [
        (["parent_department_id": "0"], 99992402, "name"),
        (["name": "   ", "parent_department_id": "0"], 99992402, "name"),
        (["name": "新部门"], 99992402, "parent_department_id"),
        (["name": "研发中心", "parent_department_id": "0"], 40153, "name"),
        (["name": "前端组", "parent_department_id": "rd"], 40153, "name"),
        (["name": "新部门", "parent_department_id": "0", "order": "1000"], 40155, "order"),
        (["name": "新部门", "parent_department_id": "0", "order": "-5"], 99992402, "order"),
        (["name": "a/b", "parent_department_id": "0"], 40013, "name"),
        (["name": "新部门", "parent_department_id": "0", "department_id": "od-123"], 40151, "department_id"),
        (["name": "新部门", "parent_department_id": "0", "department_id": "rd"], 40152, "department_id"),
        (["name": "新部门", "parent_department_id": "0", "leader_user_id": "nobody"], 99992360, "leader_user_id"),
    ] as [(JSON, Int, String)])
    func createIsValidated(body: JSON, code: Int, field: String) async throws {
        try await withEmulator { api async throws in
            let before = try await api.childIDs(of: "0")
            let reply = try await api.post(Self.create, body)
            #expect(reply.status == .badRequest)
            #expect(reply.code == code, "\(reply.text)")
            #expect(reply.firstViolationField == field)
            #expect(try await api.childIDs(of: "0") == before)
        }
    }

    @Test func unknownParentIsNotFound() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, ["name": "新部门", "parent_department_id": "nope"])
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992380)
            let open = try await api.post(TestOrg.departmentAPI, ["name": "新部门", "parent_department_id": "od-nope"])
            #expect(open.code == 99992357)
        }
    }

    @Test
    func unknownParentNamesTheParentField() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, ["name": "新部门", "parent_department_id": "nope"])
            #expect(reply.firstViolationField == "parent_department_id")
        }
    }

    @Test func createWithoutAJSONBodyIsRejected() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.client.send(.post, Self.create, authorization: "Bearer " + api.token, raw: "name=x")
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "body")
        }
    }

    @Test func clientTokenMakesCreateIdempotent() async throws {
        try await withEmulator { api async throws in
            let uri = Self.create + "&client_token=4b8e1f0c-retry"
            let first = try await api.post(uri, ["name": "客服部", "parent_department_id": "0"])
            let second = try await api.post(uri, ["name": "客服部", "parent_department_id": "0"])
            #expect(first.code == 0, "\(first.text)")
            #expect(second.code == 0, "\(second.text)")
            #expect(first.data?["department"]?["open_department_id"] == second.data?["department"]?["open_department_id"])
            #expect(try await api.childIDs(of: "0").count == 6)

            // Another token is another create: the sibling name is now taken.
            let third = try await api.post(Self.create + "&client_token=other", ["name": "客服部", "parent_department_id": "0"])
            #expect(third.code == 40153)
        }
    }

    @Test func patchChangesOnlyTheGivenFields() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.patch(Self.at("rd-fe"), ["name": "大前端组"])
            #expect(reply.code == 0, "\(reply.text)")
            let department = try #require(reply.data?["department"])
            #expect(department["name"] == "大前端组")
            #expect(department["parent_department_id"] == "rd")
            #expect(department["department_id"] == "rd-fe")
            #expect(try await api.get(Self.at("rd-fe")).data?["department"]?["name"] == "大前端组")

            let leader = try await api.patch(Self.at("rd-fe"), ["leader_user_id": "zhangsan", "order": "9000"])
            #expect(leader.data?["department"]?["leader_user_id"] == "zhangsan")
            #expect(leader.data?["department"]?["order"] == .string("9000"))
            #expect(leader.data?["department"]?["name"] == "大前端组")
        }
    }

    @Test func patchIsValidated() async throws {
        try await withEmulator { api async throws in
            let nameClash = try await api.patch(Self.at("rd-fe"), ["name": "后端组"])
            #expect(nameClash.code == 40153)
            #expect(nameClash.firstViolationField == "name")

            let be = try #require(try await api.get(Self.at("rd-be")).data?["department"]?["order"])
            let orderClash = try await api.patch(Self.at("rd-fe"), ["order": be])
            #expect(orderClash.code == 40155)
            #expect(orderClash.firstViolationField == "order")

            let underItself = try await api.patch(Self.at("rd"), ["parent_department_id": "rd-be-db"])
            #expect(underItself.code == 40013)
            #expect(underItself.firstViolationField == "parent_department_id")
            #expect(try await api.patch(Self.at("rd"), ["parent_department_id": "rd"]).code == 40013)

            // Nothing changed.
            let fe = try await api.get(Self.at("rd-fe"))
            #expect(fe.data?["department"]?["name"] == "前端组")
            #expect(try await api.get(Self.at("rd")).data?["department"]?["parent_department_id"] == "0")
        }
    }

    @Test func patchMovesADepartment() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.patch(Self.at("sales-east"), ["parent_department_id": "rd"])
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.data?["department"]?["parent_department_id"] == "rd")
            #expect(Set(try await api.childIDs(of: "rd")) == ["rd-fe", "rd-be", "sales-east"])
            #expect(try await api.childIDs(of: "sales") == [])
            // Its member moved with it: visible under rd's subtree now.
            let rd = try await api.get(Self.at("rd"))
            #expect(rd.data?["department"]?["member_count"] == 3)
        }
    }

    @Test func updateNeedsTheFullObject() async throws {
        try await withEmulator { api async throws in
            let missingParent = try await api.put(Self.at("rd-fe"), ["name": "前端"])
            #expect(missingParent.code == 99992402)
            #expect(missingParent.firstViolationField == "parent_department_id")
            let missingName = try await api.put(Self.at("rd-fe"), ["parent_department_id": "rd"])
            #expect(missingName.code == 99992402)
            #expect(missingName.firstViolationField == "name")

            let full = try await api.put(Self.at("rd-fe"), ["name": "前端", "parent_department_id": "sales"])
            #expect(full.code == 0, "\(full.text)")
            #expect(full.data?["department"]?["parent_department_id"] == "sales")
            #expect(full.data?["department"]?["name"] == "前端")
        }
    }

    @Test func rootCannotBeChanged() async throws {
        try await withEmulator { api async throws in
            let patch = try await api.patch(Self.at("0"), ["name": "x"])
            let put = try await api.put(Self.at("0"), ["name": "x", "parent_department_id": "0"])
            let delete = try await api.delete(Self.at("0"))
            for reply in [patch, put, delete] {
                #expect(reply.status == .badRequest)
                #expect(reply.code == 40157)
            }
        }
    }

    @Test func deleteRefusesDepartmentsWithMembersOrChildren() async throws {
        try await withEmulator { api async throws in
            let withMembers = try await api.delete(Self.at("rd-fe"))
            #expect(withMembers.status == .badRequest)
            #expect(withMembers.code == 40159)
            let withChildren = try await api.delete(Self.at("rd-be"))
            #expect(withChildren.code == 40160)
            #expect(try await api.delete(Self.at("g50")).code == 40160)
            #expect(try await api.delete(Self.at("nope")).code == 99992380)
            #expect(Set(try await api.childIDs(of: "rd")) == ["rd-fe", "rd-be"])
        }
    }

    @Test func deleteAnEmptyDepartment() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.delete(Self.at("empty"))
            #expect(reply.status == .ok)
            #expect(reply.code == 0, "\(reply.text)")
            #expect(try await api.get(Self.at("empty")).code == 99992380)
            #expect(try await api.childIDs(of: "0") == ["g50", "g51", "rd", "sales"])
            // The name is free again.
            #expect(try await api.post(Self.create, ["name": "空部门", "parent_department_id": "0"]).code == 0)
        }
    }

    @Test func departmentWithOnlyResignedMembersCanBeDeleted() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.delete("\(TestOrg.userAPI)/lisi?user_id_type=user_id").code == 0)
            #expect(try await api.delete(Self.at("rd-be-db")).code == 0)
            #expect(try await api.delete(Self.at("rd-be")).code == 0)
        }
    }
}
