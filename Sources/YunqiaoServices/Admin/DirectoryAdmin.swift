import Foundation
import YunqiaoCore

/// The Feishu directory as the bridge mirrors it (mode 1), for the admin API and the console: the department tree, the
/// users, and the sync runs with "sync now" (``AdminService/directory``). Scoped to the caller's tenant.
public struct DirectoryAdmin: Sendable {
    public let database: any BridgeStore
    public let coordinator: SyncCoordinator

    public init(database: any BridgeStore, coordinator: SyncCoordinator) {
        self.database = database
        self.coordinator = coordinator
    }

    // MARK: directory mirror

    /// The mirror's department tree: the root's children first, each with its direct member count.
    public func departmentTree(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [DepartmentNode] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let departments = try await database.mirror.departments(enterpriseId: enterpriseId)
        let counts = try await database.mirror.memberCounts(enterpriseId: enterpriseId)
        let byParent = Dictionary(grouping: departments, by: \.parentOpenDepartmentID)
        let known = Set(departments.map(\.openDepartmentID))
        func node(_ department: MirrorDepartment, depth: Int) -> DepartmentNode {
            let children = depth > 64 ? [] : (byParent[department.openDepartmentID] ?? []).map { node($0, depth: depth + 1) }
            return DepartmentNode(openDepartmentID: department.openDepartmentID, departmentID: department.departmentID, name: department.name,
                                  parentOpenDepartmentID: department.parentOpenDepartmentID,
                                  userCount: counts[department.openDepartmentID] ?? 0, children: children)
        }
        // Tops: children of the root, and departments whose parent is outside the app's scope.
        let tops = departments.filter { $0.parentOpenDepartmentID == "0" || !known.contains($0.parentOpenDepartmentID) }
        return tops.map { node($0, depth: 0) }
    }

    /// A page of users, each with their binding; `bound` keeps only the bound (true) or the unbound (false) ones.
    public func users(_ admin: AdminIdentity, enterpriseId: Int64, query: String, department: String?, bound: Bool? = nil, limit: Int,
                      offset: Int) async throws -> UserPage
    {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let limit = max(1, min(limit, 200))
        let (users, total) = try await database.mirror.searchUsers(enterpriseId: enterpriseId, query: query, department: department?.nilIfEmpty,
                                                                   bound: bound, limit: limit, offset: max(0, offset))
        let names = try await departmentNames(enterpriseId)
        let bindings = Dictionary(try await database.bindings.bindingEntries(enterpriseId: enterpriseId, unionIDs: users.map(\.unionID))
            .map { ($0.binding.unionID, $0) }) { first, _ in first }
        return UserPage(users: users.map { user in
            var item = self.view(user, deletedAt: nil, names: names)
            item.binding = bindings[user.unionID].map {
                UserView.Binding(oaUserID: $0.binding.oaUserID, oaName: $0.oaName, oaLoginID: $0.oaLoginID, method: $0.binding.method)
            }
            return item
        }, total: total, limit: limit, offset: max(0, offset))
    }

    /// A user card by union_id, open_id or user_id.
    public func user(_ admin: AdminIdentity, enterpriseId: Int64, id: String) async throws -> UserView {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard let (user, deletedAt) = try await database.mirror.mirrorUser(enterpriseId: enterpriseId, id: id) else {
            throw YunqiaoError.notFound("user \(id)")
        }
        return view(user, deletedAt: deletedAt, names: try await departmentNames(enterpriseId))
    }

    private func departmentNames(_ enterpriseId: Int64) async throws -> [String: String] {
        var names = ["0": "(root)"]
        for department in try await database.mirror.departments(enterpriseId: enterpriseId) { names[department.openDepartmentID] = department.name }
        return names
    }

    private func view(_ user: MirrorUser, deletedAt: Date?, names: [String: String]) -> UserView {
        UserView(unionID: user.unionID, openID: user.openID, userID: user.userID, name: user.name, enName: user.enName, email: user.email,
                 mobile: user.mobile, employeeNo: user.employeeNo, jobTitle: user.jobTitle,
                 departments: user.departmentIDs.enumerated().map { index, id in
                     .init(openDepartmentID: id, name: names[id] ?? id, primary: index == 0)
                 },
                 status: user.statusName, deletedAt: deletedAt)
    }

    // MARK: sync

    /// Starts a mode-1 sync in the background (or returns the one already running).
    public func startSync(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> (run: SyncRunView, started: Bool) {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let (run, started) = try await coordinator.start(enterprise: enterprise)
        if started {
            try await database.admins.audit(tenantId: admin.tenantId, admin.actor, "sync.start", target: "enterprise \(enterpriseId) \(enterprise.name)",
                                     details: ["run": "\(run.id ?? 0)", "kind": run.kind])
        }
        return (view(run), started)
    }

    public func syncRuns(_ admin: AdminIdentity, enterpriseId: Int64, limit: Int = 50) async throws -> [SyncRunView] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.mirror.syncRuns(enterpriseId: enterpriseId, limit: max(1, min(limit, 200))).map(view)
    }

    public func syncRun(_ admin: AdminIdentity, enterpriseId: Int64, id: Int64) async throws -> SyncRunView {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard let run = try await database.mirror.syncRun(enterpriseId: enterpriseId, id: id) else { throw YunqiaoError.notFound("sync run \(id)") }
        return view(run)
    }

    private func view(_ run: SyncRunRecord) -> SyncRunView {
        let report = run.decodedReport
        return SyncRunView(id: run.id ?? 0, enterpriseId: run.enterpriseId, kind: run.kind, status: run.status, startedAt: run.startedAt,
                           finishedAt: run.finishedAt, error: run.error, summary: report?.summary, report: report)
    }
}
