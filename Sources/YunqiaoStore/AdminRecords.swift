import Foundation
import GRDB
import YunqiaoCore

/// Where a Feishu app's homepage leads: an OA homepage app kept in the bridge, a custom URL, or nowhere yet.
public enum AppHomepage: Sendable, Equatable {
    case none
    case oaApp(Int64)
    case custom(String)
}

/// Who made a change, as written in the audit log: an admin's user name, `token:<name>`, or `cli`.
public struct AuditActor: Sendable, Equatable {
    public var name: String
    public init(_ name: String) { self.name = name }
    public static let cli = AuditActor("cli")
    public static let system = AuditActor("system")
}

/// An OA app that can be a Feishu app's homepage (seed: 应用中心已经存在的主页型应用).
public struct HomepageAppRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "homepageApp"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// An absolute http(s) URL, or a path in the OA starting with `/`.
    public var url: String
    public var note: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A console administrator. The password is kept only as a slow salted hash.
public struct AdminRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "admin"
    public var id: Int64?
    public var tenantId: Int64
    public var username: String
    public var passwordHash: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A bearer token for the admin API. Only a SHA-256 hash of the token is kept; `hint` is its last 4 characters.
public struct APITokenRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "apiToken"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var tokenHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

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

struct TenantSettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tenantSetting"
    var tenantId: Int64
    var key: String
    var value: String
    var updatedAt: Date
}

struct PersistEntryRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "persistEntry"
    var key: String
    var value: Data
    var expiresAt: Date?
}
