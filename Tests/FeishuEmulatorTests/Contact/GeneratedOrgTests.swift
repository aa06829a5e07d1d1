import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// The generated org is realistic and a pure function of the seed.
@Suite struct GeneratedOrgTests {
    struct OrgView {
        var departments: [JSON]
        var users: [JSON]

        init(_ state: JSON) throws {
            self.departments = try #require(state["org"]?["departments"]?.arrayValue)
            self.users = try #require(state["org"]?["users"]?.arrayValue)
        }

        /// Depth of each department (1 = directly under the root).
        var depths: [String: Int] {
            var parentOf: [String: String] = [:]
            for department in self.departments {
                if let id = department["open_department_id"]?.stringValue { parentOf[id] = department["parent_open_department_id"]?.stringValue }
            }
            var result: [String: Int] = [:]
            for id in parentOf.keys {
                var depth = 0
                var current: String? = id
                while let node = current, node != "0", depth < 100 {
                    depth += 1
                    current = parentOf[node]
                }
                result[id] = depth
            }
            return result
        }

        func strings(_ key: String) -> [String] { self.users.compactMap { $0[key]?.stringValue } }
        func departmentsOfUsers() -> [[String]] {
            self.users.map { $0["open_department_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        }
    }

    static func org(_ configuration: EmulatorConfiguration) async throws -> OrgView {
        try OrgView(await Emulator(configuration: configuration).state.snapshot(includeOrg: true))
    }

    static func isChinese(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { (0x4E00...0x9FFF).contains($0.value) }
    }

    @Test(arguments: [(300, 30), (1000, 80)])
    func generatedOrgIsRealistic(users: Int, departments: Int) async throws {
        let org = try await Self.org(EmulatorConfiguration(org: .generated(users: users, departments: departments)))
        #expect(org.departments.count == departments)
        #expect(org.users.count == users)

        // Several levels deep.
        let depths = org.depths
        #expect(depths.count == departments)
        #expect((depths.values.max() ?? 0) >= 3, "\(depths.values.sorted())")
        #expect(depths.values.contains(1))

        // Some people in two or more departments, some directly in the root, everyone somewhere.
        let memberships = org.departmentsOfUsers()
        #expect(memberships.allSatisfy { !$0.isEmpty })
        #expect(memberships.contains { $0.count >= 2 })
        #expect(memberships.contains { $0 == ["0"] })
        let known = Set(org.departments.compactMap { $0["open_department_id"]?.stringValue } + ["0"])
        #expect(memberships.allSatisfy { $0.allSatisfy(known.contains) })

        // Unique contact data and ids.
        for key in ["mobile", "email", "employee_no", "user_id", "union_id"] {
            let values = org.strings(key)
            #expect(values.count == users, "\(key)")
            #expect(Set(values).count == users, "\(key) is not unique")
        }
        #expect(org.strings("mobile").allSatisfy { ContactValidation.normalizeMobile($0) == $0 })
        #expect(org.strings("email").allSatisfy(ContactValidation.isValidEmail))

        // Chinese names (two to six characters); sibling department names unique.
        let names = org.strings("name")
        #expect(names.allSatisfy { Self.isChinese($0) && (2...6).contains($0.count) }, "\(names.filter { !Self.isChinese($0) })")
        let siblings = Dictionary(grouping: org.departments) { $0["parent_open_department_id"]?.stringValue ?? "" }
        for (_, group) in siblings {
            let groupNames = group.compactMap { $0["name"]?.stringValue }
            #expect(Set(groupNames).count == groupNames.count)
        }
        #expect(org.departments.compactMap { $0["name"]?.stringValue }.allSatisfy { Self.isChinese(String($0.prefix(1))) })
    }

    @Test func defaultOrgIsRealistic() async throws {
        let org = try await Self.org(EmulatorConfiguration())
        #expect(org.users.count == 60)
        #expect(org.departments.count == 12)
        #expect((org.depths.values.max() ?? 0) >= 3)
        #expect(org.departmentsOfUsers().contains { $0.count >= 2 })
        #expect(Set(org.strings("mobile")).count == 60)
        #expect(org.strings("name").allSatisfy(Self.isChinese))
    }

    @Test
    func defaultOrgHasUsersDirectlyInTheRoot() async throws {
        let org = try await Self.org(EmulatorConfiguration())
        #expect(org.departmentsOfUsers().contains { $0 == ["0"] })
    }

    @Test func sameSeedSameOrg() async throws {
        let configuration = EmulatorConfiguration(org: .generated(users: 200, departments: 20), seed: 7)
        let first = await Emulator(configuration: configuration).state.snapshot(includeOrg: true)
        let second = await Emulator(configuration: configuration).state.snapshot(includeOrg: true)
        #expect(first["org"] != nil)
        #expect(first["org"] == second["org"])
        #expect(first["tenant"] == second["tenant"])

        var reseeded = configuration
        reseeded.seed = 8
        let third = await Emulator(configuration: reseeded).state.snapshot(includeOrg: true)
        #expect(first["org"] != third["org"])
    }

    @Test func sameSeedSameAnswersOverHTTP() async throws {
        @Sendable func listing() async throws -> String {
            let configuration = EmulatorConfiguration(apps: [TestApps.main], org: .generated(users: 80, departments: 10), rateLimit: false)
            return try await withEmulator(configuration) { api async throws in
                let root = try await api.get(Listing.children.uri("0", "&fetch_child=true&page_size=50"))
                let members = try await api.get("\(TestOrg.userAPI)/find_by_department?department_id=0&page_size=50")
                return root.text + members.text
            }
        }
        let first = try await listing()
        #expect(first.contains(#""code":0"#))
        #expect(try await listing() == first)
    }

    @Test func generatedOrgIsServedConsistently() async throws {
        let configuration = EmulatorConfiguration(apps: [TestApps.main], org: .generated(users: 300, departments: 30), rateLimit: false)
        try await withEmulator(configuration) { api async throws in
            let state = try OrgView(try #require(try await api.admin(.get, "state").json))
            let rootUsers = state.users.filter { $0["open_department_ids"] == ["0"] }.compactMap { $0["user_id"]?.stringValue }
            let members = try await api.get("\(TestOrg.userAPI)/find_by_department?department_id=0&user_id_type=user_id&page_size=50")
            #expect(members.items.compactMap { $0["user_id"]?.stringValue } == rootUsers)

            let topLevel = state.departments.filter { $0["parent_open_department_id"] == "0" }.compactMap { $0["open_department_id"] }
            let children = try await api.get("\(TestOrg.departmentAPI)/0/children?page_size=50")
            #expect(Set(children.items.compactMap { $0["open_department_id"] }.map(\.serialized)) == Set(topLevel.map(\.serialized)))

            // A multi-department user is listed in each of its departments.
            let multi = try #require(state.users.first { ($0["open_department_ids"]?.arrayValue?.count ?? 0) >= 2 })
            let userID = try #require(multi["user_id"]?.stringValue)
            for department in multi["open_department_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                var found = false
                var token: String?
                repeat {
                    let page = try await api.get("\(TestOrg.userAPI)/find_by_department?department_id=\(department)&user_id_type=user_id&page_size=50"
                        + (token.map { "&page_token=\($0)" } ?? ""))
                    found = found || page.items.contains { $0["user_id"]?.stringValue == userID }
                    token = page.data?["page_token"]?.stringValue
                } while token != nil
                #expect(found, "\(userID) missing from \(department)")
            }
        }
    }

    @Test func larkBrandGeneratesEnglishNames() async throws {
        let org = try await Self.org(EmulatorConfiguration(brand: .lark, org: .generated(users: 50, departments: 8)))
        #expect(org.strings("name").allSatisfy { $0.allSatisfy { $0.isASCII } })
        #expect(org.strings("mobile").allSatisfy { $0.hasPrefix("+") })
    }

    @Test func emptyOrgHasNoOne() async throws {
        try await withEmulator(EmulatorConfiguration(apps: [TestApps.main], org: .empty, rateLimit: false)) { api async throws in
            let children = try await api.get("\(TestOrg.departmentAPI)/0/children")
            #expect(children.code == 0)
            #expect(children.data?["items"] == [])
            let members = try await api.get("\(TestOrg.userAPI)/find_by_department?department_id=0")
            #expect(members.data?["items"] == [])
        }
    }
}

/// `EmulatorFixture.parse`: an exact org, with errors that name the field.
@Suite struct FixtureTests {
    @Test func fixtureIsLoadedAsWritten() async throws {
        let fixture = try TestOrg.fixture()
        #expect(fixture.tenantName == "测试科技有限公司")
        #expect(fixture.departments.count == 110)
        #expect(fixture.users.count == 106)
        #expect(fixture.departments.first { $0.departmentID == "rd" }?.leader == "zhangsan")
        #expect(fixture.users.first { $0.userID == "zhaoliu" }?.departments == ["0"])
    }

    @Test func fixtureAppsAndOpenIDsAreRead() async throws {
        let text = #"""
            {"apps": [{"app_id": "cli_a", "app_secret": "s", "scope": {"departments": ["d1"], "users": []},
                       "withheld_fields": ["mobile"]}],
             "departments": [{"department_id": "d1", "open_department_id": "od-fixed", "name": "一部"}],
             "users": [{"user_id": "u1", "name": "甲", "union_id": "on_fixed"}]}
            """#
        let fixture = try EmulatorFixture.parse(Data(text.utf8))
        #expect(fixture.apps == [.init(appID: "cli_a", appSecret: "s", scope: .limited(departments: ["d1"], users: []), withheldFields: ["mobile"])])
        let configuration = EmulatorConfiguration(apps: fixture.apps, org: .fixture(fixture), rateLimit: false)
        try await withEmulator(configuration, app: fixture.apps[0]) { api async throws in
            let department = try await api.get("\(TestOrg.departmentAPI)/od-fixed")
            #expect(department.data?["department"]?["department_id"] == "d1")
            let children = try await api.get("\(TestOrg.departmentAPI)/0/children")
            #expect(children.code == 40004)
            // A user without departments sits in the root, which this app cannot see.
            #expect(try await api.get("\(TestOrg.userAPI)/on_fixed?user_id_type=union_id").code == 41050)
        }
    }

    @Test(arguments: [
        (#"{"departments": [{"name": "x"}]}"#, "departments[0].department_id"),
        (#"{"departments": [{"department_id": "0", "name": "x"}]}"#, "departments[0].department_id"),
        (#"{"departments": [{"department_id": "a", "name": "x"}, {"department_id": "a", "name": "y"}]}"#, "departments[1].department_id"),
        (#"{"departments": [{"department_id": "a"}]}"#, "departments[0].name"),
        (#"{"departments": [{"department_id": "b", "name": "x", "parent": "a"}, {"department_id": "a", "name": "y"}]}"#, "departments[0].parent"),
        (#"{"users": [{"user_id": "u1", "name": "x"}, {"name": "y"}]}"#, "users[1].user_id"),
        (#"{"users": [{"user_id": "u1", "name": "x"}, {"user_id": "u1", "name": "y"}]}"#, "users[1].user_id"),
        (#"{"users": [{"user_id": "u1"}]}"#, "users[0].name"),
        (#"{"users": [{"user_id": "u1", "name": "x", "departments": ["nope"]}]}"#, "users[0].departments"),
        (#"{"users": [{"user_id": "u1", "name": "x", "leader": "u9"}]}"#, "users[0].leader"),
        (#"{"users": [{"user_id": "u1", "name": "x"}], "departments": [{"department_id": "a", "name": "y", "leader": "u9"}]}"#,
         "departments[0].leader"),
        (#"{"apps": [{"app_secret": "s"}]}"#, "apps[0].app_id"),
        (#"{"apps": [{"app_id": "cli_a"}]}"#, "apps[0].app_secret"),
        (#"{"apps": [{"app_id": "cli_a", "app_secret": "s", "scope": "some"}]}"#, "apps[0].scope"),
        ("[]", "file"),
        ("not json", "file"),
    ])
    func fixtureErrorsNameTheField(text: String, field: String) throws {
        let error = #expect(throws: EmulatorFixture.FixtureError.self) { try EmulatorFixture.parse(Data(text.utf8)) }
        #expect(error?.field == field)
    }

    @Test func missingFixtureFileIsReported() throws {
        let error = #expect(throws: EmulatorFixture.FixtureError.self) { try EmulatorFixture.load(path: "/nonexistent/fixture.json") }
        #expect(error?.field == "file")
    }
}
