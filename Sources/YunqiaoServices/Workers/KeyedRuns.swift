import Foundation
import Logging

/// Long runs started on demand in the background, one per key (an enterprise's directory sync, a tenant's OA pull) at a
/// time, on a ``WorkerLoop``: a start while the key's run is under way answers that run; graceful shutdown starts
/// nothing new and waits for the runs under way. The directory sync coordinator and the OA connector's schedule are
/// built on it.
actor KeyedRuns<Run: Sendable> {
    private struct Pending: Sendable {
        var key: Int64
        var body: @Sendable () async -> Void
    }

    let loop: WorkerLoop
    private var running: [Int64: Run] = [:]
    private var pending: [Pending] = []
    private var closed = false

    init(loop: WorkerLoop) { self.loop = loop }

    /// The key's run under way, if any.
    func running(_ key: Int64) -> Run? { running[key] }

    /// The keys with a run under way.
    var keys: [Int64] { Array(running.keys) }

    /// Starts `body` as the key's run `run` (the caller found none under way). False when the loop is shutting down:
    /// nothing was started.
    func start(key: Int64, run: Run, body: @escaping @Sendable () async -> Void) -> Bool {
        guard !closed else { return false }
        running[key] = run
        pending.append(Pending(key: key, body: body))
        loop.wake()
        return true
    }

    /// Runs the loop until graceful shutdown; `onTimer` is called every time the loop's timer fires (a schedule).
    nonisolated func run(onTimer: @escaping @Sendable () async -> Void = {}) async {
        await loop.run(tick: { wake in
            if wake.timer { await onTimer() }
            return await self.takePending()
        }, stopped: { await self.close() })
    }

    private func takePending() -> WorkerLoop.Tick {
        let work = pending.map { item in { @Sendable in
            await item.body()
            await self.finished(item.key)
        } }
        pending = []
        return WorkerLoop.Tick(work: work)
    }

    private func finished(_ key: Int64) { running[key] = nil }

    /// At shutdown: what was started but not picked up yet still runs (the loop waits for it); nothing new starts.
    private func close() -> WorkerLoop.Tick {
        closed = true
        return takePending()
    }
}
