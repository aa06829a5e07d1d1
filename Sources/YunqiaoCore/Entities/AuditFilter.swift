import Foundation

/// Filters of the audit log view. Empty fields match everything.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    /// Matches actions starting with this text (`app` matches `app.create` and `app.update`).
    public var action: String?
    /// Matches the target or the before/after text.
    public var text: String?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    /// Entries older than this id (paging backwards).
    public var beforeId: Int64?

    public init(actor: String? = nil, action: String? = nil, text: String? = nil, since: Date? = nil, until: Date? = nil,
                limit: Int = 100, beforeId: Int64? = nil)
    {
        self.actor = actor
        self.action = action
        self.text = text
        self.since = since
        self.until = until
        self.limit = limit
        self.beforeId = beforeId
    }
}
