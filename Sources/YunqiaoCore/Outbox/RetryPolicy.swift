import Foundation

/// How often and how patiently the bridge tries a failed piece of work again: a call to Feishu inside the client, a
/// delivery or card update of the outbox, a quick-approval call to the OA. One policy type, one formula.
///
/// After failed attempt `n` (1-based) the pause is half of `min(maxDelay, baseDelay × 2ⁿ⁻¹)` plus up to the other half
/// at random ("equal jitter"): it grows with every failure, never exceeds `maxDelay`, and many workers that failed
/// together do not come back together.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The deadline of one attempt.
    public var requestTimeout: Duration

    public init(maxAttempts: Int = 8, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(10),
                requestTimeout: Duration = .seconds(30))
    {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.requestTimeout = requestTimeout
    }

    /// The pause after failed attempt `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt, 1) - 1, 30)
        let cap = min(maxDelay, baseDelay * (1 << exponent))
        return cap / 2 + cap / 2 * Double.random(in: 0...1)
    }

    /// What follows failed attempt `attempt` (1-based): the time of the next one, or nil when there is none — the error
    /// is permanent (`retryable` false) or the attempts are used up.
    public func nextAttempt(afterAttempt attempt: Int, retryable: Bool, now: Date) -> Date? {
        guard retryable, attempt < maxAttempts else { return nil }
        return now.addingTimeInterval(delay(afterAttempt: attempt).timeInterval)
    }
}

extension Duration {
    /// The duration in seconds, with fractions.
    public var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
