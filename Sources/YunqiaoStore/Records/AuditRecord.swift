import Foundation
import GRDB
import YunqiaoCore

/// One admin change: who, when, what, and the entry before and after (JSON objects, secrets masked).
public struct AuditRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "auditLog"
    public var id: Int64?
    public var tenantId: Int64
    public var actor: String
    /// `area.verb`, e.g. `enterprise.create`, `app.update`, `settings.update`.
    public var action: String
    /// What was changed, e.g. `enterprise 3 示例科技`.
    public var target: String
    public var before: String?
    public var after: String?
    public var at: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AuditRecord {
    /// The columns, for requests (`AuditRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let actor = Column(CodingKeys.actor)
        public static let action = Column(CodingKeys.action)
        public static let target = Column(CodingKeys.target)
        public static let before = Column(CodingKeys.before)
        public static let after = Column(CodingKeys.after)
        public static let at = Column(CodingKeys.at)
    }
}
