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

/// Creating, changing and deleting users (`feishu-api.md` §3.3–3.5, codes §3.6).
@Suite struct UserWriteTests {
    static let create = "\(TestOrg.userAPI)?user_id_type=user_id&department_id_type=department_id"
    static func at(_ id: String) -> String { "\(TestOrg.userAPI)/\(id)?user_id_type=user_id&department_id_type=department_id" }

    static let newUser: [String: JSON] = [
        "name": "周八", "mobile": "13700000001", "department_ids": ["rd-fe"], "employee_type": 1,
        "user_id": "zhouba", "email": "zhouba@example.com", "employee_no": "E9001", "job_title": "实习生",
    ]

    static func newUser(_ changes: [String: JSON?]) -> JSON {
        var fields = Self.newUser
        for (key, value) in changes { fields[key] = value }
        return .object(fields)
    }

    @Test func createUser() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, .object(Self.newUser))
            #expect(reply.code == 0, "\(reply.text)")
            let user = try #require(reply.data?["user"])
            #expect(user["user_id"] == "zhouba")
            #expect(user["name"] == "周八")
            #expect(user["mobile"] == "+8613700000001")
            #expect(user["email"] == "zhouba@example.com")
            #expect(user["department_ids"] == ["rd-fe"])
            #expect(user["employee_type"] == 1)
            #expect(user["open_id"]?.stringValue?.hasPrefix("ou_") == true)
            #expect(user["union_id"]?.stringValue?.hasPrefix("on_") == true)
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan", "zhouba"])
            #expect(try await api.user("zhouba").data?["user"]?["job_title"] == "实习生")

            // Another app sees the new user with its own open_id and the same union_id.
            let other = try await api.asApp(TestApps.other)
            let theirs = try #require(try await other.user("zhouba").data?["user"])
            #expect(theirs["union_id"] == user["union_id"])
            #expect(theirs["open_id"] != user["open_id"])
        }
    }

    @Test func createGeneratesAUserIDWhenNoneIsGiven() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, Self.newUser(["user_id": nil]))
            #expect(reply.code == 0, "\(reply.text)")
            let userID = try #require(reply.data?["user"]?["user_id"]?.stringValue)
            #expect(!userID.isEmpty)
            #expect(try await api.user(userID).code == 0)
        }
    }

    @Test(arguments: ["name", "mobile", "department_ids", "employee_type"])
    func createNeedsTheRequiredFields(field: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, Self.newUser([field: nil]))
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992402, "\(reply.text)")
            #expect(reply.firstViolationField == field)
        }
    }

    @Test(arguments: [
        (["mobile": "+8613900000102"] as [String: JSON?], 40101, "mobile"),  // zhangsan's
        (["mobile": "13900000102"], 40101, "mobile"),  // the same number without +86
        (["mobile": "+86 139 0000 0102"], 40101, "mobile"),
        (["email": "zhangsan@example.com"], 40102, "email"),
        (["email": "ZhangSan@Example.com"], 40102, "email"),
        (["user_id": "zhangsan"], 40111, "user_id"),
        (["mobile": "12345"], 40104, "mobile"),
        (["mobile": "not a phone"], 40104, "mobile"),
        (["email": "not-an-email"], 40106, "email"),
        (["employee_type": 9], 41059, "employee_type"),
        (["department_ids": []], 99992402, "department_ids"),
        (["leader_user_id": "nobody"], 99992360, "leader_user_id"),
        (["gender": 7], 99992402, "gender"),
    ] as [([String: JSON?], Int, String)])
    func createIsValidated(changes: [String: JSON?], code: Int, field: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, Self.newUser(changes))
            #expect(reply.status == .badRequest)
            #expect(reply.code == code, "\(reply.text)")
            #expect(reply.firstViolationField == field)
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan"])
        }
    }

    @Test func unknownDepartmentIsNotFound() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, Self.newUser(["department_ids": ["rd-fe", "nope"]]))
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992380)
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan"])
        }
    }

    @Test
    func unknownDepartmentNamesTheDepartmentIDsField() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Self.create, Self.newUser(["department_ids": ["nope"]]))
            #expect(reply.firstViolationField == "department_ids")
        }
    }

    @Test func clientTokenMakesCreateIdempotent() async throws {
        try await withEmulator { api async throws in
            let uri = Self.create + "&client_token=7d0c6e4a-retry"
            let first = try await api.post(uri, .object(Self.newUser))
            let second = try await api.post(uri, .object(Self.newUser))
            #expect(first.code == 0, "\(first.text)")
            #expect(second.code == 0, "\(second.text)")
            #expect(first.data?["user"]?["open_id"] == second.data?["user"]?["open_id"])
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan", "zhouba"])

            // Without the token, the retry is a second create and fails on a duplicate (user_id, mobile or email).
            let retry = try await api.post(Self.create, .object(Self.newUser))
            #expect([40111, 40101, 40102].contains(retry.code ?? 0), "\(retry.text)")
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan", "zhouba"])
        }
    }

    @Test func patchFreezesAndLeavesOtherFieldsAlone() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.patch(Self.at("lisi"), ["is_frozen": true])
            #expect(reply.code == 0, "\(reply.text)")
            let user = try #require(reply.data?["user"])
            #expect(user["status"]?["is_frozen"] == true)
            #expect(user["email"] == "lisi@example.com")
            #expect(user["department_ids"] == ["rd-be-db"])
            #expect(user["leader_user_id"] == "zhangsan")
            #expect(try await api.user("lisi").data?["user"]?["status"]?["is_frozen"] == true)
            // Frozen users stay members.
            #expect(try await api.memberIDs(of: "rd-be-db") == ["lisi"])

            let thawed = try await api.patch(Self.at("lisi"), ["is_frozen": "false"])
            #expect(thawed.data?["user"]?["status"]?["is_frozen"] == false)
        }
    }

    @Test func patchMovesAUserBetweenDepartments() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.patch(Self.at("lisi"), ["department_ids": ["sales", "rd-fe"]])
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.data?["user"]?["department_ids"] == ["sales", "rd-fe"])
            #expect(try await api.memberIDs(of: "rd-be-db") == [])
            #expect(try await api.memberIDs(of: "sales") == ["lisi"])
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan", "lisi"])
        }
    }

    @Test func patchIsValidated() async throws {
        try await withEmulator { api async throws in
            let mobile = try await api.patch(Self.at("lisi"), ["mobile": "+8613900000102"])
            #expect(mobile.code == 40101)
            #expect(mobile.firstViolationField == "mobile")
            let email = try await api.patch(Self.at("lisi"), ["email": "zhangsan@example.com"])
            #expect(email.code == 40102)
            #expect(email.firstViolationField == "email")
            let badMobile = try await api.patch(Self.at("lisi"), ["mobile": "999"])
            #expect(badMobile.code == 40104)
            let emptyName = try await api.patch(Self.at("lisi"), ["name": ""])
            #expect(emptyName.code == 40105)
            #expect(emptyName.firstViolationField == "name")
            let selfLeader = try await api.patch(Self.at("lisi"), ["leader_user_id": "lisi"])
            #expect(selfLeader.code == 40140)
            // A user keeping their own mobile is not a duplicate.
            let own = try await api.patch(Self.at("zhangsan"), ["mobile": "+8613900000102", "name": "张三丰"])
            #expect(own.code == 0, "\(own.text)")
            #expect(own.data?["user"]?["name"] == "张三丰")
        }
    }

    @Test func updateNeedsTheRequiredFields() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.put(Self.at("lisi"), ["name": "李四", "department_ids": ["rd"], "employee_type": 1])
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "mobile")
            let full = try await api.put(Self.at("lisi"), ["name": "李四", "mobile": "13711110000", "department_ids": ["rd"], "employee_type": 2])
            #expect(full.code == 0, "\(full.text)")
            #expect(full.data?["user"]?["employee_type"] == 2)
            #expect(full.data?["user"]?["mobile"] == "+8613711110000")
        }
    }

    @Test func deletedUserIsResignedAndLeavesItsDepartments() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan"])
            let reply = try await api.delete(Self.at("zhangsan"))
            #expect(reply.status == .ok)
            #expect(reply.code == 0, "\(reply.text)")

            let user = try await api.user("zhangsan")
            #expect(user.code == 0)
            #expect(user.data?["user"]?["status"]?["is_resigned"] == true)
            #expect(try await api.memberIDs(of: "rd-fe") == [])
            #expect(try await api.memberIDs(of: "rd") == [])
            // No longer leads rd.
            #expect(try await api.get("\(TestOrg.departmentAPI)/rd?department_id_type=department_id").data?["department"]?["leader_user_id"] == nil)
            // A resigned user cannot be patched.
            #expect(try await api.patch(Self.at("zhangsan"), ["name": "x"]).code == 41050)
        }
    }

    @Test func deleteChecksTheAcceptors() async throws {
        try await withEmulator { api async throws in
            let selfAcceptor = try await api.delete(Self.at("lisi"), ["docs_acceptor_user_id": "lisi"])
            #expect(selfAcceptor.code == 40138)
            #expect(selfAcceptor.firstViolationField == "docs_acceptor_user_id")
            let unknown = try await api.delete(Self.at("lisi"), ["email_acceptor": ["processing_type": "1", "acceptor_user_id": "nobody"]])
            #expect(unknown.code == 40138)
            #expect(try await api.delete(Self.at("lisi"), ["docs_acceptor_user_id": "zhangsan"]).code == 0)
        }
    }

    @Test func unknownUserCannotBeChanged() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.patch(Self.at("nobody"), ["name": "x"]).code == 99992360)
            #expect(try await api.delete(Self.at("nobody")).code == 99992360)
        }
    }
}

