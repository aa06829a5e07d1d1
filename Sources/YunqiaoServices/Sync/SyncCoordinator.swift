import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore
import YunqiaoStore

/// Runs "sync now" requests in the background, one run per enterprise at a time. A `Service`: on graceful shutdown it
/// takes no new runs and waits for the running ones to finish (bounded by the service group's shutdown timeout).
public actor SyncCoordinator: Service {
    private struct Job: Sendable {
        var run: SyncRunRecord
        var enterprise: EnterpriseRecord
    }

    private let sync: FeishuDirectorySync
    private let jobs: AsyncStream<Job>
    private let queue: AsyncStream<Job>.Continuation
    private var running: [Int64: SyncRunRecord] = [:]

    public init(sync: FeishuDirectorySync) {
        self.sync = sync
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
    }

    /// Starts a run of `enterprise`, or returns the one already running (`started == false`).
    public func start(enterprise: EnterpriseRecord) async throws -> (run: SyncRunRecord, started: Bool) {
        guard let id = enterprise.id else { throw YunqiaoDatabase.StoreError.notFound("enterprise") }
        if let run = running[id] { return (run, false) }
        let run = try await sync.start(enterprise: enterprise)
        running[id] = run
        if case .terminated = queue.yield(Job(run: run, enterprise: enterprise)) {
            running[id] = nil
            var report = SyncReport()
            report.status = .failed
            report.error = "the server is shutting down"
            try await sync.database.finishSyncRun(run, report: report)
            throw YunqiaoError.unavailable("the server is shutting down; try again after it restarts")
        }
        return (run, true)
    }

    public var runningEnterprises: [Int64] { Array(running.keys) }

    private func finished(_ enterpriseId: Int64) { running[enterpriseId] = nil }

    public func run() async throws {
        let queue = self.queue
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await job in jobs {
                    group.addTask {
                        _ = await self.sync.finish(job.run, enterprise: job.enterprise)
                        await self.finished(job.run.enterpriseId)
                    }
                }
            }
        } onGracefulShutdown: {
            queue.finish()
        }
    }
}

