import Foundation
import GRDB
import YunqiaoCore

extension HomepageAppRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "homepageApp"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension HomepageAppRecord {
    /// The columns, for requests (`HomepageAppRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let name = Column("name")
        public static let url = Column("url")
        public static let note = Column("note")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
