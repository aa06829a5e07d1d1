import Foundation
import GRDB
import YunqiaoCore

extension OAToFeishuRunRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaToFeishuRun"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The columns, for requests (`OAToFeishuRunRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let enterpriseId = Column("enterpriseId")
        public static let status = Column("status")
        public static let activeOAUsers = Column("activeOAUsers")
    }
}

extension OAToFeishuRunRecord.Status: DatabaseValueConvertible {}

extension OAToFeishuStepRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaToFeishuStep"

    public enum Columns {
        public static let runId = Column("runId")
    }
}
