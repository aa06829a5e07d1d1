import Foundation
import GRDB
import YunqiaoCore

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
public struct DeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "delivery"
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

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var deliveryState: DeliveryState { DeliveryState(rawValue: state) ?? .pending }
    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}

extension DeliveryRecord {
    /// The columns, for requests (`DeliveryRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let messageId = Column(CodingKeys.messageId)
        public static let appId = Column(CodingKeys.appId)
        public static let oaUserID = Column(CodingKeys.oaUserID)
        public static let type = Column(CodingKeys.type)
        public static let quickApproval = Column(CodingKeys.quickApproval)
        public static let state = Column(CodingKeys.state)
        public static let uuid = Column(CodingKeys.uuid)
        public static let unionID = Column(CodingKeys.unionID)
        public static let feishuMessageID = Column(CodingKeys.feishuMessageID)
        public static let renderedState = Column(CodingKeys.renderedState)
        public static let attempts = Column(CodingKeys.attempts)
        public static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        public static let leaseOwner = Column(CodingKeys.leaseOwner)
        public static let leaseExpiresAt = Column(CodingKeys.leaseExpiresAt)
        public static let lastError = Column(CodingKeys.lastError)
        public static let note = Column(CodingKeys.note)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let sentAt = Column(CodingKeys.sentAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
