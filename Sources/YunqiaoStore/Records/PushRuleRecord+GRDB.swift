import Foundation
import GRDB
import YunqiaoCore

extension PushRuleRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushRule"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension PushRuleRecord {
    /// The columns, for requests (`PushRuleRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let name = Column("name")
        public static let source = Column("source")
        public static let enabled = Column("enabled")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
