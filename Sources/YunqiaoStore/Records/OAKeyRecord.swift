import Foundation
import GRDB
import YunqiaoCore

/// A key an OA system uses to call the bridge's OA-facing API (`/api/v1`): one tenant, only a SHA-256 kept.
public struct OAKeyRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaKey"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var keyHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

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
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let keyHash = Column(CodingKeys.keyHash)
        public static let hint = Column(CodingKeys.hint)
        public static let createdBy = Column(CodingKeys.createdBy)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let lastUsedAt = Column(CodingKeys.lastUsedAt)
        public static let revokedAt = Column(CodingKeys.revokedAt)
    }
}
