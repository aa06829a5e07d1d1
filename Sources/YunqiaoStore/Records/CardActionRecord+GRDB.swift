import Foundation
import GRDB
import YunqiaoCore

extension CardActionRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "cardAction"
}

extension CardActionRecord {
    /// The columns, for requests (`CardActionRecord.Columns.actionId`).
    public enum Columns {
        public static let actionId = Column("actionId")
        public static let tenantId = Column("tenantId")
        public static let deliveryId = Column("deliveryId")
        public static let channel = Column("channel")
        public static let approvalTaskId = Column("approvalTaskId")
        public static let source = Column("source")
        public static let todoId = Column("todoId")
        public static let action = Column("action")
        public static let operatorUnionID = Column("operatorUnionID")
        public static let operatorOpenID = Column("operatorOpenID")
        public static let operatorOaUserID = Column("operatorOaUserID")
        public static let operatorName = Column("operatorName")
        public static let eventID = Column("eventID")
        public static let messageID = Column("messageID")
        public static let state = Column("state")
        public static let attempts = Column("attempts")
        public static let nextAttemptAt = Column("nextAttemptAt")
        public static let leaseOwner = Column("leaseOwner")
        public static let leaseExpiresAt = Column("leaseExpiresAt")
        public static let result = Column("result")
        public static let cardError = Column("cardError")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
        public static let finishedAt = Column("finishedAt")
    }
}
