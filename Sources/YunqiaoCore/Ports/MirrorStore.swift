import Foundation

/// The Feishu directory mirror and its sync runs.
public protocol MirrorStore: Sendable {
    /// The live (not deleted) mirror of an enterprise.
    func directory(enterpriseId: Int64) async throws -> DirectoryMirror

    /// Applies a plan in one transaction: all of it or nothing. Deleted entries are marked, not dropped.
    /// An empty plan writes nothing.
    func apply(_ plan: SyncPlan, enterpriseId: Int64, at time: Date) async throws

    /// When each deleted entry was marked deleted, by key.
    func deletedAt(enterpriseId: Int64) async throws -> (departments: [String: Date], users: [String: Date])

    /// Live users directly in a department (any position), in name order.
    func users(inDepartment openDepartmentID: String, enterpriseId: Int64) async throws -> [MirrorUser]

    func startSyncRun(enterpriseId: Int64, kind: String) async throws -> SyncRunRecord

    func finishSyncRun(_ run: SyncRunRecord, report: SyncReport) async throws

    func syncRuns(enterpriseId: Int64, limit: Int) async throws -> [SyncRunRecord]

    /// Live departments of an enterprise, by parent then order.
    func departments(enterpriseId: Int64) async throws -> [MirrorDepartment]

    /// A page of live users matching `query` (name, English name, mobile, email, employee no. or any id), optionally
    /// only those directly in `department`, and only those bound (`bound` true) or not bound (false) to an OA user of
    /// the enterprise; and how many match in all.
    func searchUsers(enterpriseId: Int64, query: String, department: String?, bound: Bool?, limit: Int,
                     offset: Int) async throws -> (users: [MirrorUser], total: Int)

    /// One user of the mirror by union_id, open_id or user_id, deleted ones included, with when it was deleted.
    func mirrorUser(enterpriseId: Int64, id: String) async throws -> (user: MirrorUser, deletedAt: Date?)?

    func syncRun(enterpriseId: Int64, id: Int64) async throws -> SyncRunRecord?

    /// Marks runs left `running` by a process that died as failed (called at startup).
    @discardableResult
    func failAbandonedSyncRuns(reason: String) async throws -> Int

    /// How many live users sit directly in each department (any position).
    func memberCounts(enterpriseId: Int64) async throws -> [String: Int]
}
