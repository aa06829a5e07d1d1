import Foundation
import YunqiaoCore

/// The OA directory kept in the bridge, for the admin API and the console alike (issue #6): file imports, the
/// department tree, users with their bindings, the embedded directory's passwords and the OA keys. Every call is
/// scoped to the admin's tenant; every change is audited under the admin's name.
public struct OADirectoryService: Sendable {
    let database: any BridgeStore

    /// The shortest password the embedded directory accepts.
    public static let minPasswordLength = 8
    /// bcrypt reads at most 72 bytes: a longer password would be cut silently.
    static let maxPasswordBytes = 72

    // MARK: import

    /// What an import did: applied (counts) or refused (every bad row; nothing applied).
    public enum ImportOutcome: Sendable {
        case applied(AppliedImport)
        case rejected(RejectedImport)
    }

    /// Reads a departments or users sheet (CSV or XLSX), checks every row and applies the file in one transaction when
    /// no row is bad. A file that cannot be read at all throws a 400 naming `file`.
    public func importSheet(_ admin: AdminIdentity, sheet: OADirectoryImport.Sheet, mode: OADirectoryImportMode,
                     format: SpreadsheetReader.Format, data: Data) async throws -> ImportOutcome
    {
        guard !data.isEmpty else { throw YunqiaoError.invalid(field: "file", message: "the file is empty") }
        let rows: [[String]]
        do {
            rows = try SpreadsheetReader.rows(data, format: format)
        } catch let error as SpreadsheetReader.ReadError {
            throw YunqiaoError.invalid(field: "file", message: error.message)
        }
        let state = try await database.oaDirectory.oaDirectoryState(tenantId: admin.tenantId)
        do {
            let result: OADirectoryImportResult
            switch sheet {
            case .departments:
                let departments = try OADirectoryImport.departments(rows, existing: state.departments)
                result = try await database.oaDirectory.importOADirectory(tenantId: admin.tenantId, departments: departments, users: [], mode: mode,
                                                                          source: .sheet, by: admin.actor, at: Date())
            case .users:
                let users = try OADirectoryImport.users(rows, departments: Set(state.departments.keys), existingLogins: state.logins)
                result = try await database.oaDirectory.importOADirectory(tenantId: admin.tenantId, departments: [], users: users, mode: mode,
                                                                          source: .sheet, by: admin.actor, at: Date())
            }
            return .applied(AppliedImport(result))
        } catch let failure as OADirectoryImport.Failure {
            let count = failure.lineCount
            return .rejected(RejectedImport(error: .init(field: "file", message: "\(count) row\(count == 1 ? " has" : "s have") errors"),
                                            rows: failure.errors))
        }
    }

    // MARK: reading

    public func summary(_ admin: AdminIdentity) async throws -> OADirectorySummary {
        try await database.oaDirectory.oaDirectorySummary(tenantId: admin.tenantId)
    }

    /// A department of the tree with its active members (primary or part-time) and its children.
    public struct DepartmentNode: Sendable, Equatable {
        public var oaID: String
        public var name: String
        public var subcompany: String?
        public var userCount: Int
        public var children: [DepartmentNode]
    }

    /// The departments as a tree: top-level ones (no parent, or a parent that is not stored) first, by order.
    public func departmentTree(_ admin: AdminIdentity) async throws -> [DepartmentNode] {
        let departments = try await database.oaDirectory.oaDepartments(tenantId: admin.tenantId)
        let counts = try await database.oaDirectory.oaDepartmentMemberCounts(tenantId: admin.tenantId)
        let known = Set(departments.map(\.oaID))
        let byParent = Dictionary(grouping: departments.filter { $0.parentOaID.map(known.contains) == true }) { $0.parentOaID ?? "" }
        // Import refuses cycles, but a push and a later import could still meet one: a department appears once at most.
        var placed: Set<String> = []
        func node(_ department: OADepartmentRecord) -> DepartmentNode {
            placed.insert(department.oaID)
            let children = (byParent[department.oaID] ?? []).filter { !placed.contains($0.oaID) }.map(node)
            return DepartmentNode(oaID: department.oaID, name: department.name, subcompany: department.subcompanyOaID,
                                  userCount: counts[department.oaID] ?? 0, children: children)
        }
        return departments.filter { $0.parentOaID.map(known.contains) != true }.map(node)
    }

    /// All department names by oa id.
    public func departmentNames(_ admin: AdminIdentity) async throws -> [String: String] {
        Dictionary(try await database.oaDirectory.oaDepartments(tenantId: admin.tenantId).map { ($0.oaID, $0.name) }) { first, _ in first }
    }

