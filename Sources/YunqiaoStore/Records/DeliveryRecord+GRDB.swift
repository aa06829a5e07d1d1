import Foundation
import GRDB
import YunqiaoCore

extension DeliveryRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "delivery"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension DeliveryRecord {
    /// The columns, for requests (`DeliveryRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let messageId = Column("messageId")
        public static let appId = Column("appId")
        public static let oaUserID = Column("oaUserID")
        public static let type = Column("type")
        public static let quickApproval = Column("quickApproval")
        public static let state = Column("state")
        public static let uuid = Column("uuid")
        public static let unionID = Column("unionID")
        public static let feishuMessageID = Column("feishuMessageID")
        public static let renderedState = Column("renderedState")
        public static let attempts = Column("attempts")
        public static let nextAttemptAt = Column("nextAttemptAt")
        public static let leaseOwner = Column("leaseOwner")
        public static let leaseExpiresAt = Column("leaseExpiresAt")
        public static let lastError = Column("lastError")
        public static let note = Column("note")
        public static let createdAt = Column("createdAt")
        public static let sentAt = Column("sentAt")
        public static let updatedAt = Column("updatedAt")
    }
}
