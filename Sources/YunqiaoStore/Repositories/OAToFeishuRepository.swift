import Foundation
import GRDB
import YunqiaoCore

/// Mode 3 (OA → Feishu) in SQLite: settings per enterprise, runs and their journal, department links and disable
/// times (migration v13). Each journal entry is written with what it leaves — a link, a binding, a disable time — in
/// one transaction, so an apply that dies between two items resumes with nothing lost and nothing done twice.
public struct OAToFeishuRepository: StoreRepository, OAToFeishuStore {
    let writer: any DatabaseWriter

    /// The most OA ids an include or exclude list takes.
    static let maxListEntries = 10_000

    public func oaToFeishuSettings(enterpriseId: Int64) async throws -> OAToFeishuSettings {
        try await read { db in try Self.settings(db, enterpriseId: enterpriseId) }
    }

    static func settings(_ db: Database, enterpriseId: Int64) throws -> OAToFeishuSettings {
        guard let text = try String.fetchOne(db, sql: "SELECT settings FROM oaToFeishuSettings WHERE enterpriseId = ?",
                                             arguments: [enterpriseId])
        else { return .standard }
        return (try? JSONDecoder().decode(OAToFeishuSettings.self, from: Data(text.utf8))) ?? .standard
    }

    @discardableResult
    public func setOAToFeishuSettings(tenantId: Int64, enterpriseId: Int64, _ settings: OAToFeishuSettings, by actor: AuditActor,
                                      at time: Date = Date()) async throws -> OAToFeishuSettings
    {
        try Self.validate(settings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(settings), as: UTF8.self)
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            let before = try Self.settings(db, enterpriseId: enterpriseId)
            try db.execute(sql: """
                INSERT INTO oaToFeishuSettings (enterpriseId, settings, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT(enterpriseId) DO UPDATE SET settings = excluded.settings, updatedAt = excluded.updatedAt
                """, arguments: [enterpriseId, text, time])
            try Self.audit(db, tenantId: tenantId, actor, "oaToFeishu.settings", target: "enterprise \(enterpriseId) \(enterprise.name)",
                           before: Self.auditView(before), after: Self.auditView(settings))
            return settings
        }
    }

    /// The rules the store keeps whoever calls: the API and the console show them by field.
    static func validate(_ settings: OAToFeishuSettings) throws {
        if let top = settings.topDepartmentID, top.isEmpty || top.count > 64 {
            throw StoreError.invalid(field: "topDepartmentID", message: "1 to 64 characters, or leave it out for the Feishu root")
        }
        if let days = settings.deleteDisabledAfterDays, !(0...3650).contains(days) {
            throw StoreError.invalid(field: "deleteDisabledAfterDays", message: "must be between 0 and 3650")
        }
        if let name = settings.disabledDepartmentName {
            if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 || name.contains("/") {
                throw StoreError.invalid(field: "disabledDepartmentName", message: "1 to 100 characters, without /")
            }
        }
        if let percent = settings.threshold.maxPercent, !(0...100).contains(percent) {
            throw StoreError.invalid(field: "threshold.maxPercent", message: "must be between 0 and 100")
        }
        if let count = settings.threshold.maxCount, count < 0 {
            throw StoreError.invalid(field: "threshold.maxCount", message: "must not be negative")
        }
        let fields = settings.fieldMapping.map(\.feishu)
        if Set(fields).count != fields.count {
            throw StoreError.invalid(field: "fieldMapping", message: "each Feishu field at most once")
        }
        // Feishu creates a user only with a name and a mobile.
        if settings.createUsers, !fields.contains(.name) || !fields.contains(.mobile) {
            throw StoreError.invalid(field: "fieldMapping", message: "creating users needs a name and a mobile mapped")
        }
        for (field, list) in [("includeDepartments", settings.includeDepartments), ("includeUsers", settings.includeUsers),
                              ("excludeUsers", settings.excludeUsers)] where list.count > maxListEntries || list.contains(where: \.isEmpty)
        {
            throw StoreError.invalid(field: field, message: "at most \(maxListEntries) OA ids, none empty")
        }
    }

    static func auditView(_ settings: OAToFeishuSettings) -> [String: String] {
        ["writable": "\(settings.writable)", "topDepartmentID": settings.topDepartmentID ?? "-", "createUsers": "\(settings.createUsers)",
         "accountField": settings.accountField.rawValue, "leaverAction": settings.leaverAction.rawValue,
         "deleteDisabledAfterDays": settings.deleteDisabledAfterDays.map(String.init) ?? "-",
         "disabledDepartmentName": settings.disabledDepartmentName ?? "-",
         "fieldMapping": settings.fieldMapping.map { "\($0.oa.rawValue)→\($0.feishu.rawValue)\($0.synced ? "" : " (create only)")" }
             .joined(separator: ", "),
         "includePartTimeDepartments": "\(settings.includePartTimeDepartments)",
         "scope": "\(settings.includeDepartments.count) departments, \(settings.includeUsers.count) users in, \(settings.excludeUsers.count) out"]
    }

    public func oaToFeishuDisabledAt(enterpriseId: Int64, unionID: String) async throws -> Date? {
        try await read { db in
            try Date.fetchOne(db, sql: "SELECT disabledAt FROM oaToFeishuDisabled WHERE enterpriseId = ? AND unionID = ?",
                              arguments: [enterpriseId, unionID])
        }
    }

    public func releaseOAToFeishuDisabled(tenantId: Int64, enterpriseId: Int64, unionID: String, name: String, by actor: AuditActor,
                                          at time: Date) async throws
    {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            try db.execute(sql: "DELETE FROM oaToFeishuDisabled WHERE enterpriseId = ? AND unionID = ?", arguments: [enterpriseId, unionID])
            try Self.audit(db, tenantId: tenantId, actor, "oaToFeishu.unfreeze", target: "enterprise \(enterpriseId) \(enterprise.name)",
                           before: nil, after: ["user": name, "unionID": unionID])
        }
    }

    public func oaToFeishuMemory(enterpriseId: Int64) async throws -> OAToFeishuMemory {
        try await read { db in
            let links = try Row.fetchAll(db, sql: "SELECT oaID, openDepartmentID FROM oaToFeishuLink WHERE enterpriseId = ?",
                                         arguments: [enterpriseId])
            let disabled = try Row.fetchAll(db, sql: "SELECT unionID, disabledAt FROM oaToFeishuDisabled WHERE enterpriseId = ?",
                                            arguments: [enterpriseId])
            let last = try Int.fetchOne(db, sql: """
                SELECT activeOAUsers FROM oaToFeishuRun WHERE enterpriseId = ? AND status IN ('applied', 'partial')
                ORDER BY id DESC LIMIT 1
                """, arguments: [enterpriseId])
            return OAToFeishuMemory(departmentLinks: Dictionary(links.map { ($0["oaID"], $0["openDepartmentID"]) }, uniquingKeysWith: { $1 }),
                                    disabledAt: Dictionary(disabled.map { ($0["unionID"], $0["disabledAt"]) }, uniquingKeysWith: { $1 }),
                                    lastActiveOAUsers: last)
        }
    }

    public func allOAUsers(tenantId: Int64) async throws -> [OAUserRecord] {
        try await read { db in try OAUserRecord.filter(OAUserRecord.Columns.tenantId == tenantId).fetchAll(db) }
    }

    public func createOAToFeishuRun(_ run: OAToFeishuRunRecord, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        try await write { db in
            var run = run
            try run.insert(db)
            try Self.audit(db, tenantId: run.tenantId, actor, "oaToFeishu.plan", target: "enterprise \(run.enterpriseId) run \(run.id ?? 0)",
                           before: nil, after: ["status": run.status.rawValue])
            return run
        }
    }

    public func oaToFeishuRun(tenantId: Int64, id: Int64) async throws -> OAToFeishuRunRecord {
        try await read { db in try Self.run(db, tenantId: tenantId, id: id) }
    }

    static func run(_ db: Database, tenantId: Int64, id: Int64) throws -> OAToFeishuRunRecord {
        guard let run = try OAToFeishuRunRecord.fetchOne(db, key: id), run.tenantId == tenantId else {
            throw StoreError.notFound("OA → Feishu run \(id)")
        }
        return run
    }

    public func oaToFeishuRuns(enterpriseId: Int64, limit: Int) async throws -> [OAToFeishuRunRecord] {
        try await read { db in
            try OAToFeishuRunRecord.filter(OAToFeishuRunRecord.Columns.enterpriseId == enterpriseId)
                .order(OAToFeishuRunRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }

    public func applyingOAToFeishuRuns() async throws -> [OAToFeishuRunRecord] {
        try await read { db in
            try OAToFeishuRunRecord.filter(OAToFeishuRunRecord.Columns.status == OAToFeishuRunRecord.Status.applying.rawValue)
                .order(OAToFeishuRunRecord.Columns.id).fetchAll(db)
        }
    }

    public func decideOAToFeishuRun(tenantId: Int64, id: Int64, approve: Bool, by actor: AuditActor, at time: Date = Date()) async throws
        -> OAToFeishuRunRecord
    {
        try await write { db in
            var run = try Self.run(db, tenantId: tenantId, id: id)
            guard run.status == .parked else {
                throw StoreError.conflict(field: nil, message: "run \(id) is \(run.status.rawValue), not parked")
            }
            run.status = approve ? .applying : .discarded
            run.decidedBy = actor.name
            run.decidedAt = time
            try run.update(db)
            try Self.audit(db, tenantId: tenantId, actor, approve ? "oaToFeishu.approve" : "oaToFeishu.discard",
                           target: "enterprise \(run.enterpriseId) run \(id)", before: ["status": "parked"], after: ["status": run.status.rawValue])
            return run
        }
    }

    public func oaToFeishuSteps(runId: Int64) async throws -> [Int: OAToFeishuStepRecord] {
        try await read { db in
            let steps = try OAToFeishuStepRecord.filter(OAToFeishuStepRecord.Columns.runId == runId).fetchAll(db)
            return Dictionary(steps.map { ($0.position, $0) }, uniquingKeysWith: { $1 })
        }
    }

    public func recordOAToFeishuStep(_ step: OAToFeishuStepRecord, enterpriseId: Int64, effect: OAToFeishuEffect) async throws {
        try await write { db in
            try step.save(db)
            guard step.done else { return }
            switch effect {
            case .none: break
            case .link(let oaID, let department):
                try db.execute(sql: """
                    INSERT INTO oaToFeishuLink (enterpriseId, oaID, openDepartmentID) VALUES (?, ?, ?)
                    ON CONFLICT(enterpriseId, oaID) DO UPDATE SET openDepartmentID = excluded.openDepartmentID
                    """, arguments: [enterpriseId, oaID, department])
            case .bind(let oaUserID, let user):
                try BindingRecord(enterpriseId: enterpriseId, oaUserID: oaUserID, unionID: user.unionID, openID: user.openID,
                                  userID: user.userID, method: "oaToFeishu", createdBy: "oa-to-feishu", createdAt: step.at).upsert(db)
                // The mirror knows the new user at once (the next mode-1 run refreshes every field).
                try FeishuUserRecord(user, enterpriseId: enterpriseId, at: step.at).upsert(db)
            case .disabled(let unionID):
                try db.execute(sql: "INSERT OR IGNORE INTO oaToFeishuDisabled (enterpriseId, unionID, disabledAt) VALUES (?, ?, ?)",
                               arguments: [enterpriseId, unionID, step.at])
            case .enabled(let unionID):
                try db.execute(sql: "DELETE FROM oaToFeishuDisabled WHERE enterpriseId = ? AND unionID = ?", arguments: [enterpriseId, unionID])
            case .deleted(let oaUserID, let unionID):
                try db.execute(sql: "DELETE FROM oaToFeishuDisabled WHERE enterpriseId = ? AND unionID = ?", arguments: [enterpriseId, unionID])
                if let oaUserID {
                    _ = try BindingRecord.filter(BindingRecord.Columns.enterpriseId == enterpriseId && BindingRecord.Columns.oaUserID == oaUserID)
                        .deleteAll(db)
                }
            }
        }
    }

    public func finishOAToFeishuRun(id: Int64, status: OAToFeishuRunRecord.Status, report: String?, error: String?, activeOAUsers: Int?,
                                    at time: Date = Date()) async throws
    {
        try await write { db in
            try db.execute(sql: """
                UPDATE oaToFeishuRun SET status = ?, report = ?, error = ?, activeOAUsers = ?, finishedAt = ? WHERE id = ?
                """, arguments: [status.rawValue, report, error, activeOAUsers, time, id])
        }
    }
}
