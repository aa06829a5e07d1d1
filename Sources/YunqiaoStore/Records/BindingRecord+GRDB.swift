import Foundation
import GRDB
import YunqiaoCore

extension BindingRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "binding"
}

extension BindingRecord {
    /// The columns, for requests (`BindingRecord.Columns.enterpriseId`).
    public enum Columns {
        public static let enterpriseId = Column("enterpriseId")
        public static let oaUserID = Column("oaUserID")
        public static let unionID = Column("unionID")
        public static let openID = Column("openID")
        public static let userID = Column("userID")
        public static let method = Column("method")
        public static let field = Column("field")
        public static let createdBy = Column("createdBy")
        public static let createdAt = Column("createdAt")
    }
}
