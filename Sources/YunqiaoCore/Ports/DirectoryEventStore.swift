import Foundation

/// Feishu's contact events in the bridge (issue #15): the durable inbox they are answered from, and their incremental
/// application to the directory mirror.
public protocol DirectoryEventStore: Sendable {
    /// Records a verified event once, to be applied by the worker. False when the app's event id was already received
    /// (the platform pushes at least once): nothing is recorded again.
    func receive(_ event: ReceivedDirectoryEvent, at time: Date) async throws -> Bool

    /// Claims up to `limit` due events, oldest `createTime` first, for `lease`.
    func claimDue(limit: Int, now: Date, lease: OutboxLease) async throws -> [DirectoryEventRecord]

    /// Applies an event's changes to its enterprise's mirror and finishes it, in one transaction. Each change is applied
    /// only when it is not older than what the mirror holds of that entry (the time of the last event applied to it, or
    /// the start of the last full read): events that arrive late or twice change nothing. Answers what was applied;
    /// nil when `lease` no longer holds the event (nothing written).
    func apply(_ change: DirectoryEventChange, eventId: Int64, lease: OutboxLease, now: Date) async throws -> DirectoryEventOutcome?

    /// The attempt failed; the next is due at `next`.
    @discardableResult
    func retry(eventId: Int64, at next: Date, error: String, lease: OutboxLease, now: Date) async throws -> Bool

    /// The event cannot be applied (malformed, its enterprise gone): kept as failed with the reason.
    @discardableResult
    func fail(eventId: Int64, error: String, lease: OutboxLease, now: Date) async throws -> Bool

    /// Extends the leases `lease.owner` holds.
    func renew(lease: OutboxLease, now: Date) async throws -> Int

    /// When the next event is due (nil: none pending).
    func nextDue() async throws -> Date?

    /// Forgets applied events received before `time` (their ids are no longer needed to dedupe); answers how many.
    func purge(receivedBefore time: Date) async throws -> Int

    /// What an app's events channel has received.
    func channelSummary(appId: Int64) async throws -> EventChannelSummary

    /// How the app receives events: `http` (its request URL, the default) or `websocket` (the long connection).
    func eventChannel(appId: Int64) async throws -> String

    func setEventChannel(appId: Int64, _ channel: String, at time: Date) async throws

    /// The apps that receive events over the long connection, with their enterprises.
    func longConnectionApps() async throws -> [(app: AppRecord, enterprise: EnterpriseRecord)]

    /// Users and departments that left an app's contact scope, waiting for the administrator (newest first).
    func scopeRemovals(enterpriseId: Int64, pendingOnly: Bool) async throws -> [ScopeRemovalRecord]

    /// Decides pending removals: `remove` marks them deleted in the mirror, `keep` leaves the mirror as it is. Answers
    /// the removals decided (ids not pending are skipped).
    func decideScopeRemovals(enterpriseId: Int64, ids: [Int64], remove: Bool, by actor: String, at time: Date) async throws -> [ScopeRemovalRecord]
}

/// A verified event as the callback received it.
public struct ReceivedDirectoryEvent: Sendable, Equatable {
    public var tenantId: Int64
    public var enterpriseId: Int64
    public var appId: Int64
    public var eventID: String
    public var eventType: String
    /// `header.create_time`, in milliseconds.
    public var createTime: Int64
    /// The plaintext envelope.
    public var payload: Data
    /// `http` or `websocket`.
    public var channel: String

    public init(tenantId: Int64, enterpriseId: Int64, appId: Int64, eventID: String, eventType: String, createTime: Int64,
                payload: Data, channel: String)
    {
        self.tenantId = tenantId
        self.enterpriseId = enterpriseId
        self.appId = appId
        self.eventID = eventID
        self.eventType = eventType
        self.createTime = createTime
        self.payload = payload
        self.channel = channel
    }
}

/// An event of the inbox.
public struct DirectoryEventRecord: Sendable, Equatable {
    public var id: Int64
    public var event: ReceivedDirectoryEvent
    public var attempts: Int
    public var receivedAt: Date

    public init(id: Int64, event: ReceivedDirectoryEvent, attempts: Int, receivedAt: Date) {
        self.id = id
        self.event = event
        self.attempts = attempts
        self.receivedAt = receivedAt
    }
}

/// What one event changes in the mirror, each change with the event's time.
public struct DirectoryEventChange: Sendable, Equatable {
    public var time: Int64
    public var departments: [MirrorDepartment] = []
    public var users: [MirrorUser] = []
    public var deletedDepartments: [String] = []
    public var deletedUsers: [String] = []
    /// Entries out of the app's scope now: parked for the administrator, not deleted.
    public var scopeRemovals: [ScopeRemoval] = []

    public init(time: Int64) { self.time = time }

    public var isEmpty: Bool {
        departments.isEmpty && users.isEmpty && deletedDepartments.isEmpty && deletedUsers.isEmpty && scopeRemovals.isEmpty
    }
}

/// A user or department the app no longer sees.
public struct ScopeRemoval: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case user, department }
    public var kind: Kind
    /// union_id or open_department_id.
    public var key: String
    public var name: String

    public init(kind: Kind, key: String, name: String) {
        self.kind = kind
        self.key = key
        self.name = name
    }
}

/// What applying an event did.
public struct DirectoryEventOutcome: Sendable, Equatable {
    /// Changes applied, and changes left because the mirror holds a newer state.
    public var applied = 0
    public var stale = 0
    /// Users created in the mirror (auto-bind runs for them).
    public var createdUsers = 0
    public var parked = 0

    public init() {}
}

/// An app's events channel as the console shows it.
public struct EventChannelSummary: Sendable, Equatable, Codable {
    public var received: Int
    public var pending: Int
    public var failed: Int
    public var lastReceivedAt: Date?
    public var lastChannel: String?

    public init(received: Int = 0, pending: Int = 0, failed: Int = 0, lastReceivedAt: Date? = nil, lastChannel: String? = nil) {
        self.received = received
        self.pending = pending
        self.failed = failed
        self.lastReceivedAt = lastReceivedAt
        self.lastChannel = lastChannel
    }
}

/// A parked scope removal and the administrator's decision.
public struct ScopeRemovalRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var enterpriseId: Int64
    public var kind: ScopeRemoval.Kind
    public var key: String
    public var name: String
    public var createdAt: Date
    /// `keep` or `remove`; nil while pending.
    public var decision: String?
    public var decidedBy: String?
    public var decidedAt: Date?

    public init(id: Int64, enterpriseId: Int64, kind: ScopeRemoval.Kind, key: String, name: String, createdAt: Date, decision: String?,
                decidedBy: String?, decidedAt: Date?)
    {
        self.id = id
        self.enterpriseId = enterpriseId
        self.kind = kind
        self.key = key
        self.name = name
        self.createdAt = createdAt
        self.decision = decision
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }
}
