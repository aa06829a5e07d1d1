import Foundation

/// A console administrator. The password is kept only as a slow salted hash.
public struct AdminRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var username: String
    public var passwordHash: String
    public var createdAt: Date
    public var updatedAt: Date
    /// ``AdminRole`` raw value: `admin`, or `superAdmin` (also manages the tenants).
    public var role: String

    public init(id: Int64? = nil, tenantId: Int64, username: String, passwordHash: String, createdAt: Date,
                updatedAt: Date, role: AdminRole = .admin)
    {
        self.id = id
        self.tenantId = tenantId
        self.username = username
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.role = role.rawValue
    }

    public var isSuperAdmin: Bool { role == AdminRole.superAdmin.rawValue }
}

/// What an admin (or an API token) may do. Every admin works inside their own tenant; a super-admin also lists,
/// creates and renames tenants and creates a tenant's first admin. The first admin of the default tenant is the
/// super-admin.
public enum AdminRole: String, Sendable, Codable, CaseIterable {
    case admin
    case superAdmin
}
