import Foundation
import GRDB
import YunqiaoCore

/// The OA directory and the bindings of OA users to Feishu users.
extension YunqiaoDatabase {
    /// Inserts or replaces OA users in one transaction (the bulk path of imports and the OA push API).
    public func upsertOAUsers(_ users: [OAUserRecord]) async throws {
        try await write { db in
            for user in users { try user.upsert(db) }
        }
    }

    public func oaUserCount(tenantId: Int64) async throws -> Int {
        try await read { db in try OAUserRecord.filter(Column("tenantId") == tenantId).fetchCount(db) }
    }

    public func bindings(enterpriseId: Int64) async throws -> [BindingRecord] {
        try await read { db in try BindingRecord.filter(Column("enterpriseId") == enterpriseId).order(Column("oaUserID")).fetchAll(db) }
    }

    public func bindingConflicts(enterpriseId: Int64) async throws -> [BindingConflictRecord] {
        try await read { db in
            try BindingConflictRecord.filter(Column("enterpriseId") == enterpriseId).order(Column("unionID")).fetchAll(db)
        }
    }

    /// What an auto-bind pass did.
    public struct AutoBindResult: Sendable, Equatable {
        public var bound: Int
        public var conflicts: Int
        public var unmatched: Int
        public var byField: [BindingField: Int]
    }

    /// Auto-bind by field for an enterprise: reads the live Feishu mirror, the active OA users of the tenant and the
    /// existing bindings, plans with ``AutoBinder`` and writes the new bindings and the conflict queue (replaced
    /// as a whole) in one transaction with its audit entry.
    @discardableResult
    public func autoBind(tenantId: Int64, enterpriseId: Int64, fields: [BindingField], by actor: AuditActor,
                         at time: Date = Date()) async throws -> AutoBindResult
    {
        guard !fields.isEmpty else { throw StoreError.invalid(field: "fields", message: "choose at least one field") }
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            var feishu: [BindingCandidate] = []
            var ids: [String: (openID: String?, userID: String?)] = [:]
            let users = try Row.fetchCursor(db, sql: """
                SELECT unionID, openID, userID, mobile, email, employeeNo FROM feishuUser WHERE enterpriseId = ? AND deletedAt IS NULL
                """, arguments: [enterpriseId])
            while let row = try users.next() {
                let unionID: String = row["unionID"]
                var values: [BindingField: String] = [:]
                values[.mobile] = row["mobile"]
                values[.email] = row["email"]
                values[.employeeNo] = row["employeeNo"]
                values[.userID] = row["userID"]
                feishu.append(BindingCandidate(key: unionID, values: values))
                ids[unionID] = (row["openID"], row["userID"])
            }
            var oa: [BindingCandidate] = []
            let oaUsers = try Row.fetchCursor(db, sql: """
                SELECT oaID, loginID, mobile, email, employeeNo FROM oaUser WHERE tenantId = ? AND status = 'active'
                """, arguments: [tenantId])
            while let row = try oaUsers.next() {
                var values: [BindingField: String] = [.userID: row["loginID"]]
                values[.mobile] = row["mobile"]
                values[.email] = row["email"]
                values[.employeeNo] = row["employeeNo"]
                oa.append(BindingCandidate(key: row["oaID"], values: values))
            }
            var bound: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT unionID, oaUserID FROM binding WHERE enterpriseId = ?", arguments: [enterpriseId]) {
                bound[row["unionID"]] = row["oaUserID"]
            }
            let plan = AutoBinder.plan(feishu: feishu, oa: oa, bound: bound, fields: fields)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO binding (enterpriseId, oaUserID, unionID, openID, userID, method, field, createdBy, createdAt)
                VALUES (?, ?, ?, ?, ?, 'auto', ?, ?, ?)
                """)
            var byField: [BindingField: Int] = [:]
            for match in plan.matches {
                let known = ids[match.feishuKey]
                try insert.execute(arguments: [enterpriseId, match.oaKey, match.feishuKey, known?.openID ?? nil, known?.userID ?? nil,
                                               match.field.rawValue, actor.name, time])
                byField[match.field, default: 0] += 1
            }
            try db.execute(sql: "DELETE FROM bindingConflict WHERE enterpriseId = ?", arguments: [enterpriseId])
            let conflict = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO bindingConflict (enterpriseId, unionID, kind, field, value, oaUserIDs, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for item in plan.conflicts {
                try conflict.execute(arguments: [enterpriseId, item.feishuKey, item.kind.rawValue, item.field.rawValue, item.value,
                                                 FeishuUserRecord.encode(item.oaKeys), time])
            }
            let result = AutoBindResult(bound: plan.matches.count, conflicts: plan.conflicts.count, unmatched: plan.unmatched, byField: byField)
            try Self.audit(db, tenantId: tenantId, actor, "binding.auto", target: "enterprise \(enterpriseId) \(enterprise.name)", before: nil,
                           after: ["bound": "\(result.bound)", "conflicts": "\(result.conflicts)", "unmatched": "\(result.unmatched)",
                                   "fields": fields.map(\.rawValue).joined(separator: " > ")])
            return result
        }
    }
}
