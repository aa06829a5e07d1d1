import Foundation
import GRDB
import YunqiaoCore

/// A module of the OA that sends messages (日报 daily report, 审批 approval, 考勤 attendance…): the `source` of a
/// message and of a push rule. `actionURL` receives quick-approval actions, signed with the sealed action secret.
public struct OAModuleRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaModule"
    public var id: Int64?
    public var tenantId: Int64
    /// What messages name as their `source`; fixed once created.
    public var key: String
    public var name: String
    public var actionURL: String?
    /// The action webhook's HMAC secret, sealed by ``SecretBox``; never returned.
    public var sealedActionSecret: String?
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OAModuleRecord {
    /// The columns, for requests (`OAModuleRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let key = Column(CodingKeys.key)
        public static let name = Column(CodingKeys.name)
        public static let actionURL = Column(CodingKeys.actionURL)
        public static let sealedActionSecret = Column(CodingKeys.sealedActionSecret)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
