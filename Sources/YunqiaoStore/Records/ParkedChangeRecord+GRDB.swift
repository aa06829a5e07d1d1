import Foundation
import GRDB
import YunqiaoCore

extension ParkedChangeRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "parkedChange"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The columns, for requests (`ParkedChangeRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let state = Column("state")
    }
}

extension ParkedChangeRecord.State: DatabaseValueConvertible {}
extension OADirectorySource: DatabaseValueConvertible {}
extension OADirectoryImportMode: DatabaseValueConvertible {}