/// Changing custom ids and bringing users back (`feishu-api.md` §3.3: once per user/department, 40119).
@Suite struct IDChangeAndResurrectTests {
    @Test func userIDCanBeChangedOnce() async throws {
        try await withEmulator { api async throws in
            let uri = "\(TestOrg.userAPI)/lisi/update_user_id?user_id_type=user_id"
            let reply = try await api.patch(uri, ["new_user_id": "lisi.new"])
            #expect(reply.code == 0, "\(reply.text)")
            #expect(try await api.user("lisi.new").data?["user"]?["name"] == "李四")
            #expect(try await api.user("lisi").code == 99992360)
            // Lists speak the new id too.
            #expect(try await api.memberIDs(of: "rd-be-db") == ["lisi.new"])

            let again = try await api.patch("\(TestOrg.userAPI)/lisi.new/update_user_id?user_id_type=user_id", ["new_user_id": "lisi3"])
            #expect(again.code == 40119)
            let taken = try await api.patch("\(TestOrg.userAPI)/wangwu/update_user_id?user_id_type=user_id", ["new_user_id": "zhangsan"])
            #expect(taken.code == 40111)
            let missing = try await api.patch("\(TestOrg.userAPI)/wangwu/update_user_id?user_id_type=user_id", [:])
            #expect(missing.code == 99992402)
            #expect(missing.firstViolationField == "new_user_id")
        }
    }

