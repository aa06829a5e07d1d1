import Foundation
import GRDB
import YunqiaoCore

/// The user-decrease threshold of the OA directory and the changes it parked (issue #13, item 12): every source of
/// the directory — the pull connector, the push API, a sheet import — goes through ``importOADirectory``, so none of
/// them can make more users leave than the threshold allows without an admin saying so.
extension OADirectoryRepository {
    public func decreaseThreshold(tenantId: Int64) async throws -> DecreaseThreshold {
        try await read { db in try Self.decreaseThreshold(db, tenantId: tenantId) }
    }

    @discardableResult
    public func setDecreaseThreshold(tenantId: Int64, _ threshold: DecreaseThreshold, by actor: AuditActor) async throws -> DecreaseThreshold {
        if let percent = threshold.maxPercent, !(0...100).contains(percent) {
            throw StoreError.invalid(field: "maxPercent", message: "must be between 0 and 100")
        }
        if let count = threshold.maxCount, count < 0 { throw StoreError.invalid(field: "maxCount", message: "must not be negative") }
        let text = String(decoding: try JSONEncoder().encode(threshold), as: UTF8.self)
        return try await write { db in
            try Self.setTenantSetting(db, tenantId: tenantId, Self.thresholdKey, text, by: actor) { stored in
                let value = (try? JSONDecoder().decode(DecreaseThreshold.self, from: Data(stored.utf8))) ?? .standard
                return ["maxPercent": value.maxPercent.map(String.init) ?? "-", "maxCount": value.maxCount.map(String.init) ?? "-"]
            }
            return threshold
        }
    }

    public func parkedChanges(tenantId: Int64, limit: Int = 20) async throws -> [ParkedChangeRecord] {
        try await read { db in
            try ParkedChangeRecord.filter(ParkedChangeRecord.Columns.tenantId == tenantId)
                .order(ParkedChangeRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }

    public func applyParkedChange(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date = Date()) async throws
        -> OADirectoryImportResult
    {
        try await write { db in
            var parked = try Self.pendingParked(db, tenantId: tenantId, id: id)
            let change = try JSONDecoder().decode(ParkedDirectory.self, from: Data(parked.payload.utf8))
            let result = try Self.importDirectory(db, tenantId: tenantId, change, mode: parked.mode, by: actor, at: time)
            parked.state = .applied
            parked.decidedBy = actor.name
            parked.decidedAt = time
            try parked.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "oaDirectory.parked.apply", target: "\(id)", before: nil,
                           after: ["left": "\(result.left)", "deleted": "\(result.deleted)"])
            return result
        }
    }

    public func discardParkedChange(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date = Date()) async throws {
        try await write { db in
            var parked = try Self.pendingParked(db, tenantId: tenantId, id: id)
            parked.state = .discarded
            parked.decidedBy = actor.name
            parked.decidedAt = time
            try parked.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "oaDirectory.parked.discard", target: "\(id)", before: nil, after: nil)
        }
    }

    // MARK: inside a transaction

    static var thresholdKey: String { "decreaseThreshold" }

    static func decreaseThreshold(_ db: Database, tenantId: Int64) throws -> DecreaseThreshold {
        guard let text = try tenantSetting(db, tenantId: tenantId, thresholdKey) else { return .standard }
        return (try? JSONDecoder().decode(DecreaseThreshold.self, from: Data(text.utf8))) ?? .standard
    }

    /// Parks a replace that goes past the threshold (superseding a waiting one) and answers what was parked; nil when
    /// the change may be applied.
    static func parkIfPastThreshold(_ db: Database, tenantId: Int64, _ change: ParkedDirectory, mode: OADirectoryImportMode,
                                    source: OADirectorySource, by actor: AuditActor, at time: Date) throws -> OADirectoryImportResult?
    {
        guard mode == .replace else { return nil }
        let threshold = try decreaseThreshold(db, tenantId: tenantId)
        var leaving = 0, active = 0, deleting = 0, departments = 0
        if !change.users.isEmpty {
            let kept = Set(change.users.map(\.oaID))
            let stored = try String.fetchAll(db, sql: "SELECT oaID FROM oaUser WHERE tenantId = ? AND status != 'left'", arguments: [tenantId])
            active = stored.count
            leaving = stored.count { !kept.contains($0) }
        }
        if !change.departments.isEmpty {
            let kept = Set(change.departments.map(\.oaID))
            let stored = try String.fetchAll(db, sql: "SELECT oaID FROM oaDepartment WHERE tenantId = ?", arguments: [tenantId])
            departments = stored.count
            deleting = stored.count { !kept.contains($0) }
        }
        guard threshold.isExceeded(removing: leaving, of: active) || threshold.isExceeded(removing: deleting, of: departments) else {
            return nil
        }
        try supersedeParked(db, tenantId: tenantId, at: time)
        var parked = ParkedChangeRecord(tenantId: tenantId, source: source, mode: mode,
                                        payload: String(decoding: try JSONEncoder.keepingKeys().encode(change), as: UTF8.self),
                                        leavingUsers: leaving, activeUsers: active, deletedDepartments: deleting, departments: departments,
                                        createdBy: actor.name, createdAt: time)
        try parked.insert(db)
        try audit(db, tenantId: tenantId, actor, "oaDirectory.parked", target: "\(parked.id ?? 0)", before: nil,
                  after: ["source": source.rawValue, "leavingUsers": "\(leaving)", "activeUsers": "\(active)",
                          "deletedDepartments": "\(deleting)", "departments": "\(departments)"])
        var result = OADirectoryImportResult()
        result.parked = ParkedChangeSummary(parked)
        return result
    }

    /// A waiting parked change no longer applies once the directory has been replaced since.
    static func supersedeParked(_ db: Database, tenantId: Int64, at time: Date) throws {
        try db.execute(sql: "UPDATE parkedChange SET state = 'superseded', decidedAt = ? WHERE tenantId = ? AND state = 'pending'",
                       arguments: [time, tenantId])
    }

    private static func pendingParked(_ db: Database, tenantId: Int64, id: Int64) throws -> ParkedChangeRecord {
        guard let parked = try ParkedChangeRecord.fetchOne(db, key: id), parked.tenantId == tenantId else {
            throw StoreError.notFound("parked change \(id)")
        }
        guard parked.state == .pending else {
            throw StoreError.conflict(field: nil, message: "parked change \(id) is \(parked.state.rawValue), not pending")
        }
        return parked
    }
}
