import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// Reading the directory: id types (`feishu-api.md` §1.7), the root department, recursion, objects (§3.1–3.3).
@Suite struct IDTypeTests {
    @Test func userIDTypesOnInputAndOutput() async throws {
        try await withEmulator { api async throws in
            let byUserID = try await api.user("zhangsan")
            #expect(byUserID.code == 0, "\(byUserID.text)")
            let user = try #require(byUserID.data?["user"])
            #expect(user["user_id"] == "zhangsan")
            #expect(user["name"] == "张三")
            #expect(user["department_ids"] == ["rd", "rd-fe"])
            let openID = try #require(user["open_id"]?.stringValue)
            let unionID = try #require(user["union_id"]?.stringValue)
            #expect(openID.hasPrefix("ou_"))
            #expect(unionID.hasPrefix("on_"))

            // Default id types: open_id in, open_department_id out.
            let byOpenID = try await api.get("\(TestOrg.userAPI)/\(openID)")
            #expect(byOpenID.code == 0)
            #expect(byOpenID.data?["user"]?["user_id"] == "zhangsan")
            let departmentIDs = try #require(byOpenID.data?["user"]?["department_ids"]?.arrayValue)
            let openDepartments = departmentIDs.compactMap(\.stringValue)
            #expect(openDepartments.count == 2)
            #expect(openDepartments.allSatisfy { $0.hasPrefix("od-") })

            let byUnionID = try await api.get("\(TestOrg.userAPI)/\(unionID)?user_id_type=union_id")
            #expect(byUnionID.data?["user"]?["open_id"]?.stringValue == openID)

            // An id of one type read as another type is "not found", not a type error.
            let wrongType = try await api.get("\(TestOrg.userAPI)/zhangsan")
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.code == 99992351)
            #expect(try await api.get("\(TestOrg.userAPI)/\(openID)?user_id_type=union_id").code == 99992364)
            #expect(try await api.get("\(TestOrg.userAPI)/nobody?user_id_type=user_id").code == 99992360)
        }
    }

    @Test func leaderIsTypedByUserIDType() async throws {
        try await withEmulator { api async throws in
            let zhangsan = try #require(try await api.user("zhangsan").data?["user"])
            let lisi = try await api.user("lisi")
            #expect(lisi.data?["user"]?["leader_user_id"] == "zhangsan")
            let byOpenID = try await api.get("\(TestOrg.userAPI)/lisi?user_id_type=user_id&department_id_type=department_id")
            #expect(byOpenID.data?["user"]?["leader_user_id"] == "zhangsan")
            let lisiOpenID = try #require(lisi.data?["user"]?["open_id"]?.stringValue)
            let defaulted = try await api.get("\(TestOrg.userAPI)/\(lisiOpenID)")
            #expect(defaulted.data?["user"]?["leader_user_id"] == zhangsan["open_id"])

            let rd = try await api.get("\(TestOrg.departmentAPI)/rd?department_id_type=department_id&user_id_type=user_id")
            #expect(rd.data?["department"]?["leader_user_id"] == "zhangsan")
        }
    }

    @Test func openIDDiffersPerAppUnionIDIsShared() async throws {
        try await withEmulator { main async throws in
            let other = try await main.asApp(TestApps.other)
            let mine = try #require(try await main.user("zhangsan").data?["user"])
            let theirs = try #require(try await other.user("zhangsan").data?["user"])
            #expect(mine["open_id"] != theirs["open_id"])
            #expect(mine["union_id"] == theirs["union_id"])
            #expect(mine["user_id"] == theirs["user_id"])

            // One app's open_id is refused by another app: "open_id cross app" (feishu-api.md §1.5).
            let crossed = try await other.get("\(TestOrg.userAPI)/\(mine["open_id"]?.stringValue ?? "")")
            #expect(crossed.status == .badRequest)
            #expect(crossed.code == 99992361)
            let union = try await other.get("\(TestOrg.userAPI)/\(mine["union_id"]?.stringValue ?? "")?user_id_type=union_id")
            #expect(union.data?["user"]?["open_id"] == theirs["open_id"])
        }
    }

    @Test func departmentIDTypesOnInputAndOutput() async throws {
        try await withEmulator { api async throws in
            let rd = try await api.get("\(TestOrg.departmentAPI)/rd?department_id_type=department_id")
            #expect(rd.code == 0, "\(rd.text)")
            let department = try #require(rd.data?["department"])
            #expect(department["department_id"] == "rd")
            #expect(department["name"] == "研发中心")
            #expect(department["parent_department_id"] == "0")
            let openID = try #require(department["open_department_id"]?.stringValue)
            #expect(openID.hasPrefix("od-"))

            // Same department by its open id (the default type); children name their parent in the caller's type.
            let byOpenID = try await api.get("\(TestOrg.departmentAPI)/\(openID)")
            #expect(byOpenID.data?["department"]?["department_id"] == "rd")
            let fe = try await api.get("\(TestOrg.departmentAPI)/rd-fe?department_id_type=department_id")
            #expect(fe.data?["department"]?["parent_department_id"] == "rd")
            let feOpenID = try #require(fe.data?["department"]?["open_department_id"]?.stringValue)
            let feDefault = try await api.get("\(TestOrg.departmentAPI)/\(feOpenID)")
            #expect(feDefault.data?["department"]?["parent_department_id"] == .string(openID))

            #expect(try await api.get("\(TestOrg.departmentAPI)/rd").code == 99992357)
            #expect(try await api.get("\(TestOrg.departmentAPI)/nope?department_id_type=department_id").code == 99992380)
        }
    }

    @Test(arguments: ["user_id_type=employee_id", "department_id_type=od"])
    func unknownIDTypeIsAValidationError(query: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("\(TestOrg.userAPI)/find_by_department?department_id=0&\(query)")
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == String(query.prefix { $0 != "=" }))
        }
    }

    @Test func batchGetsTakeRepeatedIDs() async throws {
        try await withEmulator { api async throws in
            let users = try await api.get("\(TestOrg.userAPI)/batch?user_ids=zhangsan&user_ids=lisi&user_id_type=user_id")
            #expect(users.code == 0, "\(users.text)")
            #expect(users.items.compactMap { $0["user_id"]?.stringValue } == ["zhangsan", "lisi"])
            let departments = try await api.get(
                "\(TestOrg.departmentAPI)/batch?department_ids=rd&department_ids=sales&department_id_type=department_id")
            #expect(departments.items.compactMap { $0["department_id"]?.stringValue } == ["rd", "sales"])
            let missing = try await api.get("\(TestOrg.userAPI)/batch")
            #expect(missing.code == 99992402)
            #expect(missing.firstViolationField == "user_ids")
        }
    }

    @Test func batchGetIDByMobileAndEmail() async throws {
        try await withEmulator { api async throws in
            let zhangsan = try #require(try await api.user("zhangsan").data?["user"])
            let mobile = try #require(zhangsan["mobile"]?.stringValue)
            let reply = try await api.post("\(TestOrg.userAPI)/batch_get_id?user_id_type=user_id",
                                           ["emails": ["lisi@example.com", "nobody@example.com"], "mobiles": [.string(mobile)]])
            #expect(reply.code == 0, "\(reply.text)")
            let list = try #require(reply.data?["user_list"]?.arrayValue)
            #expect(list.count == 3)
            #expect(list[0]["user_id"] == "lisi")
            #expect(list[1]["user_id"] == nil)
            #expect(list[2]["user_id"] == "zhangsan")
        }
    }
}

