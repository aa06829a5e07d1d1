import Foundation
import GRDB
import YunqiaoCore

/// A push rule (消息推送规则): the messages of one module (or of every module, `source == "*"`) go to its targets.
public struct PushRuleRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushRule"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var source: String
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension PushRuleRecord {
    /// The columns, for requests (`PushRuleRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let source = Column(CodingKeys.source)
        public static let enabled = Column(CodingKeys.enabled)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
