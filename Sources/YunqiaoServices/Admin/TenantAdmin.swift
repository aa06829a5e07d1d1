import Foundation
import YunqiaoCore

/// Tenant management (issue #13, item 20), for a super-admin only — anyone else is refused (`forbidden`, 403), for the
/// API and the console alike: the tenants with their admins and enterprises, a new tenant, a new name, and a tenant's
/// first admin with a generated password shown once. Everything else a super-admin does stays inside their own
/// tenant; each change is audited in both tenants (``AdminStore``).
public struct TenantAdmin: Sendable {
    let database: any BridgeStore

    public init(database: any BridgeStore) {
        self.database = database
    }

    public func tenants(_ admin: AdminIdentity) async throws -> [TenantView] {
        try Self.require(admin)
        return try await database.admins.tenantSummaries().map(TenantView.init)
    }

    public func tenant(_ admin: AdminIdentity, id: Int64) async throws -> TenantView {
        try Self.require(admin)
        return TenantView(try await database.admins.tenantSummary(id: id))
    }

    public func create(_ admin: AdminIdentity, _ input: TenantInput) async throws -> TenantView {
        try Self.require(admin)
        let tenant = try await database.admins.createTenant(name: input.name, by: admin.actor, actorTenantId: admin.tenantId)
        return TenantView(try await database.admins.tenantSummary(id: tenant.id ?? 0))
    }

    public func rename(_ admin: AdminIdentity, id: Int64, _ input: TenantInput) async throws -> TenantView {
        try Self.require(admin)
        _ = try await database.admins.renameTenant(id: id, name: input.name, by: admin.actor, actorTenantId: admin.tenantId)
        return TenantView(try await database.admins.tenantSummary(id: id))
    }

    /// The tenant's first admin, with a generated password: the answer is the only place it appears.
    public func createFirstAdmin(_ admin: AdminIdentity, tenantId: Int64, _ input: TenantAdminInput) async throws -> TenantAdminView {
        try Self.require(admin)
        let password = Passwords.generate()
        let created = try await database.admins.createFirstAdmin(tenantId: tenantId, username: input.username,
                                                                 passwordHash: try await Passwords.hash(password), by: admin.actor,
                                                                 actorTenantId: admin.tenantId)
        return TenantAdminView(tenantId: tenantId, username: created.username, password: password)
    }

    static func require(_ admin: AdminIdentity) throws {
        guard admin.superAdmin else { throw YunqiaoError.forbidden("only the super-admin manages tenants") }
    }
}

extension AdminService {
    /// Tenant management, for the super-admin.
    public var tenants: TenantAdmin { TenantAdmin(database: database) }
}

/// A tenant as the API answers it.
public struct TenantView: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: Date
    /// User names of the tenant's admins.
    public var admins: [String]
    public var enterprises: Int
    /// The super-admin's own tenant.
    public var superAdminTenant: Bool

    init(_ summary: TenantSummary) {
        id = summary.tenant.id ?? 0
        name = summary.tenant.name
        createdAt = summary.tenant.createdAt
        admins = summary.admins
        enterprises = summary.enterprises
        superAdminTenant = summary.holdsSuperAdmin
    }
}

public struct TenantInput: Codable, Sendable {
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

public struct TenantAdminInput: Codable, Sendable {
    public var username: String

    public init(username: String) {
        self.username = username
    }
}

/// A tenant's new admin: the password is shown this once.
public struct TenantAdminView: Codable, Sendable, Equatable {
    public var tenantId: Int64
    public var username: String
    public var password: String
}
