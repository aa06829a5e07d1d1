import Foundation
import GRDB
import YunqiaoCore

/// One OA user ⇄ one Feishu user per enterprise.
public struct BindingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "binding"
    public var enterpriseId: Int64
    public var oaUserID: String
    public var unionID: String
    public var openID: String?
    public var userID: String?
    /// `manual`, `auto`, `import` or `card`.
    public var method: String
    public var field: String?
    public var createdBy: String
    public var createdAt: Date
}

extension BindingRecord {
    /// The columns, for requests (`BindingRecord.Columns.enterpriseId`).
    public enum Columns {
        public static let enterpriseId = Column(CodingKeys.enterpriseId)
        public static let oaUserID = Column(CodingKeys.oaUserID)
        public static let unionID = Column(CodingKeys.unionID)
        public static let openID = Column(CodingKeys.openID)
        public static let userID = Column(CodingKeys.userID)
        public static let method = Column(CodingKeys.method)
        public static let field = Column(CodingKeys.field)
        public static let createdBy = Column(CodingKeys.createdBy)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
}
