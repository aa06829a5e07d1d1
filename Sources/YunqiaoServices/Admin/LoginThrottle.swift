import Foundation

/// Counts failed logins per user name and per client address in a sliding window; too many → refused until the
/// oldest failure leaves the window.
///
/// An attempt is **reserved** before its password is checked, and counts as a failure from then on: attempts that run
/// at the same time count each other (with a limit of 1, one of six simultaneous guesses is checked, the other five are
/// refused). The check's outcome then keeps the reservation as a failure, clears the user name's failures
/// (``succeeded(_:)``), or takes it back when nothing was checked (``release(_:)``, e.g. the OA was unreachable). An
/// attempt left unsettled (an error between reserving and settling) stays counted.
public actor LoginThrottle {
    private let maxFailures: Int
    private let window: Duration
    private let clock = ContinuousClock()
    /// Failures and attempts under way per key (`user:<name>`, `addr:<address>`), oldest first.
    private var entries: [String: [Entry]] = [:]
    private var nextID: UInt64 = 0

    private struct Entry {
        var id: UInt64
        var at: ContinuousClock.Instant
        /// Settled as a failure (else still being checked).
        var failed: Bool
    }

    /// A reserved attempt: settle it with ``failed(_:)``, ``succeeded(_:)`` or ``release(_:)``.
    public struct Attempt: Sendable {
        fileprivate let id: UInt64
        fileprivate let userKey: String
        fileprivate let addressKey: String
    }

    /// Whether an attempt may go ahead.
    public enum Admission: Sendable {
        /// Reserved: check the password, then settle the attempt.
        case admitted(Attempt)
        /// Too many failures (or attempts under way): how long the caller must wait.
        case refused(retryAfter: Duration)
    }

    /// - Parameters:
    ///   - maxFailures: failures (and attempts under way) allowed per user name within `window`; 4× per client address.
    ///   - window: how long a failure counts.
    public init(maxFailures: Int, window: Duration) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Reserves an attempt for `username` from `address`, in one step with the check of the limits, or says how long
    /// to wait.
    public func reserve(username: String, address: String) -> Admission {
        let now = clock.now
        let userKey = "user:" + username.lowercased(), addressKey = "addr:" + address
        var wait: Duration?
        for (key, limit) in [(userKey, maxFailures), (addressKey, maxFailures * 4)] {
            let recent = (entries[key] ?? []).filter { now - $0.at < window }
            entries[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait ?? .zero, window - (now - oldest.at))
            }
        }
        if let wait { return .refused(retryAfter: max(wait, .seconds(1))) }
        nextID += 1
        let entry = Entry(id: nextID, at: now, failed: false)
        entries[userKey, default: []].append(entry)
        entries[addressKey, default: []].append(entry)
        return .admitted(Attempt(id: entry.id, userKey: userKey, addressKey: addressKey))
    }

    /// The password was wrong: the attempt stays counted, from now.
    public func failed(_ attempt: Attempt) {
        let now = clock.now
        for key in [attempt.userKey, attempt.addressKey] {
            guard var list = entries[key], let index = list.firstIndex(where: { $0.id == attempt.id }) else { continue }
            list[index].at = now
            list[index].failed = true
            entries[key] = list.sorted { $0.at < $1.at }
        }
    }

    /// The password was right: the user name's failures are forgotten, and this attempt counts against nobody.
    /// Attempts of the same user name still under way keep counting.
    public func succeeded(_ attempt: Attempt) {
        remove(attempt.id, from: attempt.addressKey)
        let left = (entries[attempt.userKey] ?? []).filter { !$0.failed && $0.id != attempt.id }
        entries[attempt.userKey] = left.isEmpty ? nil : left
    }

    /// Nothing was checked: the attempt counts against nobody.
    public func release(_ attempt: Attempt) {
        remove(attempt.id, from: attempt.userKey)
        remove(attempt.id, from: attempt.addressKey)
    }

    private func remove(_ id: UInt64, from key: String) {
        let left = (entries[key] ?? []).filter { $0.id != id }
        entries[key] = left.isEmpty ? nil : left
    }
}
