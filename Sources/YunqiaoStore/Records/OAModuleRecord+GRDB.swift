import Foundation
import GRDB
import YunqiaoCore

extension OAModuleRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaModule"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OAModuleRecord {
    /// The columns, for requests (`OAModuleRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let key = Column("key")
        public static let name = Column("name")
        public static let actionURL = Column("actionURL")
        public static let sealedActionSecret = Column("sealedActionSecret")
        public static let todoChannel = Column("todoChannel")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
