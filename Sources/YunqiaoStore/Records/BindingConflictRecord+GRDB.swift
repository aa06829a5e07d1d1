import Foundation
import GRDB
import YunqiaoCore

extension BindingConflictRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bindingConflict"
}

extension BindingConflictRecord {
    /// The columns, for requests (`BindingConflictRecord.Columns.enterpriseId`).
    public enum Columns {
        public static let enterpriseId = Column("enterpriseId")
        public static let unionID = Column("unionID")
        public static let kind = Column("kind")
        public static let field = Column("field")
        public static let value = Column("value")
        public static let oaUserIDs = Column("oaUserIDs")
        public static let createdAt = Column("createdAt")
    }
}
