import Foundation
import GRDB
import YunqiaoCore

/// One target of a push rule: an app of an enterprise and the message type it gets.
public struct PushTargetRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushTarget"
    public var id: Int64?
    public var pushRuleId: Int64
    public var enterpriseId: Int64
    public var appId: Int64
    /// A ``PushMessageType`` raw value.
    public var type: String
    public var quickApproval: Bool
    /// Order within the rule (the first target of an app wins when rules overlap).
    public var position: Int

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}

extension PushTargetRecord {
    /// The columns, for requests (`PushTargetRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let pushRuleId = Column(CodingKeys.pushRuleId)
        public static let enterpriseId = Column(CodingKeys.enterpriseId)
        public static let appId = Column(CodingKeys.appId)
        public static let type = Column(CodingKeys.type)
        public static let quickApproval = Column(CodingKeys.quickApproval)
        public static let position = Column(CodingKeys.position)
    }
}
