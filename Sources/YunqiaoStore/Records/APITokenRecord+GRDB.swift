import Foundation
import GRDB
import YunqiaoCore

extension APITokenRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "apiToken"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension APITokenRecord {
    /// The columns, for requests (`APITokenRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let name = Column("name")
        public static let tokenHash = Column("tokenHash")
        public static let hint = Column("hint")
        public static let createdBy = Column("createdBy")
        public static let createdAt = Column("createdAt")
        public static let lastUsedAt = Column("lastUsedAt")
        public static let revokedAt = Column("revokedAt")
        public static let expiresAt = Column("expiresAt")
        public static let scope = Column("scope")
        public static let role = Column("role")
    }
}