@Suite struct DepartmentTreeTests {
    @Test func rootChildrenAreTheTopLevelDepartments() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get(Listing.children.uri("0", "&page_size=50"))
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.items.compactMap { $0["department_id"]?.stringValue } == ["g50", "g51", "empty", "rd", "sales"])
            #expect(reply.items.allSatisfy { $0["parent_department_id"] == "0" })
            #expect(reply.items.compactMap { $0["order"] } == ["1000", "2000", "3000", "4000", "5000"])
        }
    }

    @Test func rootMembersAreUsersDirectlyUnderZero() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.memberIDs(of: "0") == ["zhaoliu", "sunqi"])
            let zhaoliu = try await api.user("zhaoliu")
            #expect(zhaoliu.data?["user"]?["department_ids"] == ["0"])
        }
    }

    @Test func fetchChildReturnsAllDescendants() async throws {
        try await withEmulator { api async throws in
            #expect(Set(try await api.childIDs(of: "rd")) == ["rd-fe", "rd-be"])
            #expect(Set(try await api.childIDs(of: "rd", recursive: true)) == ["rd-fe", "rd-be", "rd-be-db"])
            // The Python SDK sends `True`.
            let capital = try await api.get(Listing.children.uri("rd", "&fetch_child=True"))
            #expect(capital.items.count == 3)
            #expect(try await api.childIDs(of: "rd-be-db", recursive: true) == [])
        }
    }

    @Test func fetchChildFromRootCoversTheWholeTree() async throws {
        try await withEmulator { api async throws in
            var ids: [String] = []
            var token: String?
            repeat {
                let reply = try await api.get(Listing.children.uri("0", "&fetch_child=true&page_size=50" + (token.map { "&page_token=\($0)" } ?? "")))
                #expect(reply.code == 0, "\(reply.text)")
                ids += reply.items.compactMap { $0["department_id"]?.stringValue }
                token = reply.data?["page_token"]?.stringValue
            } while token != nil && ids.count < 500
            #expect(ids.count == 110)
            #expect(Set(ids).count == 110)
            // Parents come before their children.
            let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            #expect(position["rd"]! < position["rd-be"]!)
            #expect(position["rd-be"]! < position["rd-be-db"]!)
        }
    }

    @Test func usersInTwoDepartmentsAreListedInBoth() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.memberIDs(of: "rd") == ["zhangsan"])
            #expect(try await api.memberIDs(of: "rd-fe") == ["zhangsan"])
            // find_by_department lists direct members only.
            #expect(try await api.memberIDs(of: "rd-be") == [])
            #expect(try await api.memberIDs(of: "rd-be-db") == ["lisi"])
        }
    }

    @Test func departmentObjectShape() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("\(TestOrg.departmentAPI)/rd?department_id_type=department_id")
            let department = try #require(reply.data?["department"])
            // `order` travels as a JSON string (feishu-api.md §1.9).
            #expect(department["order"] == .string("4000"))
            #expect(reply.text.contains(#""order":"4000""#))
            #expect(department["member_count"] == 2)
            #expect(department["primary_member_count"] == 1)
            #expect(department["status"]?["is_deleted"] == false)
            #expect(department["i18n_name"]?.objectValue != nil)
        }
    }

    @Test func userObjectShape() async throws {
        try await withEmulator { api async throws in
            let user = try #require(try await api.user("zhangsan").data?["user"])
            #expect(user["mobile"]?.stringValue?.hasPrefix("+86") == true)
            #expect(user["email"] == "zhangsan@example.com")
            #expect(user["employee_no"]?.stringValue?.isEmpty == false)
            #expect(user["job_title"] == "工程师")
            #expect(user["status"]?["is_resigned"] == false)
            #expect(user["status"]?["is_frozen"] == false)
            #expect(user["status"]?["is_activated"] == true)
            #expect(user["avatar"]?["avatar_72"]?.stringValue?.hasPrefix("https://") == true)
            #expect(user["join_time"]?.intValue != nil)
            #expect(user["orders"]?.arrayValue?.count == 2)
        }
    }

    @Test func rootDepartmentCannotBeRead() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("\(TestOrg.departmentAPI)/0")
            #expect(reply.status == .badRequest)
            #expect(reply.code == 40161)
        }
    }

    @Test func parentChainListsAncestorsNearestFirst() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("\(TestOrg.departmentAPI)/parent?department_id=rd-be-db&department_id_type=department_id")
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.items.compactMap { $0["department_id"]?.stringValue } == ["rd-be", "rd"])
        }
    }
}

