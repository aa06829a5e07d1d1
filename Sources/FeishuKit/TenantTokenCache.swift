/// Caches an app's `tenant_access_token`: refreshed 10 minutes before it expires, fetched once however many callers
/// ask at the same time (single flight), and dropped on demand when the platform refuses it.
actor TenantTokenCache {
    struct Token: Sendable {
        var value: String
        var refreshAt: ContinuousClock.Instant
    }

    private let clock = ContinuousClock()
    private let refreshMargin: Duration
    private var token: Token?
    /// The fetch in progress, shared by everyone who asks meanwhile. Lives only while the fetch runs.
    private var inFlight: Task<Token, any Error>?

    init(refreshMargin: Duration = .seconds(600)) {
        self.refreshMargin = refreshMargin
    }

    /// A valid token, fetching one with `fetch` (returns token and lifetime in seconds) when needed.
    func get(_ fetch: @escaping @Sendable () async throws -> (String, Int)) async throws -> String {
        if let token, clock.now < token.refreshAt { return token.value }
        if let inFlight { return try await inFlight.value.value }
        let margin = refreshMargin
        let clock = clock
        let task = Task {
            let (value, lifetime) = try await fetch()
            // Short-lived tokens (tests) are refreshed after half their life instead of 10 minutes early.
            let life = Duration.seconds(lifetime)
            let early = life > margin * 2 ? margin : life / 2
            return Token(value: value, refreshAt: clock.now + life - early)
        }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        token = fresh
        return fresh.value
    }

    /// Forgets `value` if it is still the cached token (the platform refused it).
    func invalidate(_ value: String) {
        if token?.value == value { token = nil }
    }
}
