import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// Runs every enabled tenant's OA pull connector each `intervalMinutes`, and "run now" requests, in the background:
/// one run per tenant at a time (a request while one runs answers that run). A failed run is recorded and the schedule
/// goes on. A `Service` (``KeyedRuns`` on a ``WorkerLoop`` whose timer is the schedule): on graceful shutdown it starts
/// nothing new and waits for the running pulls (bounded by the service group's shutdown timeout).
///
/// The schedule looks for due connectors every `timing.tick`; a connector is due when its newest run started at least
/// `intervalMinutes × timing.minute` ago (or it never ran). Tests shorten both and may inject the clock.
public struct OAConnectorScheduler: Service, Sendable {
    public struct Timing: Sendable {
        /// How often the schedule looks for due connectors (the first look is one tick after the start).
        public var tick: Duration
        /// How long one minute of `intervalMinutes` lasts.
        public var minute: Duration

        public init(tick: Duration = .seconds(30), minute: Duration = .seconds(60)) {
            self.tick = tick
            self.minute = minute
        }
    }

    public let puller: OAConnectorPuller
    private let timing: Timing
    private let logger: Logger
    private let runs: KeyedRuns<OAConnectorRunRecord>

    public init<C: Clock>(puller: OAConnectorPuller, timing: Timing = Timing(), clock: C, logger: Logger) where C.Duration == Duration {
        self.puller = puller
        self.timing = timing
        self.logger = logger
        runs = KeyedRuns(loop: WorkerLoop(name: "OA connector schedule", every: timing.tick,
                                          sleep: { duration in try await clock.sleep(for: duration) }, logger: logger))
    }

    public init(puller: OAConnectorPuller, timing: Timing = Timing(), logger: Logger) {
        self.init(puller: puller, timing: timing, clock: ContinuousClock(), logger: logger)
    }

    /// Starts a run of the tenant's connector now (enabled or not), or answers the one already running
    /// (`started == false`). The start is audited as `oaConnector.run` under `actor`.
    public func runNow(tenantId: Int64, by actor: AuditActor) async throws -> (run: OAConnectorRunRecord, started: Bool) {
        try await start(tenantId: tenantId, source: .manual, by: actor)
    }

    /// Tenants whose pull is running.
    public var runningTenants: [Int64] {
        get async { await runs.keys }
    }

    private func start(tenantId: Int64, source: OAConnectorRunRecord.Source,
                       by actor: AuditActor) async throws -> (run: OAConnectorRunRecord, started: Bool)
    {
        if let run = await runs.running(tenantId) { return (run, false) }
        let (run, started) = try await puller.database.oaConnectors.startOAConnectorRun(tenantId: tenantId, source: source, by: actor, at: Date())
        guard started else { return (run, false) }
        let puller = self.puller
        guard await runs.start(key: tenantId, run: run, body: { await puller.finish(run) }) else {
            var outcome = OAConnectorRunOutcome(status: .failed)
            outcome.error = "the server is shutting down"
            try await puller.database.oaConnectors.finishOAConnectorRun(run, outcome, at: Date())
            throw YunqiaoError.unavailable("the server is shutting down; try again after it restarts")
        }
        return (run, true)
    }

    /// Starts the runs that are due. A failure (the store, one tenant) is logged; the schedule goes on.
    func startDue(now: Date = Date()) async {
        let connectors: [OAConnectorRecord]
        do { connectors = try await puller.database.oaConnectors.enabledOAConnectors() } catch {
            logger.error("OA connector schedule: cannot read the connectors", metadata: ["error": "\(error)"])
            return
        }
        let minute = timing.minute / .seconds(1)
        for connector in connectors where await runs.running(connector.tenantId) == nil {
            do {
                if let last = try await puller.database.oaConnectors.lastOAConnectorRunStart(tenantId: connector.tenantId),
                   now.timeIntervalSince(last) < Double(connector.intervalMinutes) * minute
                {
                    continue
                }
                _ = try await start(tenantId: connector.tenantId, source: .schedule, by: AuditActor("schedule"))
            } catch {
                logger.error("OA connector schedule: cannot start a run", metadata: ["tenant": "\(connector.tenantId)", "error": "\(error)"])
            }
        }
    }

    /// The schedule looks for due connectors at every tick; on shutdown it stops at once, running pulls finish.
    public func run() async throws {
        await runs.run(onTimer: { await self.startDue() })
    }
}
