import Foundation
import GRDB
import YunqiaoCore

extension TenantRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "tenant"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension TenantRecord {
    /// The columns, for requests (`TenantRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let name = Column("name")
        public static let createdAt = Column("createdAt")
    }
}
