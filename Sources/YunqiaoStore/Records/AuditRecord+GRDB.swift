import Foundation
import GRDB
import YunqiaoCore

extension AuditRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "auditLog"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AuditRecord {
    /// The columns, for requests (`AuditRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let actor = Column("actor")
        public static let action = Column("action")
        public static let target = Column("target")
        public static let before = Column("before")
        public static let after = Column("after")
        public static let at = Column("at")
    }
}
