import Foundation
import GRDB
import YunqiaoCore

/// The Feishu directory mirror of each enterprise (departments, users, memberships) and its sync runs.
public struct MirrorRepository: StoreRepository {
    let writer: any DatabaseWriter
}

extension MirrorRepository {
    // MARK: Feishu mirror

    /// The live (not deleted) mirror of an enterprise.
    public func directory(enterpriseId: Int64) async throws -> DirectoryMirror {
        try await writer.read { db in
            var mirror = DirectoryMirror()
            let departments = try FeishuDepartmentRecord.filter(FeishuDepartmentRecord.Columns.enterpriseId == enterpriseId && FeishuDepartmentRecord.Columns.deletedAt == nil)
                .fetchCursor(db)
            while let record = try departments.next() { mirror.departments[record.openDepartmentID] = record.mirror }
            let users = try FeishuUserRecord.filter(FeishuUserRecord.Columns.enterpriseId == enterpriseId && FeishuUserRecord.Columns.deletedAt == nil).fetchCursor(db)
            while let record = try users.next() { mirror.users[record.unionID] = record.mirror }
            return mirror
        }
    }

    /// Applies a plan in one transaction: all of it or nothing. Deleted entries are marked, not dropped.
    /// An empty plan writes nothing.
    public func apply(_ plan: SyncPlan, enterpriseId: Int64, at time: Date = Date()) async throws {
        guard !plan.isEmpty else { return }
        try await writer.write { db in try Self.write(plan, enterpriseId: enterpriseId, at: time, in: db) }
    }

