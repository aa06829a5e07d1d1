import Foundation

/// The OA directory (departments and users).
public protocol OADirectoryStore: Sendable {
    func oaDepartments(tenantId: Int64) async throws -> [OADepartmentRecord]

    /// A page of users by oa id, optionally only those in `department` (as primary or part-time department) and only
    /// those bound or not (`binding`); `query` matches oa id, login id, name, mobile, email or employee number (substring).
    func oaUsers(tenantId: Int64, query: String, department: String?, binding: BindingFilter?, limit: Int, offset: Int) async throws
        -> (total: Int, users: [OAUserRecord])

    /// What validating a file needs to know of the stored directory: department id → parent id, login id → oa id.
    func oaDirectoryState(tenantId: Int64) async throws -> (departments: [String: String?], logins: [String: String])

    /// Upserts validated departments and users in one transaction with one audit entry (`oaDirectory.import`).
    /// An existing user keeps its password hash. Users must reference stored or imported departments, and a login id
    /// may not be another stored user's (checked again here, inside the transaction).
    ///
    /// A replace that would make more users leave, or delete more departments, than the tenant's ``DecreaseThreshold``
    /// changes nothing: it is parked (``OADirectoryImportResult/parked``) until an admin applies or discards it. A
    /// replace that is applied supersedes a waiting parked change.
    @discardableResult
    func importOADirectory(tenantId: Int64, departments: [OADirectoryImport.Department], users: [OADirectoryImport.User],
                           mode: OADirectoryImportMode, source: OADirectorySource, by actor: AuditActor,
                           at time: Date) async throws -> OADirectoryImportResult

    /// The tenant's user-decrease threshold (``DecreaseThreshold/standard`` until set).
    func decreaseThreshold(tenantId: Int64) async throws -> DecreaseThreshold

    /// Sets the threshold (percent 0–100, count ≥ 0; nil = not checked); audited as `settings.update`.
    @discardableResult
    func setDecreaseThreshold(tenantId: Int64, _ threshold: DecreaseThreshold, by actor: AuditActor) async throws -> DecreaseThreshold

    /// Parked changes, newest first: the waiting ones and the last decided ones (`limit` in all).
    func parkedChanges(tenantId: Int64, limit: Int) async throws -> [ParkedChangeRecord]

    /// Applies a waiting parked change as it came, past the threshold; audited as `oaDirectory.parked.apply`.
    func applyParkedChange(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date) async throws -> OADirectoryImportResult

    /// Discards a waiting parked change; audited as `oaDirectory.parked.discard`.
    func discardParkedChange(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date) async throws

    func oaDirectorySummary(tenantId: Int64) async throws -> OADirectorySummary

    /// How many active users each department has (as primary or part-time department).
    func oaDepartmentMemberCounts(tenantId: Int64) async throws -> [String: Int]

    /// Sets the password hash an embedded-directory OA login is checked against (the hash only: the caller hashes).
    /// Audited as `oaUser.password` without the hash.
    func setOAUserPassword(tenantId: Int64, oaID: String, passwordHash: String, by actor: AuditActor) async throws

    /// Inserts or replaces OA users in one transaction (the bulk path of imports and the OA push API).
    func upsertOAUsers(_ users: [OAUserRecord]) async throws

    func oaUserCount(tenantId: Int64) async throws -> Int

    /// The OA user who logs in as `loginID` in the tenant.
    func oaUser(tenantId: Int64, loginID: String) async throws -> OAUserRecord?

    /// The OA user with the OA id `oaID` in the tenant.
    func oaUser(tenantId: Int64, oaID: String) async throws -> OAUserRecord?
}

/// Users by whether they are bound to a Feishu user (the directory lists' 已绑定 / 未绑定 filter).
public struct BindingFilter: Sendable, Equatable {
    public var bound: Bool
    /// Bound (or not) in this enterprise; nil: in any enterprise of the tenant — unbound then means bound in none.
    public var enterpriseId: Int64?

    public init(bound: Bool, enterpriseId: Int64? = nil) {
        self.bound = bound
        self.enterpriseId = enterpriseId
    }
}

/// How an import treats what the file does not mention.
public enum OADirectoryImportMode: String, Sendable, Codable, CaseIterable {
    /// Adds and updates; leaves everything else as it is.
    case merge
    /// Like `merge`, and then: stored users missing from a users file are marked `left`; stored departments missing
    /// from a departments file are deleted. Applies only to the kind of rows the import carries (an empty list
    /// changes nothing).
    case replace
}

/// What an import did.
public struct OADirectoryImportResult: Sendable, Equatable, Codable {
    public var created: Int
    public var updated: Int
    public var unchanged: Int
    /// Users marked `left` (replace mode).
    public var left: Int
    /// Departments deleted (replace mode).
    public var deleted: Int
    /// Set when the change went past the decrease threshold: nothing was changed, the change waits for an admin.
    public var parked: ParkedChangeSummary?

    public init(created: Int = 0, updated: Int = 0, unchanged: Int = 0, left: Int = 0, deleted: Int = 0) {
        self.created = created
        self.updated = updated
        self.unchanged = unchanged
        self.left = left
        self.deleted = deleted
    }
}

/// What the console's OA directory page shows at the top.
public struct OADirectorySummary: Sendable, Equatable {
    /// Subcompanies (分部): stored ones and the ones departments name.
    public var subcompanies: Int
    public var departments: Int
    public var activeUsers: Int
    public var leftUsers: Int
    /// Users who can log in to the bridge's OA login form (a password is set).
    public var usersWithPassword: Int
    /// The latest change: an updated row or an import (which may only delete or mark users left).
    public var lastChange: Date?

    public init(subcompanies: Int, departments: Int, activeUsers: Int, leftUsers: Int, usersWithPassword: Int,
                lastChange: Date? = nil)
    {
        self.subcompanies = subcompanies
        self.departments = departments
        self.activeUsers = activeUsers
        self.leftUsers = leftUsers
        self.usersWithPassword = usersWithPassword
        self.lastChange = lastChange
    }
}
