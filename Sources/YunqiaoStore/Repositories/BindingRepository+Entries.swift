import Foundation
import GRDB
import YunqiaoCore

extension BindingRepository {
    /// A page of an enterprise's bindings, by OA user name; `query` matches the OA user's name, login id or oa id or the
    /// Feishu user's name (substring), `method` one method.
    public func bindingEntries(enterpriseId: Int64, query: String = "", method: String? = nil, limit: Int? = nil, offset: Int = 0)
        async throws -> (total: Int, entries: [BindingEntry])
    {
        try await read { db in
            var conditions = ["b.enterpriseId = ?"]
            var arguments: StatementArguments = [enterpriseId]
            if let method = method?.nilIfBlank {
                conditions.append("b.method = ?")
                arguments += [method]
            }
            if let text = query.nilIfBlank {
                let pattern = "%\(Self.escapeLike(text))%"
                let columns = ["o.name", "o.loginID", "b.oaUserID", "f.name"]
                conditions.append("(" + columns.map { "\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
                arguments += StatementArguments(Array(repeating: pattern, count: columns.count))
            }
            let from = """
                FROM binding b
                JOIN enterprise e ON e.id = b.enterpriseId
                LEFT JOIN oaUser o ON o.tenantId = e.tenantId AND o.oaID = b.oaUserID
                LEFT JOIN feishuUser f ON f.enterpriseId = b.enterpriseId AND f.unionID = b.unionID
                WHERE \(conditions.joined(separator: " AND "))
                """
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(from)", arguments: arguments) ?? 0
            var sql = "SELECT b.*, o.name AS oaName, o.loginID AS oaLoginID, f.name AS feishuName \(from) ORDER BY COALESCE(o.name, b.oaUserID), b.oaUserID"
            if let limit {
                sql += " LIMIT ? OFFSET ?"
                arguments += [max(1, limit), max(0, offset)]
            }
            let entries = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                BindingEntry(binding: try BindingRecord(row: row), oaName: row["oaName"], oaLoginID: row["oaLoginID"],
                             feishuName: row["feishuName"])
            }
            return (total, entries)
        }
    }

    /// The binding of a Feishu user (by union_id) with names, or nil.
    public func bindingEntry(enterpriseId: Int64, unionID: String) async throws -> BindingEntry? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT b.*, o.name AS oaName, o.loginID AS oaLoginID, f.name AS feishuName FROM binding b
                JOIN enterprise e ON e.id = b.enterpriseId
                LEFT JOIN oaUser o ON o.tenantId = e.tenantId AND o.oaID = b.oaUserID
                LEFT JOIN feishuUser f ON f.enterpriseId = b.enterpriseId AND f.unionID = b.unionID
                WHERE b.enterpriseId = ? AND b.unionID = ?
                """, arguments: [enterpriseId, unionID])
            else { return nil }
            return BindingEntry(binding: try BindingRecord(row: row), oaName: row["oaName"], oaLoginID: row["oaLoginID"],
                                feishuName: row["feishuName"])
        }
    }

    /// The bindings of one OA user in every enterprise of the tenant, with the Feishu users' names.
    public func bindingEntries(tenantId: Int64, oaUserID: String) async throws -> [BindingEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.*, o.name AS oaName, o.loginID AS oaLoginID, f.name AS feishuName FROM binding b
                JOIN enterprise e ON e.id = b.enterpriseId AND e.tenantId = ?
                LEFT JOIN oaUser o ON o.tenantId = e.tenantId AND o.oaID = b.oaUserID
                LEFT JOIN feishuUser f ON f.enterpriseId = b.enterpriseId AND f.unionID = b.unionID
                WHERE b.oaUserID = ? ORDER BY b.enterpriseId
                """, arguments: [tenantId, oaUserID]).map { row in
                BindingEntry(binding: try BindingRecord(row: row), oaName: row["oaName"], oaLoginID: row["oaLoginID"],
                             feishuName: row["feishuName"])
            }
        }
    }

    /// The bindings of these Feishu users (by union_id) in an enterprise, with names (a directory page's binding column).
    public func bindingEntries(enterpriseId: Int64, unionIDs: [String]) async throws -> [BindingEntry] {
        try await read { db in
            var entries: [BindingEntry] = []
            for chunk in unionIDs.chunked(500) {
                entries += try Self.entries(db, where: "b.enterpriseId = ? AND b.unionID IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))",
                                            StatementArguments([enterpriseId]) + StatementArguments(chunk))
            }
            return entries
        }
    }

    /// The bindings of these OA users in every enterprise of the tenant, with names (the OA directory's binding column).
    public func bindingEntries(tenantId: Int64, oaUserIDs: [String]) async throws -> [BindingEntry] {
        try await read { db in
            var entries: [BindingEntry] = []
            for chunk in oaUserIDs.chunked(500) {
                entries += try Self.entries(db, where: "e.tenantId = ? AND b.oaUserID IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))",
                                            StatementArguments([tenantId]) + StatementArguments(chunk))
            }
            return entries
        }
    }

    private static func entries(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [BindingEntry] {
        try Row.fetchAll(db, sql: """
            SELECT b.*, o.name AS oaName, o.loginID AS oaLoginID, f.name AS feishuName FROM binding b
            JOIN enterprise e ON e.id = b.enterpriseId
            LEFT JOIN oaUser o ON o.tenantId = e.tenantId AND o.oaID = b.oaUserID
            LEFT JOIN feishuUser f ON f.enterpriseId = b.enterpriseId AND f.unionID = b.unionID
            WHERE \(condition) ORDER BY b.enterpriseId, b.oaUserID
            """, arguments: arguments).map { row in
            BindingEntry(binding: try BindingRecord(row: row), oaName: row["oaName"], oaLoginID: row["oaLoginID"], feishuName: row["feishuName"])
        }
    }

    /// A page of the conflict queue (by Feishu user name) with each conflict's candidates as they are now.
    public func bindingConflictEntries(enterpriseId: Int64, limit: Int = 50, offset: Int = 0) async throws
        -> (total: Int, entries: [BindingConflictEntry])
    {
        try await read { db in
            let total = try BindingConflictRecord.filter(BindingConflictRecord.Columns.enterpriseId == enterpriseId).fetchCount(db)
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.*, f.name AS feishuName FROM bindingConflict c
                LEFT JOIN feishuUser f ON f.enterpriseId = c.enterpriseId AND f.unionID = c.unionID
                WHERE c.enterpriseId = ? ORDER BY COALESCE(f.name, c.unionID), c.unionID LIMIT ? OFFSET ?
                """, arguments: [enterpriseId, max(1, limit), max(0, offset)])
            let conflicts = try rows.map { row in (try BindingConflictRecord(row: row), row["feishuName"] as String?) }
            let ids = Array(Set(conflicts.flatMap { IDList.decode($0.0.oaUserIDs) }))
            var users: [String: Row] = [:]
            var boundTo: [String: String] = [:]
            if !ids.isEmpty, let tenantId = try Int64.fetchOne(db, sql: "SELECT tenantId FROM enterprise WHERE id = ?", arguments: [enterpriseId]) {
                let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
                for row in try Row.fetchAll(db, sql: "SELECT oaID, name, loginID, status FROM oaUser WHERE tenantId = ? AND oaID IN (\(marks))",
                                            arguments: StatementArguments([tenantId]) + StatementArguments(ids)) {
                    users[row["oaID"]] = row
                }
                for row in try Row.fetchAll(db, sql: "SELECT oaUserID, unionID FROM binding WHERE enterpriseId = ? AND oaUserID IN (\(marks))",
                                            arguments: StatementArguments([enterpriseId]) + StatementArguments(ids)) {
                    boundTo[row["oaUserID"]] = row["unionID"]
                }
            }
            let entries = conflicts.map { conflict, feishuName in
                BindingConflictEntry(conflict: conflict, feishuName: feishuName, candidates: IDList.decode(conflict.oaUserIDs).map { id in
                    let user = users[id]
                    return .init(oaID: id, name: user?["name"], loginID: user?["loginID"], status: user?["status"], boundTo: boundTo[id])
                })
            }
            return (total, entries)
        }
    }

    /// Takes a Feishu user off the conflict queue without binding them (the admin decided to leave them unbound). The
    /// next auto-bind pass checks the user again. Audited as `binding.conflict.dismiss` with what the conflict was.
    public func dismissBindingConflict(tenantId: Int64, enterpriseId: Int64, unionID: String, by actor: AuditActor) async throws {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard let conflict = try BindingConflictRecord.fetchOne(db, key: ["enterpriseId": enterpriseId, "unionID": unionID]) else {
                throw StoreError.notFound("binding conflict of Feishu user \(unionID)")
            }
            _ = try conflict.delete(db)
            let name = try String.fetchOne(db, sql: "SELECT name FROM feishuUser WHERE enterpriseId = ? AND unionID = ?",
                                           arguments: [enterpriseId, unionID])
            try Self.audit(db, tenantId: tenantId, actor, "binding.conflict.dismiss",
                           target: "\(enterprise.auditTarget): Feishu user \(name ?? unionID)",
                           before: ["unionID": unionID, "kind": conflict.kind, "field": conflict.field, "value": conflict.value,
                                    "oaUserIDs": IDList.decode(conflict.oaUserIDs).joined(separator: ", ")],
                           after: nil)
        }
    }
}

extension BindingRepository {
    /// Which of `oaUserIDs` are bound in an enterprise: OA user id → the Feishu user's union_id.
    public func boundFeishuUsers(enterpriseId: Int64, oaUserIDs: [String]) async throws -> [String: String] {
        guard !oaUserIDs.isEmpty else { return [:] }
        return try await read { db in
            var bound: [String: String] = [:]
            for record in try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId && oaUserIDs.contains(BindingRecord.Columns.oaUserID)).fetchAll(db) {
                bound[record.oaUserID] = record.unionID
            }
            return bound
        }
    }
}