    /// The writes of ``apply(_:enterpriseId:at:)`` inside a caller's transaction (the event worker's too).
    static func write(_ plan: SyncPlan, enterpriseId: Int64, at time: Date, in db: Database) throws {
        for department in plan.departments.created + plan.departments.updated {
            try FeishuDepartmentRecord(department, enterpriseId: enterpriseId, at: time).upsert(db)
        }
        let clearDepartments = try db.cachedStatement(sql: "DELETE FROM feishuUserDepartment WHERE enterpriseId = ? AND unionID = ?")
        let addDepartment = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO feishuUserDepartment (enterpriseId, unionID, openDepartmentID, position) VALUES (?, ?, ?, ?)
            """)
        for (user, isNew) in plan.users.created.map({ ($0, true) }) + plan.users.updated.map({ ($0, false) }) {
            try FeishuUserRecord(user, enterpriseId: enterpriseId, at: time).upsert(db)
            // A created user may be a deleted one coming back: its memberships were cleared when it was deleted.
            if !isNew { try clearDepartments.execute(arguments: [enterpriseId, user.unionID]) }
            for (position, department) in user.departmentIDs.enumerated() {
                try addDepartment.execute(arguments: [enterpriseId, user.unionID, department, position])
            }
        }
        let deleteDepartment = try db.cachedStatement(sql: """
            UPDATE feishuDepartment SET deletedAt = ?, updatedAt = ? WHERE enterpriseId = ? AND openDepartmentID = ?
            """)
        for key in plan.departments.deleted { try deleteDepartment.execute(arguments: [time, time, enterpriseId, key]) }
        let deleteUser = try db.cachedStatement(sql: "UPDATE feishuUser SET deletedAt = ?, updatedAt = ? WHERE enterpriseId = ? AND unionID = ?")
        for key in plan.users.deleted {
            try deleteUser.execute(arguments: [time, time, enterpriseId, key])
            try clearDepartments.execute(arguments: [enterpriseId, key])
        }
    }

    /// When each deleted entry was marked deleted, by key.
    public func deletedAt(enterpriseId: Int64) async throws -> (departments: [String: Date], users: [String: Date]) {
        try await writer.read { db in
            var departments: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT openDepartmentID, deletedAt FROM feishuDepartment WHERE enterpriseId = ? AND deletedAt IS NOT NULL",
                                        arguments: [enterpriseId]) {
                departments[row["openDepartmentID"]] = row["deletedAt"]
            }
            var users: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT unionID, deletedAt FROM feishuUser WHERE enterpriseId = ? AND deletedAt IS NOT NULL",
                                        arguments: [enterpriseId]) {
                users[row["unionID"]] = row["deletedAt"]
            }
            return (departments, users)
        }
    }

    /// Live users directly in a department (any position), in name order.
    public func users(inDepartment openDepartmentID: String, enterpriseId: Int64) async throws -> [MirrorUser] {
        try await writer.read { db in
            try FeishuUserRecord.fetchAll(db, sql: """
                SELECT u.* FROM feishuUser u JOIN feishuUserDepartment d ON d.enterpriseId = u.enterpriseId AND d.unionID = u.unionID
                WHERE u.enterpriseId = ? AND d.openDepartmentID = ? AND u.deletedAt IS NULL ORDER BY u.name
                """, arguments: [enterpriseId, openDepartmentID]).map(\.mirror)
        }
    }

    // MARK: sync runs

    public func startSyncRun(enterpriseId: Int64, kind: String) async throws -> SyncRunRecord {
        try await writer.write { db in
            var run = SyncRunRecord(id: nil, enterpriseId: enterpriseId, kind: kind, status: SyncReport.Status.running.rawValue,
                                    startedAt: Date(), finishedAt: nil, report: nil, error: nil)
            try run.insert(db)
            return run
        }
    }

    public func finishSyncRun(_ run: SyncRunRecord, report: SyncReport) async throws {
        var finished = run
        finished.status = report.status.rawValue
        finished.finishedAt = Date()
        finished.report = String(decoding: try JSONEncoder.keepingKeys().encode(report), as: UTF8.self)
        finished.error = report.error
        let record = finished
        try await writer.write { db in try record.update(db) }
    }

    public func syncRuns(enterpriseId: Int64, limit: Int = 50) async throws -> [SyncRunRecord] {
        try await writer.read { db in
            try SyncRunRecord.filter(SyncRunRecord.Columns.enterpriseId == enterpriseId).order(SyncRunRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }
}

/// Reading the Feishu mirror for the console's directory browser.
extension MirrorRepository {
    /// Live departments of an enterprise, by parent then order.
    public func departments(enterpriseId: Int64) async throws -> [MirrorDepartment] {
        try await read { db in
            try FeishuDepartmentRecord.filter(FeishuDepartmentRecord.Columns.enterpriseId == enterpriseId && FeishuDepartmentRecord.Columns.deletedAt == nil)
                .order(FeishuDepartmentRecord.Columns.parentOpenDepartmentID, FeishuDepartmentRecord.Columns.sortOrder, FeishuDepartmentRecord.Columns.name).fetchAll(db).map(\.mirror)
        }
    }

    /// A page of live users matching `query` (name, English name, mobile, email, employee no. or any id), optionally
    /// only those directly in `department`, and only those bound (`bound` true) or not bound (false) to an OA user of
    /// the enterprise; and how many match in all.
    public func searchUsers(enterpriseId: Int64, query: String = "", department: String? = nil, bound: Bool? = nil, limit: Int = 50,
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
            if let bound {
                conditions.append((bound ? "" : "NOT ") + "EXISTS (SELECT 1 FROM binding b WHERE b.enterpriseId = u.enterpriseId AND b.unionID = u.unionID)")
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
            guard let record = try FeishuUserRecord.filter(FeishuUserRecord.Columns.enterpriseId == enterpriseId
                && (FeishuUserRecord.Columns.unionID == id || FeishuUserRecord.Columns.openID == id || FeishuUserRecord.Columns.userID == id)).fetchOne(db)
            else { return nil }
            return (record.mirror, record.deletedAt)
        }
    }

    public func syncRun(enterpriseId: Int64, id: Int64) async throws -> SyncRunRecord? {
        try await read { db in try SyncRunRecord.filter(SyncRunRecord.Columns.enterpriseId == enterpriseId && SyncRunRecord.Columns.id == id).fetchOne(db) }
    }

    /// Marks runs left `running` by a process that died as failed (called at startup).
    @discardableResult
    public func failAbandonedSyncRuns(reason: String = "the server stopped during the run") async throws -> Int {
        try await write { db in
            try SyncRunRecord.filter(SyncRunRecord.Columns.status == SyncReport.Status.running.rawValue)
                .updateAll(db, SyncRunRecord.Columns.status.set(to: SyncReport.Status.failed.rawValue), SyncRunRecord.Columns.error.set(to: reason),
                           SyncRunRecord.Columns.finishedAt.set(to: Date()))
        }
    }
}

extension MirrorRepository {
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

extension MirrorRepository: MirrorStore {}
