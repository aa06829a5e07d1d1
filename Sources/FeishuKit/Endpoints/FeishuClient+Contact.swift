import Foundation
import NIOHTTP1

/// Contact v3 (`/open-apis/contact/v3`): departments, users and the app's contact scope.
extension FeishuClient {
    static let contact = "/open-apis/contact/v3"

    private func idQuery(_ users: UserIDType, _ departments: DepartmentIDType) -> [(String, String)] {
        [("user_id_type", users.rawValue), ("department_id_type", departments.rawValue)]
    }

    private static func segment(_ id: String) -> String { escape(id) }

    /// Child departments of `departmentID` (`"0"` = root); `recursive` fetches the whole subtree.
    public func departmentChildren(of departmentID: String, recursive: Bool = false, pageSize: Int = 50,
                                   userIDType: UserIDType = .openID,
                                   departmentIDType: DepartmentIDType = .openDepartmentID) -> Paged<FeishuDepartment>
    {
        let path = Self.contact + "/departments/\(Self.segment(departmentID))/children"
        let query = idQuery(userIDType, departmentIDType) + [("fetch_child", recursive ? "true" : "false"),
                                                               ("page_size", String(pageSize))]
        return Paged { [self] token in
            try await call(FeishuRequest(.GET, path, api: "GET \(Self.contact)/departments/:department_id/children",
                                         query: query + (token.map { [("page_token", $0)] } ?? [])))
        }
    }

    /// Users directly in a department (`"0"` = directly under the root).
    public func usersInDepartment(_ departmentID: String, pageSize: Int = 50, userIDType: UserIDType = .openID,
                                  departmentIDType: DepartmentIDType = .openDepartmentID) -> Paged<FeishuUser>
    {
        let path = Self.contact + "/users/find_by_department"
        let query = idQuery(userIDType, departmentIDType) + [("department_id", departmentID), ("page_size", String(pageSize))]
        return Paged { [self] token in
            try await call(FeishuRequest(.GET, path, query: query + (token.map { [("page_token", $0)] } ?? [])))
        }
    }

    private struct DepartmentData: Decodable, Sendable { var department: FeishuDepartment }
    private struct UserData: Decodable, Sendable { var user: FeishuUser }
    private struct ItemsData<Item: Decodable & Sendable>: Decodable, Sendable { var items: [Item]? }

    public func department(_ id: String, userIDType: UserIDType = .openID,
                           departmentIDType: DepartmentIDType = .openDepartmentID) async throws -> FeishuDepartment
    {
        let data: DepartmentData = try await call(FeishuRequest(
            .GET, Self.contact + "/departments/\(Self.segment(id))", api: "GET \(Self.contact)/departments/:department_id",
            query: idQuery(userIDType, departmentIDType)))
        return data.department
    }

    public func user(_ id: String, userIDType: UserIDType = .openID,
                     departmentIDType: DepartmentIDType = .openDepartmentID) async throws -> FeishuUser
    {
        let data: UserData = try await call(FeishuRequest(
            .GET, Self.contact + "/users/\(Self.segment(id))", api: "GET \(Self.contact)/users/:user_id",
            query: idQuery(userIDType, departmentIDType)))
        return data.user
    }

    /// Users by id, 50 per call; ids the app cannot see are simply absent from the answer.
    public func users(ids: [String], userIDType: UserIDType = .openID,
                      departmentIDType: DepartmentIDType = .openDepartmentID) async throws -> [FeishuUser]
    {
        try await batch(ids, path: "/users/batch", parameter: "user_ids", idQuery(userIDType, departmentIDType))
    }

    /// Departments by id, 50 per call; ids the app cannot see are absent.
    public func departments(ids: [String], userIDType: UserIDType = .openID,
                            departmentIDType: DepartmentIDType = .openDepartmentID) async throws -> [FeishuDepartment]
    {
        try await batch(ids, path: "/departments/batch", parameter: "department_ids", idQuery(userIDType, departmentIDType))
    }

    /// A batch GET (`?name=a&name=b…`) in chunks of 50, the platform's maximum.
    private func batch<Item: Decodable & Sendable>(_ ids: [String], path: String, parameter: String,
                                                   _ query: [(String, String)]) async throws -> [Item]
    {
        var found: [Item] = []
        for chunk in ids.chunked(50) {
            let data: ItemsData<Item> = try await call(FeishuRequest(.GET, Self.contact + path,
                                                                     query: query + chunk.map { (parameter, $0) }))
            found += data.items ?? []
        }
        return found
    }

    /// The app's whole contact scope: departments (with their subtrees) and single users it may see.
    public func contactScope(userIDType: UserIDType = .openID,
                             departmentIDType: DepartmentIDType = .openDepartmentID) async throws
        -> (departmentIDs: [String], userIDs: [String])
    {
        var departments: [String] = []
        var users: [String] = []
        var token: String?
        repeat {
            let page: FeishuScopePage = try await call(FeishuRequest(
                .GET, Self.contact + "/scopes",
                query: idQuery(userIDType, departmentIDType) + [("page_size", "100")] + (token.map { [("page_token", $0)] } ?? [])))
            departments += page.departmentIDs
            users += page.userIDs
            token = page.hasMore ? page.pageToken : nil
        } while token != nil
        return (departments, users)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
