import Foundation
import GRDB
import YunqiaoCore

/// One queue of the outbox: a table whose rows are pieces of work for a worker (deliveries, card updates, card
/// actions). Every such table has the columns `state`, `attempts`, `nextAttemptAt`, `leaseOwner`, `leaseExpiresAt`,
/// `updatedAt` and an error column; this type holds the one implementation of what every queue does with them:
///
/// - **due**: pending, `nextAttemptAt` reached, and not held (no lease, or one that ran out);
/// - **claim**: the worker's lease is set (and, for a queue that counts started attempts, the attempt counted);
/// - **retry** / **dead** / **release**: the outcome of an attempt, recorded only while the lease is the worker's (a
///   worker whose lease ran out and was taken over records nothing); release gives the attempt back;
/// - **renew**: a worker extends the leases of everything it holds (its heartbeat);
/// - **resend**: a dead letter is pending again with fresh attempts (its last error stays until the next attempt).
///
/// There is no "release everything at start": work held by a dead process is due again when its lease runs out.
struct OutboxQueue: Sendable {
    let table: String
    /// The primary key column.
    let key: String
    /// The state of work waiting for an attempt, and of work that failed for good.
    let pending: String
    let dead: String
    /// Where the last failure is written.
    let errorColumn: String
    /// What `attempts` counts: every attempt, counted when it starts (a call to the OA that dies with its process has
    /// been made), or the failed ones, counted with their outcome (a delivery sent at the first try has 0).
    let countsStartedAttempts: Bool

    static let deliveries = OutboxQueue(table: "delivery", key: "id", pending: "pending", dead: "dead", errorColumn: "lastError",
                                        countsStartedAttempts: false)
    static let cardUpdates = OutboxQueue(table: "cardUpdate", key: "id", pending: "pending", dead: "dead", errorColumn: "lastError",
                                         countsStartedAttempts: false)
    static let cardActions = OutboxQueue(table: "cardAction", key: "actionId", pending: "received", dead: "failed", errorColumn: "result",
                                         countsStartedAttempts: true)
    static let approvalDefinitions = OutboxQueue(table: "approvalDefinition", key: "id", pending: "pending", dead: "dead",
                                                 errorColumn: "lastError", countsStartedAttempts: false)
    static let approvalInstances = OutboxQueue(table: "approvalInstance", key: "id", pending: "pending", dead: "dead",
                                               errorColumn: "lastError", countsStartedAttempts: false)
    static let directoryEvents = OutboxQueue(table: "feishuEvent", key: "id", pending: "pending", dead: "failed", errorColumn: "lastError",
                                             countsStartedAttempts: false)
    static let all = [deliveries, cardUpdates, cardActions, approvalDefinitions, approvalInstances, directoryEvents]

    /// SQL: the row (of this table, aliased `alias`) is due at the time bound twice after it (`now`, `now`).
    func dueCondition(_ alias: String? = nil) -> String {
        let t = alias ?? table
        return "\(t).state = '\(pending)' AND \(t).nextAttemptAt <= ? AND (\(t).leaseExpiresAt IS NULL OR \(t).leaseExpiresAt <= ?)"
    }

    /// SQL: the row is not held by anyone at `now` (bound once).
    func unheldCondition(_ alias: String? = nil) -> String {
        let t = alias ?? table
        return "(\(t).leaseExpiresAt IS NULL OR \(t).leaseExpiresAt <= ?)"
    }

    /// Claims the rows of `keys` for `lease`: held until the lease runs out.
    func claim(_ db: Database, keys: [some DatabaseValueConvertible], lease: OutboxLease, now: Date) throws {
        guard !keys.isEmpty else { return }
        var arguments: StatementArguments = [lease.owner, lease.expiry(from: now), now]
        arguments += StatementArguments(keys)
        try db.execute(sql: """
            UPDATE \(table) SET leaseOwner = ?, leaseExpiresAt = ?, \(countsStartedAttempts ? "attempts = attempts + 1, " : "")updatedAt = ?
            WHERE \(key) IN (\(Self.placeholders(keys.count)))
            """, arguments: arguments)
    }

