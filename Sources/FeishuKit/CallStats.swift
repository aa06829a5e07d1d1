/// What a client did, per API: for run reports and metrics.
public struct APICallStats: Sendable, Equatable, Codable {
    /// Logical calls (one per request the caller made).
    public var calls = 0
    /// HTTP requests sent, retries included.
    public var attempts = 0
    public var retries = 0
    public var rateLimitWaits = 0
    public var failures = 0
    public var tokenRefreshes = 0

    public init() {}

    public static func + (a: APICallStats, b: APICallStats) -> APICallStats {
        var sum = APICallStats()
        sum.calls = a.calls + b.calls
        sum.attempts = a.attempts + b.attempts
        sum.retries = a.retries + b.retries
        sum.rateLimitWaits = a.rateLimitWaits + b.rateLimitWaits
        sum.failures = a.failures + b.failures
        sum.tokenRefreshes = a.tokenRefreshes + b.tokenRefreshes
        return sum
    }
}

/// Collects ``APICallStats`` per API name (e.g. `GET /open-apis/contact/v3/users/find_by_department`).
public actor CallRecorder {
    private var stats: [String: APICallStats] = [:]

    public init() {}

    func record(_ api: String, _ change: (inout APICallStats) -> Void) {
        change(&stats[api, default: APICallStats()])
    }

    public func snapshot() -> [String: APICallStats] { stats }

    public func total() -> APICallStats { stats.values.reduce(APICallStats(), +) }

    public func reset() { stats = [:] }
}
