import Foundation

/// A bearer token for the admin API. Only a SHA-256 hash of the token is kept; `hint` is its last 4 characters.
public struct APITokenRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var tokenHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// When the token stops working; nil: never.
    public var expiresAt: Date?
    public var scope: APITokenScope
    /// ``AdminRole`` raw value: a `superAdmin` token (made by a super-admin who asked for one) manages tenants too.
    public var role: String

    public init(id: Int64? = nil, tenantId: Int64, name: String, tokenHash: String, hint: String, createdBy: String,
                createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil, expiresAt: Date? = nil, scope: APITokenScope = .full,
                role: AdminRole = .admin)
    {
        self.role = role.rawValue
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.tokenHash = tokenHash
        self.hint = hint
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
        self.scope = scope
        self.role = role.rawValue
    }

    /// Whether the token has run out at `time`.
    public func isExpired(at time: Date) -> Bool { expiresAt.map { $0 <= time } ?? false }
}