/// 通讯录权限范围 (`feishu-api.md` §3): outside scope → 40004 (department) / 41050 (user).
@Suite struct ContactScopeTests {
    @Test func limitedAppCannotListTheRoot() async throws {
        try await withEmulator(app: TestApps.limited) { api async throws in
            for reply in [try await api.get(Listing.children.uri("0")), try await api.get(Listing.members.uri("0"))] {
                #expect(reply.status == .badRequest)
                #expect(reply.code == 40004)
            }
        }
    }

    @Test func limitedAppSeesOnlyItsDepartments() async throws {
        try await withEmulator(app: TestApps.limited) { api async throws in
            for department in ["sales", "g50", "sales-east"] {
                #expect(try await api.get(Listing.children.uri(department)).code == 40004)
                #expect(try await api.get(Listing.members.uri(department)).code == 40004)
                #expect(try await api.get("\(TestOrg.departmentAPI)/\(department)?department_id_type=department_id").code == 40004)
            }
            #expect(Set(try await api.childIDs(of: "rd", recursive: true)) == ["rd-fe", "rd-be", "rd-be-db"])
            #expect(try await api.memberIDs(of: "rd-be-db") == ["lisi"])
            #expect(try await api.get("\(TestOrg.departmentAPI)/rd-be?department_id_type=department_id").code == 0)
        }
    }

