import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// Starts the directory syncs on their schedules (``SyncSchedule``): mode 1 (from Feishu) through the
/// ``SyncCoordinator``, mode 3 (to Feishu) by planning a run that the ``OAToFeishuRunner`` applies. A `Service` on a
/// ``WorkerLoop`` whose timer is the schedule.
///
/// - Schedules live in the store, so they survive restarts: what is due is computed from the last firing, and slots
///   missed while the bridge was down become one run at the next look.
/// - A firing is claimed in the store before anything starts, so each slot fires once, however many processes look.
/// - Runs of one enterprise never overlap: a firing while a sync of the enterprise is under way, being planned, being
///   applied or parked for approval starts nothing and says so (`skipped`).
public struct SyncScheduler: Service, Sendable {
    public let database: any BridgeStore
    private let coordinator: SyncCoordinator
    private let oaToFeishu: OAToFeishuRunner
    private let logger: Logger
    /// Mode-3 runs being planned (a read of Feishu, then the plan), one per enterprise.
    private let planning: KeyedRuns<SyncDirection>

    /// - Parameter tick: how often the schedule looks for due syncs (the first look is one tick after the start).
    public init<C: Clock>(database: any BridgeStore, coordinator: SyncCoordinator, oaToFeishu: OAToFeishuRunner, tick: Duration = .seconds(30),
                          clock: C, logger: Logger) where C.Duration == Duration
    {
        self.database = database
        self.coordinator = coordinator
        self.oaToFeishu = oaToFeishu
        self.logger = logger
        planning = KeyedRuns(loop: WorkerLoop(name: "sync schedule", every: tick,
                                              sleep: { duration in try await clock.sleep(for: duration) }, logger: logger))
    }

    public init(database: any BridgeStore, coordinator: SyncCoordinator, oaToFeishu: OAToFeishuRunner, tick: Duration = .seconds(30),
                logger: Logger)
    {
        self.init(database: database, coordinator: coordinator, oaToFeishu: oaToFeishu, tick: tick, clock: ContinuousClock(), logger: logger)
    }

    public func run() async throws {
        await planning.run(onTimer: { await self.fireDue() })
    }

    /// Fires every schedule that is due at `now`. A failure (the store, one enterprise) is logged; the schedule goes on.
    func fireDue(now: Date = Date()) async {
        let schedules: [SyncScheduleRecord]
        do { schedules = try await database.schedules.enabledSyncSchedules() } catch {
            logger.error("sync schedule: cannot read the schedules", metadata: ["error": "\(error)"])
            return
        }
        for schedule in schedules where schedule.isDue(at: now) {
            do {
                guard try await database.schedules.claimSyncScheduleFire(schedule, at: now) else { continue }
                try await fire(schedule)
            } catch {
                logger.error("sync schedule: cannot start a run", metadata: ["enterprise": "\(schedule.enterpriseId)",
                                                                            "direction": "\(schedule.direction.rawValue)", "error": "\(error)"])
                try? await record(schedule, .failed, note: Self.note(for: error))
            }
        }
    }

    private func fire(_ schedule: SyncScheduleRecord) async throws {
        let enterprise = try await database.integration.enterprise(tenantId: schedule.tenantId, id: schedule.enterpriseId)
        if let busy = try await busy(schedule.enterpriseId) {
            try await record(schedule, .skipped, note: busy)
            return
        }
        switch schedule.direction {
        case .fromFeishu:
            let (run, started) = try await coordinator.start(enterprise: enterprise)
            try await record(schedule, started ? .started : .skipped, runId: run.id,
                             note: started ? nil : "sync run \(run.id ?? 0) from Feishu was under way")
        case .toFeishu:
            let sync = oaToFeishu.sync
            let runner = oaToFeishu
            let started = await planning.start(key: schedule.enterpriseId, run: .toFeishu) {
                do {
                    let run = try await sync.prepare(tenantId: schedule.tenantId, enterpriseId: schedule.enterpriseId, by: AuditActor("schedule"))
                    if run.status == .applying { runner.wake() }
                    try await self.record(schedule, .started, runId: run.id,
                                          note: run.status == .parked ? "run \(run.id ?? 0) is parked for approval" : nil)
                } catch {
                    self.logger.warning("sync schedule: OA → Feishu run not started", metadata: ["enterprise": "\(schedule.enterpriseId)",
                                                                                                 "error": "\(error)"])
                    try? await self.record(schedule, .failed, note: Self.note(for: error))
                }
            }
            if !started { try await record(schedule, .failed, note: "the server is shutting down") }
        }
    }

    /// Why a run of the enterprise cannot start now, if it cannot: one from Feishu under way, one to Feishu being
    /// planned, applied, or parked for approval.
    private func busy(_ enterpriseId: Int64) async throws -> LocalizedText? {
        if await coordinator.runningEnterprises.contains(enterpriseId) { return "a sync from Feishu was under way" }
        if await planning.running(enterpriseId) != nil { return "an OA → Feishu run was being planned" }
        for run in try await database.oaToFeishu.oaToFeishuRuns(enterpriseId: enterpriseId, limit: 50) {
            switch run.status {
            case .applying: return "OA → Feishu run \(run.id ?? 0) was being applied"
            case .parked: return "OA → Feishu run \(run.id ?? 0) awaits approval"
            default: continue
            }
        }
        return nil
    }

    /// An error in words for the console: keyed when it is the bridge's own.
    private static func note(for error: any Error) -> LocalizedText {
        switch error {
        case let error as YunqiaoError: error.text
        case let error as FeishuDirectorySync.SyncError: error.text
        default: LocalizedText(verbatim: "\(error)")
        }
    }

    private func record(_ schedule: SyncScheduleRecord, _ outcome: SyncScheduleRecord.Outcome, runId: Int64? = nil,
                        note: LocalizedText? = nil) async throws
    {
        try await database.schedules.recordSyncScheduleOutcome(enterpriseId: schedule.enterpriseId, direction: schedule.direction, outcome,
                                                               runId: runId, note: note)
    }
}
