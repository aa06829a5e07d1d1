import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

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
