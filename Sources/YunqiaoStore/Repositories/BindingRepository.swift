import Foundation
import GRDB
import YunqiaoCore

/// Bindings of OA users to Feishu users: manual and automatic binding, the conflict queue, the auto-bind settings
/// and the association sheet.
public struct BindingRepository: StoreRepository {
    let writer: any DatabaseWriter
}

/// What the matcher reads: the live Feishu mirror (with each user's open_id and user_id), the active OA users of the
/// tenant and the existing bindings (union_id → OA user id).
struct AutoBindInputs {
    var feishu: [BindingCandidate] = []
    var ids: [String: (openID: String?, userID: String?)] = [:]
    var oa: [BindingCandidate] = []
    var bound: [String: String] = [:]
}

/// The OA directory and the bindings of OA users to Feishu users.
extension BindingRepository {
    public func all(enterpriseId: Int64) async throws -> [BindingRecord] {
        try await read { db in try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId).order(BindingRecord.Columns.oaUserID).fetchAll(db) }
    }

    public func bindingConflicts(enterpriseId: Int64) async throws -> [BindingConflictRecord] {
        try await read { db in
            try BindingConflictRecord.filter(BindingConflictRecord.Columns.enterpriseId == enterpriseId).order(BindingConflictRecord.Columns.unionID).fetchAll(db)
        }
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
            let inputs = try Self.autoBindInputs(db, tenantId: tenantId, enterpriseId: enterpriseId)
            let ids = inputs.ids
            let plan = AutoBinder.plan(feishu: inputs.feishu, oa: inputs.oa, bound: inputs.bound, fields: fields)
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
                                                 IDList.encode(item.oaKeys), time])
            }
            let result = AutoBindResult(bound: plan.matches.count, conflicts: plan.conflicts.count, unmatched: plan.unmatched, byField: byField)
            try Self.audit(db, tenantId: tenantId, actor, "binding.auto", target: "enterprise \(enterpriseId) \(enterprise.name)", before: nil,
                           after: ["bound": "\(result.bound)", "conflicts": "\(result.conflicts)", "unmatched": "\(result.unmatched)",
                                   "fields": fields.map(\.rawValue).joined(separator: " > ")])
            return result
        }
    }

    /// Auto-bind for one Feishu user (at their first visit): the same plan as a whole pass — so a value that two Feishu
    /// users or two OA users share still binds nobody — but only this user's binding is written, audited as
    /// `binding.auto` when made. The conflict queue is left to the next whole pass. Returns the binding, or nil.
    @discardableResult
    public func autoBindUser(tenantId: Int64, enterpriseId: Int64, unionID: String, fields: [BindingField], by actor: AuditActor,
                             at time: Date = Date()) async throws -> BindingRecord?
    {
        guard !fields.isEmpty else { throw StoreError.invalid(field: "fields", message: "choose at least one field") }
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            if let existing = try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId && BindingRecord.Columns.unionID == unionID).fetchOne(db) {
                return existing
            }
            let inputs = try Self.autoBindInputs(db, tenantId: tenantId, enterpriseId: enterpriseId)
            let plan = AutoBinder.plan(feishu: inputs.feishu, oa: inputs.oa, bound: inputs.bound, fields: fields)
            guard let match = plan.matches.first(where: { $0.feishuKey == unionID }) else { return nil }
            let known = inputs.ids[unionID]
            let binding = BindingRecord(enterpriseId: enterpriseId, oaUserID: match.oaKey, unionID: unionID, openID: known?.openID ?? nil,
                                        userID: known?.userID ?? nil, method: "auto", field: match.field.rawValue, createdBy: actor.name,
                                        createdAt: time)
            try Self.record(db, binding, tenantId: tenantId, actor: actor, action: "binding.auto",
                            target: "\(enterprise.auditTarget): OA user \(match.oaKey)")
            return binding
        }
    }
}

