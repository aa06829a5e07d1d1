import Foundation
import GRDB
import YunqiaoCore

/// A Feishu or Lark enterprise (tenant on the Feishu side) integrated by a Yunqiao tenant.
public struct EnterpriseRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "enterprise"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// `feishu` or `lark`.
    public var brand: String
    public var baseURL: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension EnterpriseRecord {
    /// The columns, for requests (`EnterpriseRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let brand = Column(CodingKeys.brand)
        public static let baseURL = Column(CodingKeys.baseURL)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
