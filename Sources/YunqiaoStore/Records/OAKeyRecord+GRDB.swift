import Foundation
import GRDB
import YunqiaoCore

extension OAKeyRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaKey"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OAKeyRecord: BearerRecord {
    static var hashColumn: Column { Columns.keyHash }
    static let kind = "oaKey"

    init(tenantId: Int64, name: String, hash: String, hint: String, createdBy: String, createdAt: Date) {
        self.init(id: nil, tenantId: tenantId, name: name, keyHash: hash, hint: hint, createdBy: createdBy, createdAt: createdAt,
                  lastUsedAt: nil, revokedAt: nil)
    }
}

extension OAKeyRecord {
    /// The columns, for requests (`OAKeyRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let tenantId = Column("tenantId")
        public static let name = Column("name")
        public static let keyHash = Column("keyHash")
        public static let hint = Column("hint")
        public static let createdBy = Column("createdBy")
        public static let createdAt = Column("createdAt")
        public static let lastUsedAt = Column("lastUsedAt")
        public static let revokedAt = Column("revokedAt")
    }
}
