import Foundation
import GRDB
import YunqiaoCore

/// A bearer token for the admin API. Only a SHA-256 hash of the token is kept; `hint` is its last 4 characters.
public struct APITokenRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "apiToken"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var tokenHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// When the token stops working; nil: never.
    public var expiresAt: Date?
    public var scope: APITokenScope = .full

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension APITokenRecord {
    /// The columns, for requests (`APITokenRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let tokenHash = Column(CodingKeys.tokenHash)
        public static let hint = Column(CodingKeys.hint)
        public static let createdBy = Column(CodingKeys.createdBy)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let lastUsedAt = Column(CodingKeys.lastUsedAt)
        public static let revokedAt = Column(CodingKeys.revokedAt)
        public static let expiresAt = Column(CodingKeys.expiresAt)
        public static let scope = Column(CodingKeys.scope)
    }
}

extension APITokenRecord {
    /// Whether the token has run out at `time`.
    public func isExpired(at time: Date) -> Bool { expiresAt.map { $0 <= time } ?? false }
}
