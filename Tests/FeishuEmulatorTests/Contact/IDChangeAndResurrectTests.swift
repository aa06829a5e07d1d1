import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

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
