import Foundation

/// The state of a delivery (one message to one OA user through one app).
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    /// Waiting for (another) attempt.
    case pending
    /// Feishu took it; `feishuMessageID` is set.
    case sent
    /// Given up: a permanent error, or the attempts ran out. A dead letter, resendable.
    case dead
    /// Not sent at all: the recipient has no binding in the app's enterprise ("skipped: not bound").
    case skipped
}

/// One message × app × OA user: the outbox row the delivery worker works from.
public struct DeliveryRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var messageId: Int64
    public var appId: Int64
    public var oaUserID: String
    public var type: String
    public var quickApproval: Bool
    public var state: String
    /// Feishu's idempotency key (≤ 50 characters), fixed at plan time and sent with every attempt.
    public var uuid: String
    public var unionID: String?
    public var feishuMessageID: String?
    /// For todo cards: the todo state the card was sent in.
    public var renderedState: String?
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The worker holding it for an attempt, until `leaseExpiresAt` (see ``OutboxLease``).
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    /// Something worth knowing about a sent message ("image left out: …", "shortened to fit Feishu's size limit").
    public var note: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var updatedAt: Date

    public init(id: Int64? = nil, messageId: Int64, appId: Int64, oaUserID: String, type: String, quickApproval: Bool,
                state: String, uuid: String, unionID: String? = nil, feishuMessageID: String? = nil,
                renderedState: String? = nil, attempts: Int, nextAttemptAt: Date, leaseOwner: String? = nil,
                leaseExpiresAt: Date? = nil, lastError: String? = nil, note: String? = nil, createdAt: Date,
                sentAt: Date? = nil, updatedAt: Date)
    {
        self.id = id
        self.messageId = messageId
        self.appId = appId
        self.oaUserID = oaUserID
        self.type = type
        self.quickApproval = quickApproval
        self.state = state
        self.uuid = uuid
        self.unionID = unionID
        self.feishuMessageID = feishuMessageID
        self.renderedState = renderedState
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.note = note
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.updatedAt = updatedAt
    }

    public var deliveryState: DeliveryState { DeliveryState(rawValue: state) ?? .pending }
    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}