    /// A page of users; `binding` keeps only the bound or the unbound ones (in one enterprise of the tenant, or in any).
    public func users(_ admin: AdminIdentity, query: String, department: String?, binding: BindingFilter? = nil, limit: Int,
                      offset: Int) async throws -> (total: Int, users: [OAUserRecord])
    {
        if let enterpriseId = binding?.enterpriseId { _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId) }
        return try await database.oaDirectory.oaUsers(tenantId: admin.tenantId, query: query, department: department?.nilIfEmpty,
                                                      binding: binding, limit: limit, offset: max(0, offset))
    }

    /// The bindings of these OA users in every enterprise of the tenant, by OA user id.
    public func bindings(_ admin: AdminIdentity, oaUserIDs: [String]) async throws -> [String: [BindingEntry]] {
        Dictionary(grouping: try await database.bindings.bindingEntries(tenantId: admin.tenantId, oaUserIDs: oaUserIDs), by: \.binding.oaUserID)
    }

    public func user(_ admin: AdminIdentity, oaID: String) async throws -> OAUserRecord {
        guard let user = try await database.oaDirectory.oaUser(tenantId: admin.tenantId, oaID: oaID) else {
            throw YunqiaoError.notFound("OA user \(oaID)")
        }
        return user
    }

    /// The OA user's binding in each enterprise of the tenant (nil where unbound), in the enterprises' order.
    public func bindings(_ admin: AdminIdentity, oaID: String) async throws -> [(enterprise: EnterpriseRecord, binding: BindingEntry?)] {
        let entries = try await database.bindings.bindingEntries(tenantId: admin.tenantId, oaUserID: oaID)
        return try await database.integration.enterprises(tenantId: admin.tenantId).map { enterprise in
            (enterprise, entries.first { $0.binding.enterpriseId == enterprise.id })
        }
    }

    // MARK: passwords

    /// Sets the password an OA user signs in with on the bridge's OA login form (embedded directory). Only a bcrypt
    /// hash, computed off the event loops, is stored; the password is never returned, logged or audited. Its length
    /// counts code points (as the document's `minLength`), its limit UTF-8 bytes; a control character (Cc) is refused.
    public func setPassword(_ admin: AdminIdentity, oaID: String, password: String) async throws {
        guard password.unicodeScalars.count >= Self.minPasswordLength else {
            throw YunqiaoError.invalid(field: "password", message: "at least \(Self.minPasswordLength) characters")
        }
        guard password.utf8.count <= Self.maxPasswordBytes else {
            throw YunqiaoError.invalid(field: "password", message: "at most \(Self.maxPasswordBytes) bytes (bcrypt reads no more)")
        }
        guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw YunqiaoError.invalid(field: "password", message: "must not contain control characters")
        }
        _ = try await user(admin, oaID: oaID)
        let hash = try await Passwords.hash(password)
        try await database.oaDirectory.setOAUserPassword(tenantId: admin.tenantId, oaID: oaID, passwordHash: hash, by: admin.actor)
    }

    // MARK: OA keys

    public func keys(_ admin: AdminIdentity) async throws -> [OAKeyRecord] {
        try await database.admins.oaKeys(tenantId: admin.tenantId)
    }

    /// Creates a key; the answer is the only place its value ever appears.
    public func createKey(_ admin: AdminIdentity, name: String) async throws -> (record: OAKeyRecord, key: String) {
        let key = Passwords.token(prefix: "yqoa_")
        return (try await database.admins.createOAKey(tenantId: admin.tenantId, name: name, key: key, by: admin.actor), key)
    }

    public func revokeKey(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.admins.revokeOAKey(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    public init(database: any BridgeStore) {
        self.database = database
    }
}

extension AdminService {
    public var oaDirectory: OADirectoryService { OADirectoryService(database: database) }
}

/// An import that was applied: its counts.
public struct AppliedImport: Encodable, Sendable {
    /// False when the import went past the decrease threshold and was parked instead (`parked`).
    public var applied: Bool
    public var created: Int
    public var updated: Int
    public var unchanged: Int
    public var left: Int
    public var deleted: Int
    public var parked: ParkedChangeSummary?

    public init(_ result: OADirectoryImportResult) {
        applied = result.parked == nil
        created = result.created
        updated = result.updated
        unchanged = result.unchanged
        left = result.left
        deleted = result.deleted
        parked = result.parked
    }
}

/// An import that was refused: nothing applied, every bad row named.
public struct RejectedImport: Encodable, Sendable {
    public struct Detail: Encodable, Sendable {
        public var field: String
        public var message: LocalizedText
    }
    public var applied = false
    public var error: Detail
    public var rows: [OADirectoryImport.RowError]
}
