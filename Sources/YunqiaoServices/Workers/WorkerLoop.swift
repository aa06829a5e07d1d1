import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// The one loop of the bridge's background workers (message delivery, quick-approval calls, the OA connector's
/// schedule, directory sync runs): it wakes on a signal or a timer, asks the worker what to do, starts that work, and
/// stops on graceful shutdown.
///
/// - A **tick** (`tick(wake)`) is the worker's: it looks at its store or queue and answers the work to start now (each
///   piece runs as a child task of the loop) and whether to tick again at once (`more`: a full batch came back).
/// - Otherwise the loop sleeps until ``wake(newWork:)`` or until the **timer** (`every`) fires; the wake-up tells which.
/// - A tick that throws is logged and the loop **backs off** (``RetryPolicy``, growing with each failure in a row)
///   before it ticks again; one that succeeds resets that.
/// - **Graceful shutdown** (or ``stop()``): no new ticks; `stopped` runs (give back queued work, or answer the last
///   work that must still run), then the loop waits for the work started, bounded by the service group's shutdown
///   timeout. Cancellation of the loop's task (a service group cancelled because a service failed, e.g. the HTTP server
///   could not bind its port) stops it the same way: a cancelled loop whose waits return at once must not spin.
public final class WorkerLoop: Sendable {
    /// Why the loop ticks.
    public struct Wake: Sendable, Equatable {
        /// The first tick after the start.
        public var start = false
        /// ``WorkerLoop/wake(newWork:)`` with `newWork` true came since the last tick.
        public var newWork = false
        /// The timer fired.
        public var timer = false
        /// The previous tick asked for another one at once.
        public var again = false
    }

    /// What a tick answers.
    public struct Tick: Sendable {
        /// Work to start now, each piece as a child task of the loop.
        public var work: [@Sendable () async -> Void]
        /// Tick again at once.
        public var more: Bool

        public init(work: [@Sendable () async -> Void] = [], more: Bool = false) {
            self.work = work
            self.more = more
        }
    }

    let name: String
    let every: Duration
    let backoff: RetryPolicy
    let sleep: @Sendable (Duration) async throws -> Void
    let logger: Logger
    let signal = WakeSignal()

    /// - Parameters:
    ///   - name: for the log.
    ///   - every: the timer's period.
    ///   - backoff: the pauses after failed ticks (`maxAttempts` is not used: the loop never gives up).
    ///   - sleep: the clock's sleep (tests inject theirs).
    public init(name: String, every: Duration, backoff: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(200), maxDelay: .seconds(30)),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, logger: Logger)
    {
        self.name = name
        self.every = every
        self.backoff = backoff
        self.sleep = sleep
        self.logger = logger
    }

    /// Something happened: `newWork` says there may be work the worker has not seen (else: look at what you hold, e.g.
    /// a slot became free). Never blocks.
    public func wake(newWork: Bool = true) { signal.signal(newWork: newWork) }

    /// Stops the loop as graceful shutdown does (tests and the bench stand for a stopped process with it).
    public func stop() { signal.stop() }

    public var isStopping: Bool { signal.isStopping }

    /// Runs until graceful shutdown or ``stop()``.
    public func run(tick: @Sendable (Wake) async throws -> Tick, stopped: @Sendable () async -> Tick = { Tick() }) async {
        let signal = self.signal
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                let clock = ContinuousClock()
                var wake = Wake(start: true)
                var nextTimer = clock.now + every
                var failures = 0
                while !signal.isStopping, !Task.isCancelled {
                    // The timer is due even while ticks ask for more at once (a worker renews its leases on it).
                    if clock.now >= nextTimer {
                        wake.timer = true
                        nextTimer = clock.now + every
                    }
                    wake.newWork = signal.takeNewWork() || wake.newWork
                    do {
                        let answer = try await tick(wake)
                        failures = 0
                        for work in answer.work { group.addTask { await work() } }
                        wake = Wake(again: answer.more)
                    } catch {
                        failures += 1
                        let pause = backoff.delay(afterAttempt: failures)
                        logger.error("\(name): failed, trying again in \(pause)", metadata: ["error": "\(error)", "failures": "\(failures)"])
                        // Wake-ups do not cut the pause short; a stop does.
                        let until = clock.now + pause
                        while !signal.isStopping, !Task.isCancelled, clock.now < until { _ = await signal.wait(timeout: until - clock.now, sleep: sleep) }
                        wake = Wake(again: true)
                    }
                    if wake.again { continue }
                    // Until the timer is due (measured from its last firing, so wake-ups do not postpone it), or a wake-up.
                    let remaining = nextTimer - clock.now
                    if remaining > .zero, !(await signal.wait(timeout: remaining, sleep: sleep)) {
                        // Timed out: the timer fires now (the sleep may end a hair before the clock says so).
                        wake.timer = true
                        nextTimer = clock.now + every
                    }
                }
                for work in await stopped().work { group.addTask { await work() } }
            }
        } onGracefulShutdown: {
            signal.stop()
        }
    }
}
