import Foundation

/// The outbox of card changes: a sent todo card brought to its todo's final style (a PATCH within 14 days of sending,
/// a short "handled" text after).
public struct CardUpdateRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var deliveryId: Int64
    /// pending, done or dead.
    public var state: String
    /// How it was done: `patch` or `notice`.
    public var mode: String?
    public var noticeMessageID: String?
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The worker holding it for an attempt (or the card held against it), until `leaseExpiresAt`.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, deliveryId: Int64, state: String, mode: String? = nil,
                noticeMessageID: String? = nil, attempts: Int, nextAttemptAt: Date, leaseOwner: String? = nil,
                leaseExpiresAt: Date? = nil, lastError: String? = nil, createdAt: Date, updatedAt: Date)
    {
        self.id = id
        self.deliveryId = deliveryId
        self.state = state
        self.mode = mode
        self.noticeMessageID = noticeMessageID
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