    /// `attempts` after a failed attempt.
    private var failedAttempts: String { countsStartedAttempts ? "attempts = attempts" : "attempts = attempts + 1" }

    /// Records the outcome of an attempt with `assignments` (SQL `column = ?, …` and their arguments); the lease ends.
    /// False when the row is no longer held by `lease` (taken over after the lease ran out): nothing is written.
    @discardableResult
    func finish(_ db: Database, key value: some DatabaseValueConvertible, lease: OutboxLease, now: Date, set assignments: String,
                _ arguments: StatementArguments) throws -> Bool
    {
        var all = arguments
        all += [now, value, lease.owner]
        try db.execute(sql: """
            UPDATE \(table) SET \(assignments), leaseOwner = NULL, leaseExpiresAt = NULL, updatedAt = ?
            WHERE \(key) = ? AND leaseOwner = ?
            """, arguments: all)
        return db.changesCount > 0
    }

    /// The attempt failed; the next one is due at `next`.
    @discardableResult
    func retry(_ db: Database, key value: some DatabaseValueConvertible, lease: OutboxLease, at next: Date, error: String, now: Date) throws -> Bool {
        try finish(db, key: value, lease: lease, now: now, set: "nextAttemptAt = ?, \(errorColumn) = ?, \(failedAttempts)", [next, Self.clip(error)])
    }

    /// The attempt failed for good: a dead letter.
    @discardableResult
    func dead(_ db: Database, key value: some DatabaseValueConvertible, lease: OutboxLease, error: String, now: Date) throws -> Bool {
        try finish(db, key: value, lease: lease, now: now, set: "state = ?, \(errorColumn) = ?, \(failedAttempts)", [dead, Self.clip(error)])
    }

    /// Not attempted after all (the worker stops): due again as it was, the attempt given back.
    @discardableResult
    func release(_ db: Database, key value: some DatabaseValueConvertible, lease: OutboxLease, now: Date) throws -> Bool {
        try finish(db, key: value, lease: lease, now: now, set: countsStartedAttempts ? "attempts = max(attempts - 1, 0)" : "attempts = attempts", [])
    }

    /// Extends every lease `lease.owner` still holds; answers how many.
    func renew(_ db: Database, lease: OutboxLease, now: Date) throws -> Int {
        try db.execute(sql: "UPDATE \(table) SET leaseExpiresAt = ? WHERE leaseOwner = ? AND leaseExpiresAt > ?",
                       arguments: [lease.expiry(from: now), lease.owner, now])
        return db.changesCount
    }

    /// Dead letters matching `condition` (SQL on this table, with `arguments`) are pending again, due at `now`.
    func resend(_ db: Database, where condition: String, _ arguments: StatementArguments, now: Date) throws -> Int {
        var all: StatementArguments = [pending, now, now]
        all += arguments
        try db.execute(sql: """
            UPDATE \(table) SET state = ?, attempts = 0, nextAttemptAt = ?, leaseOwner = NULL, leaseExpiresAt = NULL, updatedAt = ?
            WHERE state = '\(dead)' AND \(condition)
            """, arguments: all)
        return db.changesCount
    }

    /// When the next piece of work is due (nil: none pending); held work counts from when its lease runs out.
    func nextDue(_ db: Database) throws -> Date? {
        try Date.fetchOne(db, sql: """
            SELECT min(max(nextAttemptAt, coalesce(leaseExpiresAt, nextAttemptAt))) FROM \(table) WHERE state = '\(pending)'
            """)
    }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// An error as stored: at most 1 000 characters.
    static func clip(_ text: String) -> String { text.count <= 1000 ? text : String(text.prefix(1000)) + "…" }
}
