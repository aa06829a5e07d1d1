import Foundation

/// An exact org for the emulator, read from a JSON file (format documented in the README).
///
/// ```json
/// {"tenant": {"name": "示例科技", "tenant_key": "2ed263bf32cf1651"},
///  "apps": [{"app_id": "cli_x", "app_secret": "s", "scope": "all"}],
///  "departments": [{"department_id": "D100", "name": "研发中心", "parent": "0", "order": 1000, "leader": "u1"}],
///  "users": [{"user_id": "u1", "name": "张三", "mobile": "+8613800000001", "email": "zhangsan@example.com",
///             "employee_no": "E0001", "departments": ["D100"], "job_title": "工程师"}]}
/// ```
public struct EmulatorFixture: Sendable {
    public struct FixtureDepartment: Sendable {
        public var departmentID: String
        public var openDepartmentID: String?
        public var name: String
        public var parent: String
        public var order: Int?
        public var leader: String?
    }

    public struct FixtureUser: Sendable {
        public var userID: String
        public var name: String
        public var enName: String
        public var mobile: String
        public var email: String
        public var employeeNo: String
        public var departments: [String]
        public var leader: String?
        public var jobTitle: String
        public var employeeType: Int
        public var gender: Int
        public var isFrozen: Bool
        public var unionID: String?
    }

    public var tenantName: String?
    public var tenantKey: String?
    public var apps: [EmulatorConfiguration.App]
    public var departments: [FixtureDepartment]
    public var users: [FixtureUser]

    public struct FixtureError: Error, CustomStringConvertible, Equatable {
        public var field: String
        public var message: String
        public var description: String { "fixture: \(field): \(message)" }
    }

    /// Reads a fixture file. Errors name the offending field, e.g. `users[3].name`.
    public static func load(path: String) throws -> EmulatorFixture {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError(field: "file", message: "cannot read \(path)")
        }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws -> EmulatorFixture {
        guard let root = JSON.parse(data)?.objectValue else {
            throw FixtureError(field: "file", message: "not a JSON object")
        }
        var fixture = EmulatorFixture(tenantName: root["tenant"]?["name"]?.stringValue,
                                      tenantKey: root["tenant"]?["tenant_key"]?.stringValue,
                                      apps: [], departments: [], users: [])
        for (index, app) in (root["apps"]?.arrayValue ?? []).enumerated() {
            let field = "apps[\(index)]"
            guard let appID = app["app_id"]?.stringValue, !appID.isEmpty else {
                throw FixtureError(field: "\(field).app_id", message: "required")
            }
            guard let secret = app["app_secret"]?.stringValue, !secret.isEmpty else {
                throw FixtureError(field: "\(field).app_secret", message: "required")
            }
            var scope = EmulatorConfiguration.ContactScope.all
            if let limited = app["scope"]?.objectValue {
                scope = .limited(departments: limited["departments"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                 users: limited["users"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            } else if let text = app["scope"]?.stringValue, text != "all" {
                throw FixtureError(field: "\(field).scope", message: "must be \"all\" or {departments, users}")
            }
            let withheld = Set(app["withheld_fields"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            fixture.apps.append(.init(appID: appID, appSecret: secret, scope: scope, withheldFields: withheld))
        }
        var departmentIDs = Set<String>()
        for (index, item) in (root["departments"]?.arrayValue ?? []).enumerated() {
            let field = "departments[\(index)]"
            guard let id = item["department_id"]?.stringValue, !id.isEmpty else {
                throw FixtureError(field: "\(field).department_id", message: "required")
            }
            guard id != rootDepartment, departmentIDs.insert(id).inserted else {
                throw FixtureError(field: "\(field).department_id", message: "duplicate or reserved id \(id)")
            }
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                throw FixtureError(field: "\(field).name", message: "required")
            }
            let parent = item["parent"]?.stringValue ?? rootDepartment
            guard parent == rootDepartment || departmentIDs.contains(parent) else {
                throw FixtureError(field: "\(field).parent", message: "unknown department \(parent) (parents come first)")
            }
            fixture.departments.append(.init(departmentID: id, openDepartmentID: item["open_department_id"]?.stringValue,
                                             name: name, parent: parent, order: item["order"]?.intValue,
                                             leader: item["leader"]?.stringValue))
        }
        var userIDs = Set<String>()
        for (index, item) in (root["users"]?.arrayValue ?? []).enumerated() {
            let field = "users[\(index)]"
            guard let id = item["user_id"]?.stringValue, !id.isEmpty else {
                throw FixtureError(field: "\(field).user_id", message: "required")
            }
            guard userIDs.insert(id).inserted else { throw FixtureError(field: "\(field).user_id", message: "duplicate \(id)") }
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                throw FixtureError(field: "\(field).name", message: "required")
            }
            let departments = item["departments"]?.arrayValue?.compactMap(\.stringValue) ?? [rootDepartment]
            for department in departments where department != rootDepartment && !departmentIDs.contains(department) {
                throw FixtureError(field: "\(field).departments", message: "unknown department \(department)")
            }
            fixture.users.append(.init(
                userID: id, name: name, enName: item["en_name"]?.stringValue ?? "",
                mobile: item["mobile"]?.stringValue ?? "", email: item["email"]?.stringValue ?? "",
                employeeNo: item["employee_no"]?.stringValue ?? "", departments: departments.isEmpty ? [rootDepartment] : departments,
                leader: item["leader"]?.stringValue, jobTitle: item["job_title"]?.stringValue ?? "",
                employeeType: item["employee_type"]?.intValue ?? 1, gender: item["gender"]?.intValue ?? 0,
                isFrozen: item["is_frozen"]?.boolValue ?? false, unionID: item["union_id"]?.stringValue))
        }
        for (index, user) in fixture.users.enumerated() {
            if let leader = user.leader, !userIDs.contains(leader) {
                throw FixtureError(field: "users[\(index)].leader", message: "unknown user \(leader)")
            }
        }
        for (index, department) in fixture.departments.enumerated() {
            if let leader = department.leader, !userIDs.contains(leader) {
                throw FixtureError(field: "departments[\(index)].leader", message: "unknown user \(leader)")
            }
        }
        return fixture
    }
}
