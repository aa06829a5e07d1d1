import Foundation
import GRDB
import YunqiaoCore

extension EnterpriseRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "enterprise"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension EnterpriseRecord {
    /// The columns, for requests (`EnterpriseRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let name = Column("name")
        public static let brand = Column("brand")
        public static let baseURL = Column("baseURL")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
