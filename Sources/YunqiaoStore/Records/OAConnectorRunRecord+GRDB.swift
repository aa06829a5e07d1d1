import Foundation
import GRDB
import YunqiaoCore

extension OAConnectorRunRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaConnectorRun"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OAConnectorRunRecord.Source: DatabaseValueConvertible {}

extension OAConnectorRunRecord.Status: DatabaseValueConvertible {}

extension OAConnectorRunRecord {
    /// The columns, for requests (`OAConnectorRunRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let source = Column("source")
        public static let startedBy = Column("startedBy")
        public static let status = Column("status")
        public static let startedAt = Column("startedAt")
        public static let finishedAt = Column("finishedAt")
        public static let pagesFetched = Column("pagesFetched")
        public static let departmentsFetched = Column("departmentsFetched")
        public static let usersFetched = Column("usersFetched")
        public static let createdCount = Column("createdCount")
        public static let updatedCount = Column("updatedCount")
        public static let unchangedCount = Column("unchangedCount")
        public static let leftCount = Column("leftCount")
        public static let deletedCount = Column("deletedCount")
        public static let error = Column("error")
        public static let itemErrors = Column("itemErrors")
    }
}
