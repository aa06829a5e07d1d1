import Foundation

/// An OA todo behind todo messages: its state decides the style of every card of it.
public struct TodoRecord: Codable, Sendable, Equatable {
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

    public init(tenantId: Int64, source: String, todoId: String, state: String, actor: String? = nil, at: Date? = nil,
                createdAt: Date, updatedAt: Date)
    {
        self.tenantId = tenantId
        self.source = source
        self.todoId = todoId
        self.state = state
        self.actor = actor
        self.at = at
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var todoState: TodoState { TodoState(rawValue: state) ?? .pending }
}
