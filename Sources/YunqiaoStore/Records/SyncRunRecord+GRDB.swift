import Foundation
import GRDB
import YunqiaoCore

extension SyncRunRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "syncRun"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension SyncRunRecord {
    /// The columns, for requests (`SyncRunRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let enterpriseId = Column("enterpriseId")
        public static let kind = Column("kind")
        public static let status = Column("status")
        public static let startedAt = Column("startedAt")
        public static let finishedAt = Column("finishedAt")
        public static let report = Column("report")
        public static let error = Column("error")
    }
}
