import Foundation
import Logging
import Synchronization
import Testing
import YunqiaoCore
@testable import YunqiaoServices

/// The one loop of the background workers: what wakes it, what it starts, how it backs off and stops.
@Suite struct WorkerLoopTests {
    static let logger = Logger(label: "loop") { _ in SwiftLogNoOpLogHandler() }

    /// What the ticks saw, in order.
    final class Ticks: Sendable {
        private let wakes = Mutex<[WorkerLoop.Wake]>([])
        func add(_ wake: WorkerLoop.Wake) { wakes.withLock { $0.append(wake) } }
        var all: [WorkerLoop.Wake] { wakes.withLock { $0 } }
    }

    /// Runs `loop` with `tick` while `body` runs, then stops it and waits for it to end.
    static func running(_ loop: WorkerLoop, tick: @escaping @Sendable (WorkerLoop.Wake) async throws -> WorkerLoop.Tick,
                        stopped: @escaping @Sendable () async -> WorkerLoop.Tick = { WorkerLoop.Tick() },
                        _ body: () async throws -> Void) async throws
    {
        let task = Task { await loop.run(tick: tick, stopped: stopped) }
        try await body()
        loop.stop()
        await task.value
    }

    static func until(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func ticksAtStartOnNewWorkAndForAFreeSlot() async throws {
        let ticks = Ticks()
        // The timer is a minute away: every tick here comes from the start or a wake-up.
        let loop = WorkerLoop(name: "test", every: .seconds(60), logger: Self.logger)
        try await Self.running(loop, tick: { wake in
            ticks.add(wake)
            return WorkerLoop.Tick()
        }) {
            try await Self.until("the first tick") { !ticks.all.isEmpty }
            #expect(ticks.all.first?.start == true)
            loop.wake()
            try await Self.until("the tick for new work") { ticks.all.contains { $0.newWork && !$0.start } }
            loop.wake(newWork: false)
            try await Self.until("the tick for a free slot") { ticks.all.contains { !$0.start && !$0.newWork && !$0.timer && !$0.again } }
        }
        #expect(!ticks.all.contains { $0.timer })
    }

    @Test func ticksOnItsTimer() async throws {
        let ticks = Ticks()
        let loop = WorkerLoop(name: "test", every: .milliseconds(50), logger: Self.logger)
        try await Self.running(loop, tick: { wake in
            ticks.add(wake)
            return WorkerLoop.Tick()
        }) {
            try await Self.until("two timer ticks") { ticks.all.filter(\.timer).count >= 2 }
        }
    }

    @Test func moreTicksAgainAtOnceAndWorkRunsAsChildTasks() async throws {
        let ticks = Ticks()
        let done = Mutex(0)
        let loop = WorkerLoop(name: "test", every: .seconds(60), logger: Self.logger)
        try await Self.running(loop, tick: { wake in
            ticks.add(wake)
            let count = ticks.all.count
            return WorkerLoop.Tick(work: [{ done.withLock { $0 += 1 } }], more: count < 3)
        }) {
            try await Self.until("three ticks and their work") { ticks.all.count == 3 && done.withLock { $0 } == 3 }
            #expect(ticks.all.dropFirst().allSatisfy { $0.again })
        }
        #expect(ticks.all.count == 3, "no fourth tick: nothing woke the loop, and its timer is a minute away")
    }

    /// A worker that always has more (a long backlog) still gets its timer: the push worker renews its leases on it.
    @Test func theTimerFiresWhileTicksAskForMore() async throws {
        let ticks = Ticks()
        let loop = WorkerLoop(name: "test", every: .milliseconds(50), logger: Self.logger)
        try await Self.running(loop, tick: { wake in
            ticks.add(wake)
            try await Task.sleep(for: .milliseconds(2))
            return WorkerLoop.Tick(more: !wake.timer)
        }) {
            try await Self.until("a timer tick among the ticks for more") { ticks.all.contains { $0.timer } }
        }
        #expect(ticks.all.contains { $0.timer && $0.again }, "the timer came while the ticks asked for more")
    }

    struct Failure: Error {}

    @Test func aFailedTickBacksOffAndWakeUpsDoNotCutThePauseShort() async throws {
        let times = Mutex<[ContinuousClock.Instant]>([])
        let loop = WorkerLoop(name: "test", every: .seconds(60),
                              backoff: RetryPolicy(baseDelay: .milliseconds(300), maxDelay: .milliseconds(300)), logger: Self.logger)
        try await Self.running(loop, tick: { _ in
            let count = times.withLock { $0.append(.now); return $0.count }
            if count == 1 { throw Failure() }
            return WorkerLoop.Tick()
        }) {
            try await Task.sleep(for: .milliseconds(20))
            loop.wake()
            try await Self.until("the tick after the pause") { times.withLock { $0.count } >= 2 }
        }
        let all = times.withLock { $0 }
        // Equal jitter: at least half of the 300 ms.
        #expect(all[1] - all[0] >= .milliseconds(150))
    }

    @Test func stopEndsTheLoopAndRunsWhatStoppedAnswers() async throws {
        let last = Mutex(false)
        let loop = WorkerLoop(name: "test", every: .seconds(60), logger: Self.logger)
        try await Self.running(loop, tick: { _ in WorkerLoop.Tick() }, stopped: {
            WorkerLoop.Tick(work: [{ last.withLock { $0 = true } }])
        }) {}
        #expect(last.withLock { $0 }, "the loop waits for the work its stop answered")
        #expect(loop.isStopping)
    }

    /// A service group cancels its services when one fails (the HTTP server cannot bind its port): the loop ends then,
    /// rather than spin on waits that return at once and ticks that fail with `CancellationError`.
    @Test(.timeLimit(.minutes(1))) func cancellingItsTaskEndsTheLoop() async throws {
        let ticks = Mutex(0)
        let loop = WorkerLoop(name: "test", every: .seconds(60), logger: Self.logger)
        let task = Task {
            await loop.run(tick: { _ in
                ticks.withLock { $0 += 1 }
                try Task.checkCancellation()
                return WorkerLoop.Tick()
            })
        }
        try await Self.until("the first tick") { ticks.withLock { $0 } >= 1 }
        task.cancel()
        await task.value
        #expect(ticks.withLock { $0 } <= 2)
    }
}
