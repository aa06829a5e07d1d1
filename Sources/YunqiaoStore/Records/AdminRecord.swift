import Foundation
import GRDB
import YunqiaoCore

/// A console administrator. The password is kept only as a slow salted hash.
public struct AdminRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "admin"
    public var id: Int64?
    public var tenantId: Int64
    public var username: String
    public var passwordHash: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AdminRecord {
    /// The columns, for requests (`AdminRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let username = Column(CodingKeys.username)
        public static let passwordHash = Column(CodingKeys.passwordHash)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
