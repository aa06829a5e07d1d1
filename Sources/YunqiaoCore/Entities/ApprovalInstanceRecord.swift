import Foundation

/// A todo in one Feishu app's Approval Center (`feishu-api.md` §5.2): one external instance per (app, todo), with a
/// task per bound recipient (``ApprovalTaskRecord``). A row of the outbox: every change of the todo (a new message of
/// it, a new state) makes it pending with a larger `changeTime`; the worker pushes the instance as it is *then*, with
/// `update_time = changeTime`, so a late retry never carries an older state than the newest push, and Feishu ignores a
/// push whose `update_time` is not newer than what it holds.
public struct ApprovalInstanceRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var appId: Int64
    public var source: String
    public var todoId: String
    /// Feishu's `instance_id`: `<source>:<todoId>`.
    public var instanceId: String
    /// The newest message of the todo in this app (its title, fields and links make the instance).
    public var messageId: Int64
    /// Milliseconds since 1970, strictly increasing with each change of the instance.
    public var changeTime: Int64
    /// The `changeTime` Feishu last accepted (nil: never pushed).
    public var syncedTime: Int64?
    /// The instance status last pushed (`PENDING`, `APPROVED`…).
    public var feishuStatus: String?
    /// pending (a push is due), synced or dead.
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, appId: Int64, source: String, todoId: String, instanceId: String, messageId: Int64,
                changeTime: Int64, syncedTime: Int64? = nil, feishuStatus: String? = nil, state: String, attempts: Int = 0,
                nextAttemptAt: Date, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, lastError: String? = nil, createdAt: Date,
                updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.appId = appId
        self.source = source
        self.todoId = todoId
        self.instanceId = instanceId
        self.messageId = messageId
        self.changeTime = changeTime
        self.syncedTime = syncedTime
        self.feishuStatus = feishuStatus
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Feishu's `instance_id` of a todo.
    public static func feishuInstanceID(source: String, todoId: String) -> String { "\(source):\(todoId)" }
}