extension StoreRepository {
    static func autoBindInputs(_ db: Database, tenantId: Int64, enterpriseId: Int64) throws -> AutoBindInputs {
        var inputs = AutoBindInputs()
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
            inputs.feishu.append(BindingCandidate(key: unionID, values: values))
            inputs.ids[unionID] = (row["openID"], row["userID"])
        }
        let oaUsers = try Row.fetchCursor(db, sql: """
            SELECT oaID, loginID, mobile, email, employeeNo FROM oaUser WHERE tenantId = ? AND status = 'active'
            """, arguments: [tenantId])
        while let row = try oaUsers.next() {
            var values: [BindingField: String] = [.userID: row["loginID"]]
            values[.mobile] = row["mobile"]
            values[.email] = row["email"]
            values[.employeeNo] = row["employeeNo"]
            inputs.oa.append(BindingCandidate(key: row["oaID"], values: values))
        }
        for row in try Row.fetchAll(db, sql: "SELECT unionID, oaUserID FROM binding WHERE enterpriseId = ?", arguments: [enterpriseId]) {
            inputs.bound[row["unionID"]] = row["oaUserID"]
        }
        return inputs
    }
}

extension BindingRepository {
    public func bindingSettings(tenantId: Int64, enterpriseId: Int64) async throws -> BindingSettings {
        try await read { db in
            _ = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard let row = try Row.fetchOne(db, sql: "SELECT autoBindEnabled, fields FROM bindingSetting WHERE enterpriseId = ?",
                                             arguments: [enterpriseId])
            else { return BindingSettings() }
            let names = IDList.decode(row["fields"])
            return BindingSettings(autoBindEnabled: row["autoBindEnabled"], fields: names.compactMap(BindingField.init(rawValue:)))
        }
    }

