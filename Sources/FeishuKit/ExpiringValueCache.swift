/// Caches one value the platform issues with a lifetime — an app's `tenant_access_token`, its `jsapi_ticket` —:
/// refreshed 10 minutes before it expires (after half its life when it lives less than 20 minutes), fetched once
/// however many callers ask at the same time (single flight), and dropped on demand when the platform refuses it.
actor ExpiringValueCache {
    struct Entry: Sendable {
        var value: String
        var refreshAt: ContinuousClock.Instant
    }

    private let refreshMargin: Duration
    /// The clock's reading; tests move it by hand.
    private let now: @Sendable () -> ContinuousClock.Instant
    private var entry: Entry?
    /// The fetch in progress, shared by everyone who asks meanwhile. Lives only while the fetch runs.
    private var inFlight: Task<Entry, any Error>?

    /// - Parameters:
    ///   - refreshMargin: how long before its expiry a value is fetched again.
    ///   - now: the clock (a test's hand-moved one; `ContinuousClock.now` in the bridge).
    init(refreshMargin: Duration = .seconds(600), now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.refreshMargin = refreshMargin
        self.now = now
    }

    /// A valid value, fetching one with `fetch` (returns the value and its lifetime in seconds) when needed.
    func get(_ fetch: @escaping @Sendable () async throws -> (String, Int)) async throws -> String {
        if let entry, now() < entry.refreshAt { return entry.value }
        if let inFlight { return try await inFlight.value.value }
        let margin = refreshMargin
        let now = now
        let task = Task {
            let (value, lifetime) = try await fetch()
            // Short-lived values (tests) are refreshed after half their life instead of 10 minutes early.
            let life = Duration.seconds(max(0, lifetime))
            let early = life > margin * 2 ? margin : life / 2
            return Entry(value: value, refreshAt: now() + life - early)
        }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        entry = fresh
        return fresh.value
    }

    /// Forgets `value` if it is still the cached one (the platform refused it).
    func invalidate(_ value: String) {
        if entry?.value == value { entry = nil }
    }
}
