import Foundation
import GRDB
import YunqiaoCore

/// An OA todo behind todo messages: its state decides the style of every card of it.
public struct TodoRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "todo"
    public var tenantId: Int64
    public var source: String
    public var todoId: String
    /// pending, done, approved, rejected or cancelled.
    public var state: String
    /// Who handled it, as the OA says.
    public var actor: String?
    public var at: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public var todoState: TodoState { TodoState(rawValue: state) ?? .pending }
}

extension TodoRecord {
    /// The columns, for requests (`TodoRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let source = Column(CodingKeys.source)
        public static let todoId = Column(CodingKeys.todoId)
        public static let state = Column(CodingKeys.state)
        public static let actor = Column(CodingKeys.actor)
        public static let at = Column(CodingKeys.at)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
