import Foundation
import YunqiaoCore

/// A sync schedule as the admin API answers it: the rule, when it fires next and what it last did.
public struct SyncScheduleView: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var everyMinutes: Int?
    public var cron: String?
    public var timeZone: String
    /// When it fires next (nil while off).
    public var nextRunAt: Date?
    public var lastFiredAt: Date?
    /// `started`, `skipped` or `failed`.
    public var lastOutcome: String?
    /// The run the last firing started: a sync run (from Feishu) or an OA → Feishu run.
    public var lastRunId: Int64?
    public var lastNote: LocalizedText?

    public init(_ record: SyncScheduleRecord) {
        enabled = record.schedule.enabled
        everyMinutes = record.schedule.everyMinutes
        cron = record.schedule.cron
        timeZone = record.schedule.timeZone
        nextRunAt = record.nextFire
        lastFiredAt = record.lastFiredAt
        lastOutcome = record.lastOutcome?.rawValue
        lastRunId = record.lastRunId
        lastNote = record.lastNote
    }
}

/// Both directions' schedules of an enterprise.
public struct SyncSchedulesView: Codable, Sendable, Equatable {
    public var fromFeishu: SyncScheduleView
    public var toFeishu: SyncScheduleView

    init(_ records: [SyncDirection: SyncScheduleRecord]) {
        let off = SyncScheduleRecord(tenantId: 0, enterpriseId: 0, direction: .fromFeishu, schedule: .off, updatedAt: Date())
        fromFeishu = SyncScheduleView(records[.fromFeishu] ?? off)
        toFeishu = SyncScheduleView(records[.toFeishu] ?? off)
    }
}