    public func setBindingSettings(tenantId: Int64, enterpriseId: Int64, _ settings: BindingSettings, by actor: AuditActor) async throws
        -> BindingSettings
    {
        guard !settings.fields.isEmpty else { throw StoreError.invalid(field: "fields", message: "choose at least one field") }
        guard Set(settings.fields).count == settings.fields.count else {
            throw StoreError.invalid(field: "fields", message: "each field at most once")
        }
        let before = try await bindingSettings(tenantId: tenantId, enterpriseId: enterpriseId)
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard before != settings else { return settings }
            try db.execute(sql: """
                INSERT OR REPLACE INTO bindingSetting (enterpriseId, autoBindEnabled, fields, updatedAt) VALUES (?, ?, ?, ?)
                """, arguments: [enterpriseId, settings.autoBindEnabled, IDList.encode(settings.fields.map(\.rawValue)), Date()])
            func view(_ value: BindingSettings) -> [String: String] {
                ["autoBindEnabled": "\(value.autoBindEnabled)", "fields": value.fields.map(\.rawValue).joined(separator: " > ")]
            }
            try Self.audit(db, tenantId: tenantId, actor, "binding.settings", target: enterprise.auditTarget, before: view(before),
                           after: view(settings))
            return settings
        }
    }

    /// Binds an OA user to a Feishu user by hand (user card, import sheet): both must exist, neither may be bound.
    @discardableResult
    ///
    /// A user who just signed in with Feishu (`signedIn`, from `user_info`) may bind before the mirror holds them: the
    /// ids the login vouched for are stored then.
    public func bind(tenantId: Int64, enterpriseId: Int64, oaUserID: String, unionID: String, method: String, field: String? = nil,
                     signedIn: SignedInFeishuUser? = nil, by actor: AuditActor) async throws -> BindingRecord
    {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard let oaUser = try OAUserRecord.fetchOne(db, key: ["tenantId": tenantId, "oaID": oaUserID]) else {
                throw StoreError.invalid(field: "oaUserID", message: "no OA user \(oaUserID)")
            }
            guard oaUser.status == "active" else { throw StoreError.invalid(field: "oaUserID", message: "OA user \(oaUserID) has left") }
            let feishu: SignedInFeishuUser
            if let row = try Row.fetchOne(db, sql: """
                SELECT openID, userID, name FROM feishuUser WHERE enterpriseId = ? AND unionID = ? AND deletedAt IS NULL
                """, arguments: [enterpriseId, unionID])
            {
                feishu = SignedInFeishuUser(openID: row["openID"], userID: row["userID"], name: row["name"])
            } else if let signedIn {
                feishu = signedIn
            } else {
                throw StoreError.invalid(field: "unionID", message: "no Feishu user \(unionID) in this enterprise")
            }
            if let other = try BindingRecord.fetchOne(db, key: ["enterpriseId": enterpriseId, "oaUserID": oaUserID]) {
                throw StoreError.conflict(field: "oaUserID", message: "OA user \(oaUserID) is already bound to \(other.unionID)")
            }
            if let other = try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId && BindingRecord.Columns.unionID == unionID).fetchOne(db) {
                throw StoreError.conflict(field: "unionID", message: "Feishu user \(unionID) is already bound to OA user \(other.oaUserID)")
            }
            let binding = BindingRecord(enterpriseId: enterpriseId, oaUserID: oaUserID, unionID: unionID, openID: feishu.openID,
                                        userID: feishu.userID, method: method, field: field, createdBy: actor.name, createdAt: Date())
            let feishuName = feishu.name.isEmpty ? unionID : feishu.name
            try Self.record(db, binding, tenantId: tenantId, actor: actor, target: "\(enterprise.auditTarget): \(oaUser.name) ⇄ \(feishuName)")
            return binding
        }
    }

    /// Unbinds one OA user; the audit log keeps what the binding was.
    public func unbind(tenantId: Int64, enterpriseId: Int64, oaUserID: String, by actor: AuditActor) async throws {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard let binding = try BindingRecord.fetchOne(db, key: ["enterpriseId": enterpriseId, "oaUserID": oaUserID]) else {
                throw StoreError.notFound("binding of OA user \(oaUserID)")
            }
            _ = try binding.delete(db)
            try Self.audit(db, tenantId: tenantId, actor, "binding.unbind", target: "\(enterprise.auditTarget): OA user \(oaUserID)",
                           before: binding.auditView, after: nil)
        }
    }

    /// Batch unbind: every binding of an enterprise, with one audit entry per binding. Returns how many.
    @discardableResult
    public func unbindAll(tenantId: Int64, enterpriseId: Int64, by actor: AuditActor) async throws -> Int {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            let all = try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId).fetchAll(db)
            for binding in all {
                try Self.audit(db, tenantId: tenantId, actor, "binding.unbind", target: "\(enterprise.auditTarget): OA user \(binding.oaUserID)",
                               before: binding.auditView, after: ["batch": "true"])
            }
            try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId).deleteAll(db)
            return all.count
        }
    }
}

extension StoreRepository {
    /// Records one binding (card, manual, auto or sheet): inserted, taken off the conflict queue, audited.
    static func record(_ db: Database, _ binding: BindingRecord, tenantId: Int64, actor: AuditActor, action: String = "binding.bind",
                       target: String) throws
    {
        try binding.insert(db)
        try db.cachedStatement(sql: "DELETE FROM bindingConflict WHERE enterpriseId = ? AND unionID = ?")
            .execute(arguments: [binding.enterpriseId, binding.unionID])
        try audit(db, tenantId: tenantId, actor, action, target: target, before: nil, after: binding.auditView)
    }
}

extension BindingRecord {
    var auditView: [String: String] {
        var view = ["oaUserID": oaUserID, "unionID": unionID, "method": method, "createdBy": createdBy]
        if let openID { view["openID"] = openID }
        if let userID { view["userID"] = userID }
        if let field { view["field"] = field }
        return view
    }
}

extension BindingRepository {
    /// The binding of a Feishu user (by union_id) in an enterprise.
    public func binding(enterpriseId: Int64, unionID: String) async throws -> BindingRecord? {
        try await read { db in
            try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId && BindingRecord.Columns.unionID == unionID).fetchOne(db)
        }
    }
}

extension BindingRepository: BindingStore {}
