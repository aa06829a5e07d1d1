import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import YunqiaoCore

/// Applies mode-3 runs in the background (a ``WorkerLoop``): the store is the queue — every run in `applying` is
/// applied, one at a time, so two runs of an enterprise never overlap. A run the previous process left `applying` (a
/// crash, a stop) is resumed at the first tick from its journal. ``wake()`` after a run was made or approved.
public final class OAToFeishuRunner: Service, Sendable {
    public let sync: OAToFeishuSync
    let loop: WorkerLoop
    /// The run being applied by this process.
    private let busy = Mutex<Int64?>(nil)

    public init(sync: OAToFeishuSync, every: Duration = .seconds(60), logger: Logger) {
        self.sync = sync
        loop = WorkerLoop(name: "oa-to-feishu", every: every, logger: logger)
    }

    /// A run is waiting to be applied: look now.
    public func wake() { loop.wake() }

    public func run() async throws {
        await loop.run(tick: { _ in try await self.tick() })
        if !Task.isShuttingDownGracefully { try? await gracefulShutdown() }
    }

    private func tick() async throws -> WorkerLoop.Tick {
        guard busy.withLock({ $0 == nil }) else { return WorkerLoop.Tick() }
        guard let run = try await sync.database.oaToFeishu.applyingOAToFeishuRuns().first, let id = run.id else { return WorkerLoop.Tick() }
        busy.withLock { $0 = id }
        return WorkerLoop.Tick(work: [{
            _ = try? await self.sync.apply(run)
            self.busy.withLock { $0 = nil }
            // The next waiting run, if any (a cancelled apply stays `applying` for the next process).
            if !Task.isCancelled { self.loop.wake() }
        }])
    }
}
