import Foundation
import GRDB
import YunqiaoCore

/// A message the OA handed over, as accepted (`payload` is the ``PushMessage`` JSON).
public struct MessageRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "message"
    public var id: Int64?
    public var tenantId: Int64
    public var source: String
    public var idempotencyKey: String
    public var title: String
    public var todoId: String?
    public var payload: String
    /// Deliveries planned (pending) and skipped at accept time: the accept answer, repeated for a repeated request.
    public var planned: Int
    public var skipped: Int
    /// `oa:<key name>`, or the admin of a test send.
    public var acceptedBy: String
    public var acceptedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The message as accepted.
    public func message() throws -> PushMessage { try JSONDecoder().decode(PushMessage.self, from: Data(payload.utf8)) }
}

extension MessageRecord {
    /// The columns, for requests (`MessageRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let source = Column(CodingKeys.source)
        public static let idempotencyKey = Column(CodingKeys.idempotencyKey)
        public static let title = Column(CodingKeys.title)
        public static let todoId = Column(CodingKeys.todoId)
        public static let payload = Column(CodingKeys.payload)
        public static let planned = Column(CodingKeys.planned)
        public static let skipped = Column(CodingKeys.skipped)
        public static let acceptedBy = Column(CodingKeys.acceptedBy)
        public static let acceptedAt = Column(CodingKeys.acceptedAt)
    }
}
