import Foundation
import GRDB
import YunqiaoCore

extension AdminRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "admin"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AdminRecord {
    /// The columns, for requests (`AdminRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let username = Column("username")
        public static let passwordHash = Column("passwordHash")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
        public static let role = Column("role")
    }
}
