import Foundation
import GRDB
import YunqiaoCore

/// A Feishu user auto-bind could not bind; the admin resolves it.
public struct BindingConflictRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bindingConflict"
    public var enterpriseId: Int64
    public var unionID: String
    public var kind: String
    public var field: String
    public var value: String
    public var oaUserIDs: String
    public var createdAt: Date
}

extension BindingConflictRecord {
    /// The columns, for requests (`BindingConflictRecord.Columns.enterpriseId`).
    public enum Columns {
        public static let enterpriseId = Column(CodingKeys.enterpriseId)
        public static let unionID = Column(CodingKeys.unionID)
        public static let kind = Column(CodingKeys.kind)
        public static let field = Column(CodingKeys.field)
        public static let value = Column(CodingKeys.value)
        public static let oaUserIDs = Column(CodingKeys.oaUserIDs)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
}
