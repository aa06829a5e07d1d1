import Foundation

/// Administrators, API tokens, OA keys, sessions, the audit log, and the tenants a super-admin manages.
public protocol AdminStore: Sendable {
    /// Records an admin action that changes no settings row (a sync started, a credentials test, a login).
    func audit(tenantId: Int64, _ actor: AuditActor, _ action: String, target: String,
               details: [String: String]?) async throws

    /// Audit entries, newest first.
    func auditLog(tenantId: Int64, filter: AuditFilter) async throws -> [AuditRecord]

    func createOAKey(tenantId: Int64, name: String, key: String, by actor: AuditActor) async throws -> OAKeyRecord

    func oaKeys(tenantId: Int64) async throws -> [OAKeyRecord]

    /// The live key with this plaintext, or nil; marks it used at most once a minute.
    func useOAKey(_ key: String, at time: Date) async throws -> OAKeyRecord?

    func revokeOAKey(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    func persistedValue(key: String, now: Date) async throws -> (value: Data, expiresAt: Date?)?

    /// Stores `value` under `key`. With `onlyIfAbsent`, returns false when a live entry exists already.
    /// A nil `expiresAt` on an existing entry keeps its expiry.
    @discardableResult
    func persist(key: String, value: Data, expiresAt: Date?, onlyIfAbsent: Bool, now: Date) async throws -> Bool

    func removePersisted(key: String) async throws

    /// Drops expired entries; returns how many.
    @discardableResult
    func tidyPersisted(now: Date) async throws -> Int

    /// Reads and removes a key/value entry in one transaction: a live value is handed out once only (one-time tokens).
    /// An expired entry is removed and answers nil.
    func takePersisted(key: String, now: Date) async throws -> Data?

    func adminCount() async throws -> Int

    func admin(username: String) async throws -> AdminRecord?

    func admin(id: Int64) async throws -> AdminRecord?

    /// Creates the admin or replaces its password hash (`yunqiao admin set-password`, first start). The first admin of
    /// the default tenant (named `default`, else the oldest) becomes the super-admin while there is none.
    @discardableResult
    func setAdminPassword(tenantId: Int64, username: String, passwordHash: String, by actor: AuditActor) async throws -> AdminRecord

    /// Creates a token with its scope, optional expiry (in the future) and role; only its hash is kept. A
    /// `superAdmin` token manages the tenants too.
    func createAPIToken(tenantId: Int64, name: String, token: String, scope: APITokenScope, expiresAt: Date?, role: AdminRole,
                        by actor: AuditActor) async throws -> APITokenRecord

    func apiTokens(tenantId: Int64) async throws -> [APITokenRecord]

    /// The live token with this plaintext, or nil. Marks it used (at most once a minute, to spare the writer).
    func useAPIToken(_ token: String, at time: Date) async throws -> APITokenRecord?

    func revokeAPIToken(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    // MARK: tenants (a super-admin's; the caller checks the role)

    /// Every tenant with how many admins and enterprises it has, oldest first.
    func tenantSummaries() async throws -> [TenantSummary]

    func tenantSummary(id: Int64) async throws -> TenantSummary

    /// Creates a tenant (a unique name). Audited as `tenant.create` in the acting admin's tenant (`actorTenantId`) and
    /// in the new one.
    func createTenant(name: String, by actor: AuditActor, actorTenantId: Int64) async throws -> TenantRecord

    /// Renames a tenant. Audited as `tenant.rename` in the acting admin's tenant and in the renamed one.
    func renameTenant(id: Int64, name: String, by actor: AuditActor, actorTenantId: Int64) async throws -> TenantRecord

    /// Creates a tenant's first admin (an ordinary admin): refused while the tenant has an admin, or when the user name
    /// is taken. Audited as `admin.create` in both tenants, without the hash.
    func createFirstAdmin(tenantId: Int64, username: String, passwordHash: String, by actor: AuditActor,
                          actorTenantId: Int64) async throws -> AdminRecord
}

/// A tenant as the super-admin's list shows it.
public struct TenantSummary: Sendable, Equatable {
    public var tenant: TenantRecord
    public var admins: [String]
    public var enterprises: Int
    /// The tenant of the super-admin (the default tenant).
    public var holdsSuperAdmin: Bool

    public init(tenant: TenantRecord, admins: [String], enterprises: Int, holdsSuperAdmin: Bool) {
        self.tenant = tenant
        self.admins = admins
        self.enterprises = enterprises
        self.holdsSuperAdmin = holdsSuperAdmin
    }
}

/// A Feishu user as a login vouched for them (`user_info`), for binding one the mirror does not hold yet.
public struct SignedInFeishuUser: Codable, Sendable, Equatable {
    public var openID: String?
    public var userID: String?
    public var name: String

    public init(openID: String?, userID: String?, name: String) {
        self.openID = openID
        self.userID = userID
        self.name = name
    }
}
