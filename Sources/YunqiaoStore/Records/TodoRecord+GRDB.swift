import Foundation
import GRDB
import YunqiaoCore

extension TodoRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "todo"
}

extension TodoRecord {
    /// The columns, for requests (`TodoRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column("tenantId")
        public static let source = Column("source")
        public static let todoId = Column("todoId")
        public static let state = Column("state")
        public static let actor = Column("actor")
        public static let at = Column("at")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
    }
}
