import Foundation
import GRDB
import YunqiaoCore

extension CardUpdateRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "cardUpdate"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension CardUpdateRecord {
    /// The columns, for requests (`CardUpdateRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let deliveryId = Column("deliveryId")
        public static let state = Column("state")
        public static let mode = Column("mode")
        public static let noticeMessageID = Column("noticeMessageID")
        public static let attempts = Column("attempts")
        public static let nextAttemptAt = Column("nextAttemptAt")
        public static let leaseOwner = Column("leaseOwner")
        public static let leaseExpiresAt = Column("leaseExpiresAt")
        public static let lastError = Column("lastError")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
