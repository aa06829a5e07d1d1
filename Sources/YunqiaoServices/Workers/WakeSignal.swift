import Synchronization
import YunqiaoCore

/// Wakes a worker's loop (``WorkerLoop``): "new work is in the store" (an accepted message, a todo change, a click) or
/// "a slot is free" (a send finished). One waiter — the loop —, any number of signallers, never blocking them.
final class WakeSignal: Sendable {
    private struct State: Sendable {
        var signalled = false
        var newWork = false
        var stopping = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Something happened; `newWork` says the store may hold due work the loop has not claimed yet.
    func signal(newWork: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.signalled = true
            if newWork { state.newWork = true }
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    /// The loop should finish what it started and stop.
    func stop() {
        state.withLock { $0.stopping = true }
        signal(newWork: false)
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Whether new work was signalled since the last call (and forgets it).
    func takeNewWork() -> Bool {
        state.withLock { state in
            defer { state.newWork = false }
            return state.newWork
        }
    }

    /// Returns true at the next signal (at once when one came since the last wait), false after `timeout` or when
    /// cancelled.
    @discardableResult
    func wait(timeout: Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) async -> Bool {
        if state.withLock({ state in
            defer { state.signalled = false }
            return state.signalled
        }) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitForSignal()
                return !Task.isCancelled
            }
            group.addTask {
                try? await sleep(timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func waitForSignal() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
        state.withLock { $0.signalled = false }
    }
}