    @Test func limitedAppSeesOnlyItsUsers() async throws {
        try await withEmulator(app: TestApps.limited) { api async throws in
            let outside = try await api.user("g50-u01")
            #expect(outside.status == .badRequest)
            #expect(outside.code == 41050)
            #expect(try await api.user("zhaoliu").code == 41050)
            #expect(try await api.user("lisi").code == 0)  // inside the rd subtree
            #expect(try await api.user("wangwu").code == 0)  // granted as a single user
            let batch = try await api.get("\(TestOrg.userAPI)/batch?user_ids=lisi&user_ids=g50-u01&user_id_type=user_id")
            #expect(batch.items.compactMap { $0["user_id"]?.stringValue } == ["lisi"])
        }
    }

    @Test func limitedAppCannotWriteOutsideItsScope() async throws {
        try await withEmulator(app: TestApps.limited) { api async throws in
            let department = try await api.post("\(TestOrg.departmentAPI)?department_id_type=department_id",
                                                 ["name": "新部门", "parent_department_id": "0"])
            #expect(department.code == 40004)
            let user = try await api.post("\(TestOrg.userAPI)?department_id_type=department_id",
                                          ["name": "新人", "mobile": "13711112222", "department_ids": ["sales"], "employee_type": 1])
            #expect(user.code == 40004)
            #expect(try await api.post("\(TestOrg.departmentAPI)?department_id_type=department_id",
                                       ["name": "新部门", "parent_department_id": "rd"]).code == 0)
        }
    }

    @Test func scopesListTheAppsScope() async throws {
        try await withEmulator(app: TestApps.limited) { api async throws in
            let typed = try await api.get("/open-apis/contact/v3/scopes?user_id_type=user_id&department_id_type=department_id")
            #expect(typed.code == 0, "\(typed.text)")
            #expect(typed.data?["department_ids"] == ["rd"])
            #expect(typed.data?["user_ids"] == ["wangwu"])
            #expect(typed.data?["has_more"] == false)

            let defaulted = try await api.get("/open-apis/contact/v3/scopes")
            let wangwu = try #require(try await api.user("wangwu").data?["user"]?["open_id"])
            #expect(defaulted.data?["user_ids"] == .array([wangwu]))
            #expect(defaulted.data?["department_ids"]?.arrayValue?.first?.stringValue?.hasPrefix("od-") == true)
        }
    }

    @Test func allMembersScopeListsTheFirstLevelDepartments() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("/open-apis/contact/v3/scopes?department_id_type=department_id")
            #expect(reply.data?["department_ids"] == ["g50", "g51", "empty", "rd", "sales"])
            #expect(reply.data?["user_ids"] == [])
        }
    }

    @Test func withheldFieldsAreOmitted() async throws {
        try await withEmulator(app: TestApps.withheld) { api async throws in
            let reply = try await api.user("zhangsan")
            #expect(reply.code == 0)
            let user = try #require(reply.data?["user"]?.objectValue)
            #expect(user["mobile"] == nil)
            #expect(user["email"] == nil)
            #expect(user["employee_no"] == nil)
            #expect(user["name"] == "张三")
            #expect(user["user_id"] == "zhangsan")
            let listed = try await api.get(Listing.members.uri("rd-fe"))
            #expect(listed.items.first?["mobile"] == nil)
            #expect(listed.items.first?["name"] == "张三")
        }
    }
}
