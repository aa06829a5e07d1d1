import Foundation

/// A message the OA handed over, as accepted (`payload` is the ``PushMessage`` JSON).
public struct MessageRecord: Codable, Sendable, Equatable {
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

    public init(id: Int64? = nil, tenantId: Int64, source: String, idempotencyKey: String, title: String,
                todoId: String? = nil, payload: String, planned: Int, skipped: Int, acceptedBy: String,
                acceptedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.title = title
        self.todoId = todoId
        self.payload = payload
        self.planned = planned
        self.skipped = skipped
        self.acceptedBy = acceptedBy
        self.acceptedAt = acceptedAt
    }

    /// The message as accepted.
    public func message() throws -> PushMessage { try JSONDecoder().decode(PushMessage.self, from: Data(payload.utf8)) }
}
