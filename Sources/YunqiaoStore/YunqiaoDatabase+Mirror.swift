import Foundation
import GRDB
import YunqiaoCore

/// Reading the Feishu mirror for the console's directory browser.
extension YunqiaoDatabase {
    /// Live departments of an enterprise, by parent then order.
    public func departments(enterpriseId: Int64) async throws -> [MirrorDepartment] {
        try await read { db in
            try FeishuDepartmentRecord.filter(Column("enterpriseId") == enterpriseId && Column("deletedAt") == nil)
                .order(Column("parentOpenDepartmentID"), Column("sortOrder"), Column("name")).fetchAll(db).map(\.mirror)
        }
    }

    /// A page of live users matching `query` (name, English name, mobile, email, employee no. or any id), optionally
    /// only those directly in `department`; and how many match in all.
    public func searchUsers(enterpriseId: Int64, query: String = "", department: String? = nil, limit: Int = 50,
                            offset: Int = 0) async throws -> (users: [MirrorUser], total: Int)
    {
        try await read { db in
            var conditions = ["u.enterpriseId = ?", "u.deletedAt IS NULL"]
            var arguments: StatementArguments = [enterpriseId]
            var join = ""
            if let department {
                join = "JOIN feishuUserDepartment d ON d.enterpriseId = u.enterpriseId AND d.unionID = u.unionID AND d.openDepartmentID = ?"
                arguments = [department] + arguments
            }
            if let text = query.nilIfBlank {
                let pattern = "%\(Self.escapeLike(text))%"
                let columns = ["name", "enName", "mobile", "email", "employeeNo", "openID", "unionID", "userID"]
                conditions.append("(" + columns.map { "u.\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
                arguments += StatementArguments(Array(repeating: pattern, count: columns.count))
            }
            let whereClause = "FROM feishuUser u \(join) WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(whereClause)", arguments: arguments) ?? 0
            let page = try FeishuUserRecord.fetchAll(db, sql: "SELECT u.* \(whereClause) ORDER BY u.name, u.unionID LIMIT ? OFFSET ?",
                                                     arguments: arguments + [max(1, min(limit, 200)), max(0, offset)])
            return (page.map(\.mirror), total)
        }
    }

    /// One user of the mirror by union_id, open_id or user_id, deleted ones included, with when it was deleted.
    public func mirrorUser(enterpriseId: Int64, id: String) async throws -> (user: MirrorUser, deletedAt: Date?)? {
        try await read { db in
            guard let record = try FeishuUserRecord.filter(Column("enterpriseId") == enterpriseId
                && (Column("unionID") == id || Column("openID") == id || Column("userID") == id)).fetchOne(db)
            else { return nil }
            return (record.mirror, record.deletedAt)
        }
    }

    public func syncRun(enterpriseId: Int64, id: Int64) async throws -> SyncRunRecord? {
        try await read { db in try SyncRunRecord.filter(Column("enterpriseId") == enterpriseId && Column("id") == id).fetchOne(db) }
    }

    /// Marks runs left `running` by a process that died as failed (called at startup).
    @discardableResult
    public func failAbandonedSyncRuns(reason: String = "the server stopped during the run") async throws -> Int {
        try await write { db in
            try SyncRunRecord.filter(Column("status") == SyncReport.Status.running.rawValue)
                .updateAll(db, Column("status").set(to: SyncReport.Status.failed.rawValue), Column("error").set(to: reason),
                           Column("finishedAt").set(to: Date()))
        }
    }
}

extension YunqiaoDatabase {
    /// How many live users sit directly in each department (any position).
    public func memberCounts(enterpriseId: Int64) async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT d.openDepartmentID, COUNT(*) AS n FROM feishuUserDepartment d
                JOIN feishuUser u ON u.enterpriseId = d.enterpriseId AND u.unionID = d.unionID AND u.deletedAt IS NULL
                WHERE d.enterpriseId = ? GROUP BY d.openDepartmentID
                """, arguments: [enterpriseId]) {
                counts[row["openDepartmentID"]] = row["n"]
            }
            return counts
        }
    }
}

extension YunqiaoDatabase {
    /// Throws when the database cannot be read (for `/healthz`).
    public func healthCheck() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
