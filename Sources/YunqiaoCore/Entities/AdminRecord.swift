import Foundation

/// A console administrator. The password is kept only as a slow salted hash.
public struct AdminRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var username: String
    public var passwordHash: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, username: String, passwordHash: String, createdAt: Date,
                updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.username = username
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
