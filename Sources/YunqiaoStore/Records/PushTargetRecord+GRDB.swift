import Foundation
import GRDB
import YunqiaoCore

extension PushTargetRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushTarget"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension PushTargetRecord {
    /// The columns, for requests (`PushTargetRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let pushRuleId = Column("pushRuleId")
        public static let enterpriseId = Column("enterpriseId")
        public static let appId = Column("appId")
        public static let type = Column("type")
        public static let quickApproval = Column("quickApproval")
        public static let position = Column("position")
    }
}
