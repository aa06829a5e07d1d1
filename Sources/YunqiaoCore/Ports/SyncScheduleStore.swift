import Foundation

/// The schedules of the directory syncs (mode 1 from Feishu, mode 3 to Feishu), per enterprise and direction.
public protocol SyncScheduleStore: Sendable {
    /// The enterprise's schedule for each direction (``SyncSchedule/off`` until saved).
    func syncSchedules(tenantId: Int64, enterpriseId: Int64) async throws -> [SyncDirection: SyncScheduleRecord]

    /// Saves a schedule (checked by ``SyncSchedule/validate()``), audited as `syncSchedule.set`; a save that changes
    /// nothing writes nothing.
    @discardableResult
    func setSyncSchedule(tenantId: Int64, enterpriseId: Int64, direction: SyncDirection, _ schedule: SyncSchedule, by actor: AuditActor,
                         at time: Date) async throws -> SyncScheduleRecord

    /// Every enabled schedule, of every tenant.
    func enabledSyncSchedules() async throws -> [SyncScheduleRecord]

    /// Claims a firing: true for exactly one caller that read the schedule with `fires` (it becomes `fires + 1`, fired
    /// at `time`); false when another claimed it first.
    func claimSyncScheduleFire(_ schedule: SyncScheduleRecord, at time: Date) async throws -> Bool

    /// What the last firing did.
    func recordSyncScheduleOutcome(enterpriseId: Int64, direction: SyncDirection, _ outcome: SyncScheduleRecord.Outcome, runId: Int64?,
                                   note: LocalizedText?) async throws
}
