/// Bounds the requests a client has in flight. It must not exceed the HTTP client's connections per host: a
/// request the limiter released is then really on the wire, not queued in the connection pool where it would reach
/// the server later, in another rate-limit window.
actor RequestPermits {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        self.available = max(1, count)
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
