import Foundation

/// One admin change: who, when, what, and the entry before and after (JSON objects, secrets masked).
public struct AuditRecord: Codable, Sendable, Equatable {
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

    public init(id: Int64? = nil, tenantId: Int64, actor: String, action: String, target: String,
                before: String? = nil, after: String? = nil, at: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.actor = actor
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.at = at
    }
}
