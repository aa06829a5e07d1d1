import Foundation
import GRDB
import YunqiaoCore

extension MessageRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "message"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension MessageRecord {
    /// The columns, for requests (`MessageRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let source = Column("source")
        public static let idempotencyKey = Column("idempotencyKey")
        public static let title = Column("title")
        public static let todoId = Column("todoId")
        public static let payload = Column("payload")
        public static let planned = Column("planned")
        public static let skipped = Column("skipped")
        public static let acceptedBy = Column("acceptedBy")
        public static let acceptedAt = Column("acceptedAt")
    }
}
