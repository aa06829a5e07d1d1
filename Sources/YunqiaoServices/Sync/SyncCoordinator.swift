import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// Runs "sync now" requests in the background, one run per enterprise at a time (``KeyedRuns``). A `Service`: on
/// graceful shutdown it takes no new runs and waits for the running ones to finish (bounded by the service group's
/// shutdown timeout).
public struct SyncCoordinator: Service, Sendable {
    private let sync: FeishuDirectorySync
    private let runs: KeyedRuns<SyncRunRecord>

    public init(sync: FeishuDirectorySync) {
        self.sync = sync
        // No schedule yet: the timer only keeps the loop looking now and then.
        runs = KeyedRuns(loop: WorkerLoop(name: "directory sync", every: .seconds(3600), logger: sync.logger))
    }

    /// Starts a run of `enterprise`, or returns the one already running (`started == false`).
    public func start(enterprise: EnterpriseRecord) async throws -> (run: SyncRunRecord, started: Bool) {
        guard let id = enterprise.id else { throw YunqiaoError.notFound("enterprise") }
        if let run = await runs.running(id) { return (run, false) }
        let run = try await sync.start(enterprise: enterprise)
        let sync = self.sync
        guard await runs.start(key: id, run: run, body: { _ = await sync.finish(run, enterprise: enterprise) }) else {
            var report = SyncReport()
            report.status = .failed
            report.error = "the server is shutting down"
            try await sync.database.mirror.finishSyncRun(run, report: report)
            throw YunqiaoError.unavailable("the server is shutting down; try again after it restarts")
        }
        return (run, true)
    }

    public var runningEnterprises: [Int64] {
        get async { await runs.keys }
    }

    public func run() async throws { await runs.run() }
}
