import Foundation
import GRDB
import YunqiaoCore

/// The outbox of card changes: a sent todo card brought to its todo's final style (a PATCH within 14 days of sending,
/// a short "handled" text after).
public struct CardUpdateRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "cardUpdate"
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

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension CardUpdateRecord {
    /// The columns, for requests (`CardUpdateRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let deliveryId = Column(CodingKeys.deliveryId)
        public static let state = Column(CodingKeys.state)
        public static let mode = Column(CodingKeys.mode)
        public static let noticeMessageID = Column(CodingKeys.noticeMessageID)
        public static let attempts = Column(CodingKeys.attempts)
        public static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        public static let leaseOwner = Column(CodingKeys.leaseOwner)
        public static let leaseExpiresAt = Column(CodingKeys.leaseExpiresAt)
        public static let lastError = Column(CodingKeys.lastError)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
