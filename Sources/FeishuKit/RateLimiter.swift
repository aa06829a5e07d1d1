/// Paces calls to the platform's caps, shared by every caller of a client: per app per API at most `perSecond`
/// calls in any one-second window and `perMinute` in any one-minute window (Feishu: 50/s and 1000/min).
///
/// A caller reserves a send time inside the actor and sleeps outside it, so waiting callers never block each other.
/// Sliding windows at the client keep every fixed window at the server under the cap too.
public actor RateLimiter {
    public struct Limits: Sendable, Equatable {
        public var perSecond: Int
        public var perMinute: Int
        /// The one-second window is stretched by this margin to absorb network jitter between client and server.
        public var margin: Duration

        public init(perSecond: Int = 50, perMinute: Int = 1000, margin: Duration = .milliseconds(10)) {
            self.perSecond = perSecond
            self.perMinute = perMinute
            self.margin = margin
        }

        public static let feishu = Limits()
    }

    private struct Window {
        var sent: [ContinuousClock.Instant] = []  // reservations, non-decreasing, last `perMinute` kept
        var head = 0
        var pausedUntil: ContinuousClock.Instant?
    }

    private let limits: Limits
    private let clock = ContinuousClock()
    private var windows: [String: Window] = [:]

    public init(limits: Limits = .feishu) {
        self.limits = limits
    }

    /// Waits until a call to `key` (app + API) may be sent, then counts it.
    public func acquire(_ key: String) async throws {
        let slot = reserve(key)
        let now = clock.now
        if slot > now { try await Task.sleep(until: slot, clock: clock) }
    }

    /// After a 429: nobody calls `key` again before `delay` has passed.
    public func pause(_ key: String, for delay: Duration) {
        let until = clock.now + delay
        var window = windows[key] ?? Window()
        if window.pausedUntil.map({ $0 < until }) ?? true { window.pausedUntil = until }
        windows[key] = window
    }

    func reserve(_ key: String) -> ContinuousClock.Instant {
        var window = windows[key] ?? Window()
        var slot = clock.now
        if let paused = window.pausedUntil, paused > slot { slot = paused }
        let live = window.sent.count - window.head
        if let last = window.sent.last, last > slot { slot = last }
        if live >= limits.perSecond {
            slot = max(slot, window.sent[window.sent.count - limits.perSecond] + .seconds(1) + limits.margin)
        }
        if live >= limits.perMinute {
            slot = max(slot, window.sent[window.sent.count - limits.perMinute] + .seconds(60) + limits.margin)
        }
        window.sent.append(slot)
        // Keep only what the minute window can still need; compact now and then.
        if window.sent.count - window.head > limits.perMinute { window.head += 1 }
        if window.head > 4096 {
            window.sent.removeFirst(window.head)
            window.head = 0
        }
        windows[key] = window
        return slot
    }
}
