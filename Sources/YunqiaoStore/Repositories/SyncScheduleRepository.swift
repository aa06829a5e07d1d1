import Foundation
import GRDB
import YunqiaoCore

/// The directory syncs' schedules in SQLite (migration v14). A firing is claimed by a compare-and-set on `fires`, so a
/// schedule fires once per slot whichever process looks first.
public struct SyncScheduleRepository: StoreRepository, SyncScheduleStore {
    let writer: any DatabaseWriter

    public func syncSchedules(tenantId: Int64, enterpriseId: Int64) async throws -> [SyncDirection: SyncScheduleRecord] {
        try await read { db in
            _ = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            return try Self.schedules(db, tenantId: tenantId, enterpriseId: enterpriseId)
        }
    }

    static func schedules(_ db: Database, tenantId: Int64, enterpriseId: Int64) throws -> [SyncDirection: SyncScheduleRecord] {
        let stored = try Row.fetchAll(db, sql: "SELECT * FROM syncSchedule WHERE enterpriseId = ?", arguments: [enterpriseId])
            .compactMap(Self.record)
        var schedules = Dictionary(stored.map { ($0.direction, $0) }, uniquingKeysWith: { first, _ in first })
        for direction in SyncDirection.allCases where schedules[direction] == nil {
            schedules[direction] = SyncScheduleRecord(tenantId: tenantId, enterpriseId: enterpriseId, direction: direction, schedule: .off,
                                                      updatedAt: Date(timeIntervalSince1970: 0))
        }
        return schedules
    }

    @discardableResult
    public func setSyncSchedule(tenantId: Int64, enterpriseId: Int64, direction: SyncDirection, _ schedule: SyncSchedule, by actor: AuditActor,
                                at time: Date = Date()) async throws -> SyncScheduleRecord
    {
        try schedule.validate()
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            guard let before = try Self.schedules(db, tenantId: tenantId, enterpriseId: enterpriseId)[direction] else {
                throw StoreError.notFound("schedule")
            }
            if before.schedule == schedule { return before }
            try db.execute(sql: """
                INSERT INTO syncSchedule (tenantId, enterpriseId, direction, enabled, everyMinutes, cron, timeZone, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(enterpriseId, direction) DO UPDATE SET enabled = excluded.enabled, everyMinutes = excluded.everyMinutes,
                    cron = excluded.cron, timeZone = excluded.timeZone, updatedAt = excluded.updatedAt
                """, arguments: [tenantId, enterpriseId, direction.rawValue, schedule.enabled, schedule.everyMinutes, schedule.cron,
                                 schedule.timeZone, time])
            try Self.audit(db, tenantId: tenantId, actor, "syncSchedule.set",
                                      target: "enterprise \(enterpriseId) \(enterprise.name) \(direction.rawValue)",
                                      before: Self.auditView(before.schedule), after: Self.auditView(schedule))
            var saved = before
            saved.schedule = schedule
            saved.updatedAt = time
            return saved
        }
    }

    public func enabledSyncSchedules() async throws -> [SyncScheduleRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM syncSchedule WHERE enabled ORDER BY enterpriseId, direction").compactMap(Self.record)
        }
    }

    public func claimSyncScheduleFire(_ schedule: SyncScheduleRecord, at time: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE syncSchedule SET fires = fires + 1, lastFiredAt = ?, lastOutcome = NULL, lastRunId = NULL, lastNote = NULL
                WHERE enterpriseId = ? AND direction = ? AND fires = ? AND enabled
                """, arguments: [time, schedule.enterpriseId, schedule.direction.rawValue, schedule.fires])
            return db.changesCount == 1
        }
    }

    public func recordSyncScheduleOutcome(enterpriseId: Int64, direction: SyncDirection, _ outcome: SyncScheduleRecord.Outcome,
                                          runId: Int64?, note: LocalizedText?) async throws
    {
        let noteText = try note.map { String(decoding: try JSONEncoder.keepingKeys().encode($0), as: UTF8.self) }
        try await write { db in
            try db.execute(sql: "UPDATE syncSchedule SET lastOutcome = ?, lastRunId = ?, lastNote = ? WHERE enterpriseId = ? AND direction = ?",
                           arguments: [outcome.rawValue, runId, noteText, enterpriseId, direction.rawValue])
        }
    }

    private static func record(_ row: Row) -> SyncScheduleRecord? {
        guard let direction = SyncDirection(rawValue: row["direction"]) else { return nil }
        let note: String? = row["lastNote"]
        return SyncScheduleRecord(
            tenantId: row["tenantId"], enterpriseId: row["enterpriseId"], direction: direction,
            schedule: SyncSchedule(enabled: row["enabled"], everyMinutes: row["everyMinutes"], cron: row["cron"], timeZone: row["timeZone"]),
            updatedAt: row["updatedAt"], fires: row["fires"], lastFiredAt: row["lastFiredAt"],
            lastOutcome: (row["lastOutcome"] as String?).flatMap(SyncScheduleRecord.Outcome.init(rawValue:)), lastRunId: row["lastRunId"],
            lastNote: note.flatMap { try? JSONDecoder().decode(LocalizedText.self, from: Data($0.utf8)) })
    }

    static func auditView(_ schedule: SyncSchedule) -> [String: String] {
        var view = ["enabled": "\(schedule.enabled)", "timeZone": schedule.timeZone]
        if let minutes = schedule.everyMinutes { view["everyMinutes"] = "\(minutes)" }
        if let cron = schedule.cron { view["cron"] = cron }
        return view
    }
}