    @Test func departmentIDCanBeChanged() async throws {
        try await withEmulator { api async throws in
            let uri = "\(TestOrg.departmentAPI)/rd-fe/update_department_id?department_id_type=department_id"
            let reply = try await api.patch(uri, ["new_department_id": "frontend"])
            #expect(reply.code == 0, "\(reply.text)")
            #expect(try await api.get("\(TestOrg.departmentAPI)/frontend?department_id_type=department_id").code == 0)
            #expect(try await api.get("\(TestOrg.departmentAPI)/rd-fe?department_id_type=department_id").code == 99992380)
            #expect(try await api.user("zhangsan").data?["user"]?["department_ids"] == ["rd", "frontend"])
            let taken = try await api.patch("\(TestOrg.departmentAPI)/sales/update_department_id?department_id_type=department_id",
                                            ["new_department_id": "rd"])
            #expect(taken.code == 40152)
            let invalid = try await api.patch("\(TestOrg.departmentAPI)/sales/update_department_id?department_id_type=department_id",
                                              ["new_department_id": "od-sales"])
            #expect(invalid.code == 40151)
        }
    }

    @Test func resignedUserCanBeResurrected() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.delete(UserWriteTests.at("lisi")).code == 0)
            let uri = "\(TestOrg.userAPI)/lisi/resurrect?user_id_type=user_id&department_id_type=department_id"
            let reply = try await api.post(uri, ["departments": [["department_id": "rd-fe"]]])
            #expect(reply.code == 0, "\(reply.text)")
            let user = try #require(try await api.user("lisi").data?["user"])
            #expect(user["status"]?["is_resigned"] == false)
            #expect(user["department_ids"] == ["rd-fe"])
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan", "lisi"])
            // An active user cannot be resurrected.
            #expect(try await api.post(uri, ["departments": [["department_id": "rd-fe"]]]).code != 0)
        }
    }
}

/// Query values are percent-decoded exactly once.
@Suite struct QueryDecodingTests {
    @Test func pathParametersAreDecodedOnce() async throws {
        try await withEmulator { api async throws in
            let created = try await api.post(UserWriteTests.create, UserWriteTests.newUser(["user_id": "a%41b"]))
            #expect(created.code == 0, "\(created.text)")
            #expect(try await api.get("\(TestOrg.userAPI)/a%2541b?user_id_type=user_id").data?["user"]?["user_id"] == "a%41b")
        }
    }

    @Test
    func queryValuesAreDecodedOnce() async throws {
        try await withEmulator { api async throws in
            let created = try await api.post(UserWriteTests.create, UserWriteTests.newUser(["user_id": "a%41b"]))
            #expect(created.code == 0, "\(created.text)")
            let batch = try await api.get("\(TestOrg.userAPI)/batch?user_ids=a%2541b&user_id_type=user_id")
            #expect(batch.items.compactMap { $0["user_id"]?.stringValue } == ["a%41b"])
        }
    }
}
