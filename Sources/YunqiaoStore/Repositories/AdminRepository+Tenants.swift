import Foundation
import GRDB
import YunqiaoCore

/// The tenants a super-admin manages: list, create, rename, and a tenant's first admin. The role is checked by the
/// caller (the use case); each change is audited in the acting admin's tenant and in the tenant it concerns.
extension AdminRepository {
    public func tenantSummaries() async throws -> [TenantSummary] {
        try await read { db in
            try TenantRecord.order(TenantRecord.Columns.id).fetchAll(db).map { try Self.summary(db, $0) }
        }
    }

    public func tenantSummary(id: Int64) async throws -> TenantSummary {
        try await read { db in try Self.summary(db, try Self.tenant(db, id: id)) }
    }

    public func createTenant(name: String, by actor: AuditActor, actorTenantId: Int64) async throws -> TenantRecord {
        let name = try Validate.name(name, field: "name")
        return try await write { db in
            try Self.requireUniqueTenant(db, name: name, except: nil)
            var tenant = TenantRecord(id: nil, name: name, createdAt: Date())
            try tenant.insert(db)
            try Self.auditBoth(db, actorTenantId, tenant.id ?? 0, actor, "tenant.create", target: "tenant \(tenant.id ?? 0) \(name)",
                               before: nil, after: ["name": name])
            return tenant
        }
    }

    public func renameTenant(id: Int64, name: String, by actor: AuditActor, actorTenantId: Int64) async throws -> TenantRecord {
        let name = try Validate.name(name, field: "name")
        return try await write { db in
            var tenant = try Self.tenant(db, id: id)
            let before = tenant.name
            guard before != name else { return tenant }
            try Self.requireUniqueTenant(db, name: name, except: id)
            tenant.name = name
            try tenant.update(db)
            try Self.auditBoth(db, actorTenantId, id, actor, "tenant.rename", target: "tenant \(id) \(name)", before: ["name": before],
                               after: ["name": name])
            return tenant
        }
    }

    public func createFirstAdmin(tenantId: Int64, username: String, passwordHash: String, by actor: AuditActor,
                                 actorTenantId: Int64) async throws -> AdminRecord
    {
        let username = try Validate.name(username, field: "username")
        return try await write { db in
            let tenant = try Self.tenant(db, id: tenantId)
            let existing = try AdminRecord.filter(AdminRecord.Columns.tenantId == tenantId).order(AdminRecord.Columns.id).fetchAll(db)
            guard existing.isEmpty else {
                throw StoreError.conflict(field: nil, message: "tenant \(tenant.name) has an admin already: \(existing.map(\.username).joined(separator: ", "))")
            }
            guard try AdminRecord.filter(AdminRecord.Columns.username == username).fetchCount(db) == 0 else {
                throw StoreError.conflict(field: "username", message: "the user name \(username) is taken")
            }
            let now = Date()
            var admin = AdminRecord(id: nil, tenantId: tenantId, username: username, passwordHash: passwordHash, createdAt: now, updatedAt: now)
            try admin.insert(db)
            try Self.auditBoth(db, actorTenantId, tenantId, actor, "admin.create", target: "admin \(username) of tenant \(tenantId) \(tenant.name)",
                               before: nil, after: ["username": username, "role": AdminRole.admin.rawValue, "tenant": tenant.name])
            return admin
        }
    }

    // MARK: helpers

    static func tenant(_ db: Database, id: Int64) throws -> TenantRecord {
        guard let tenant = try TenantRecord.fetchOne(db, key: id) else { throw StoreError.notFound("tenant \(id)") }
        return tenant
    }

    private static func requireUniqueTenant(_ db: Database, name: String, except id: Int64?) throws {
        var request = TenantRecord.filter(TenantRecord.Columns.name == name)
        if let id { request = request.filter(TenantRecord.Columns.id != id) }
        guard try request.fetchCount(db) == 0 else { throw StoreError.conflict(field: "name", message: "a tenant named \(name) exists already") }
    }

    private static func summary(_ db: Database, _ tenant: TenantRecord) throws -> TenantSummary {
        let id = tenant.id ?? 0
        let admins = try AdminRecord.filter(AdminRecord.Columns.tenantId == id).order(AdminRecord.Columns.id).fetchAll(db)
        let enterprises = try EnterpriseRecord.filter(EnterpriseRecord.Columns.tenantId == id).fetchCount(db)
        return TenantSummary(tenant: tenant, admins: admins.map(\.username), enterprises: enterprises,
                             holdsSuperAdmin: admins.contains(where: \.isSuperAdmin))
    }

    /// The entry in the acting admin's tenant and, when it is another, in the tenant the change concerns.
    private static func auditBoth(_ db: Database, _ actorTenantId: Int64, _ tenantId: Int64, _ actor: AuditActor, _ action: String,
                                  target: String, before: [String: String]?, after: [String: String]?) throws
    {
        try audit(db, tenantId: actorTenantId, actor, action, target: target, before: before, after: after)
        if tenantId != actorTenantId { try audit(db, tenantId: tenantId, actor, action, target: target, before: before, after: after) }
    }

    /// Whether an admin created now in `tenantId` is the first of the default tenant (named `default`, else the oldest)
    /// while there is no super-admin: then it becomes the super-admin.
    static func isFirstOfDefaultTenant(_ db: Database, tenantId: Int64) throws -> Bool {
        guard try AdminRecord.filter(AdminRecord.Columns.role == AdminRole.superAdmin.rawValue).fetchCount(db) == 0,
              try AdminRecord.filter(AdminRecord.Columns.tenantId == tenantId).fetchCount(db) == 0
        else { return false }
        let defaultTenant = try TenantRecord.filter(TenantRecord.Columns.name == "default").fetchOne(db)
            ?? TenantRecord.order(TenantRecord.Columns.id).fetchOne(db)
        return defaultTenant?.id == tenantId
    }
}
