import Foundation
import NIOHTTP1

/// Contact v3 writes (feishu-api.md §3.3–3.5): departments and users created, changed and deleted. Creates carry a
/// `client_token`, so a create retried after a lost answer is applied once; a user patch that changes departments or
/// the frozen state keeps Feishu's 1-per-second limit besides the usual 50/s and 1000/min.
extension FeishuClient {
    /// The fields of a user the bridge writes; nil fields are left out (a patch leaves them as they are).
    public struct UserFields: Sendable, Equatable, Encodable {
        public var name: String?
        public var enName: String?
        public var mobile: String?
        public var email: String?
        public var employeeNo: String?
        public var jobTitle: String?
        /// Open department ids, primary first (at most 50).
        public var departmentIDs: [String]?
        /// The custom account id, at creation only.
        public var userID: String?
        /// 1 = regular employee; required at creation.
        public var employeeType: Int?
        public var isFrozen: Bool?

        public init(name: String? = nil, enName: String? = nil, mobile: String? = nil, email: String? = nil, employeeNo: String? = nil,
                    jobTitle: String? = nil, departmentIDs: [String]? = nil, userID: String? = nil, employeeType: Int? = nil,
                    isFrozen: Bool? = nil)
        {
            self.name = name
            self.enName = enName
            self.mobile = mobile
            self.email = email
            self.employeeNo = employeeNo
            self.jobTitle = jobTitle
            self.departmentIDs = departmentIDs
            self.userID = userID
            self.employeeType = employeeType
            self.isFrozen = isFrozen
        }

        enum CodingKeys: String, CodingKey {
            case name, mobile, email
            case enName = "en_name", employeeNo = "employee_no", jobTitle = "job_title", departmentIDs = "department_ids"
            case userID = "user_id", employeeType = "employee_type", isFrozen = "is_frozen"
        }

        /// Whether the patch falls under the 1-per-second rule.
        var isStrict: Bool { departmentIDs != nil || isFrozen != nil }
    }

    private struct DepartmentData: Decodable, Sendable { var department: FeishuDepartment }
    private struct UserData: Decodable, Sendable { var user: FeishuUser }

    private struct DepartmentBody: Encodable {
        var name: String?
        var parentDepartmentID: String?
        var order: String?

        enum CodingKeys: String, CodingKey {
            case name, order
            case parentDepartmentID = "parent_department_id"
        }
    }

    private static let openIDs: [(String, String)] = [("user_id_type", UserIDType.openID.rawValue),
                                                      ("department_id_type", DepartmentIDType.openDepartmentID.rawValue)]

    /// Creates a department under `parent` (`"0"` = the root). The same `clientToken` again answers the first department.
    public func createDepartment(name: String, parent: String, order: Int? = nil, clientToken: String) async throws -> FeishuDepartment {
        let body = try JSONEncoder().encode(DepartmentBody(name: name, parentDepartmentID: parent, order: order.map(String.init)))
        let data: DepartmentData = try await call(FeishuRequest(.POST, Self.contact + "/departments",
                                                                query: Self.openIDs + [("client_token", clientToken)], body: body))
        return data.department
    }

    /// Renames and/or moves a department.
    public func patchDepartment(_ id: String, name: String? = nil, parent: String? = nil) async throws -> FeishuDepartment {
        let body = try JSONEncoder().encode(DepartmentBody(name: name, parentDepartmentID: parent))
        let data: DepartmentData = try await call(FeishuRequest(
            .PATCH, Self.contact + "/departments/\(Self.escape(id))", api: "PATCH \(Self.contact)/departments/:department_id",
            query: Self.openIDs, body: body))
        return data.department
    }

    /// Deletes an empty department (Feishu refuses one with members, 40159, or sub-departments, 40160).
    public func deleteDepartment(_ id: String) async throws {
        let _: Empty = try await call(FeishuRequest(
            .DELETE, Self.contact + "/departments/\(Self.escape(id))", api: "DELETE \(Self.contact)/departments/:department_id",
            query: [("department_id_type", DepartmentIDType.openDepartmentID.rawValue)]))
    }

    /// Creates a user (name, mobile, departments and employee type are required by Feishu).
    public func createUser(_ fields: UserFields, clientToken: String) async throws -> FeishuUser {
        var fields = fields
        fields.employeeType = fields.employeeType ?? 1
        let data: UserData = try await call(FeishuRequest(.POST, Self.contact + "/users", query: Self.openIDs + [("client_token", clientToken)],
                                                          body: try JSONEncoder().encode(fields)))
        return data.user
    }

    /// Changes the given fields of a user (by open id); a change of departments or of the frozen state waits for
    /// Feishu's 1-per-second limit.
    public func patchUser(_ openID: String, _ fields: UserFields) async throws -> FeishuUser {
        var request = FeishuRequest(.PATCH, Self.contact + "/users/\(Self.escape(openID))", api: "PATCH \(Self.contact)/users/:user_id",
                                    query: Self.openIDs, body: try JSONEncoder().encode(fields))
        if fields.isStrict { request.oneQPS = "PATCH \(Self.contact)/users/:user_id department_ids|is_frozen" }
        let data: UserData = try await call(request)
        return data.user
    }

    /// Deletes (resigns) a user by open id; their resources go where Feishu sends them by default.
    public func deleteUser(_ openID: String) async throws {
        let _: Empty = try await call(FeishuRequest(
            .DELETE, Self.contact + "/users/\(Self.escape(openID))", api: "DELETE \(Self.contact)/users/:user_id",
            query: [("user_id_type", UserIDType.openID.rawValue)], body: Data("{}".utf8)))
    }
}
