import Foundation

/// A key an OA system uses to call the bridge's OA-facing API (`/api/v1`): one tenant, only a SHA-256 kept.
public struct OAKeyRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var keyHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(id: Int64? = nil, tenantId: Int64, name: String, keyHash: String, hint: String, createdBy: String,
                createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil)
    {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.keyHash = keyHash
        self.hint = hint
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}
