import Foundation
import GRDB
import YunqiaoCore

/// The OA directory of a tenant: departments and users, their import and summary.
public struct OADirectoryRepository: StoreRepository {
    let writer: any DatabaseWriter
}

/// The OA directory imported from spreadsheets (issue #6, way 1). Files are validated by ``OADirectoryImport`` first;
/// the import itself is one transaction with its audit entry.
extension OADirectoryRepository {
    public func oaDepartments(tenantId: Int64) async throws -> [OADepartmentRecord] {
        try await read { db in
            try OADepartmentRecord.filter(OADepartmentRecord.Columns.tenantId == tenantId).order(OADepartmentRecord.Columns.sortOrder, OADepartmentRecord.Columns.oaID).fetchAll(db)
        }
    }

    /// A page of users by oa id, optionally only those in `department` (as primary or part-time department) and only
    /// those bound or not (`binding`); `query` matches oa id, login id, name, mobile, email or employee number (substring).
    public func oaUsers(tenantId: Int64, query: String = "", department: String? = nil, binding: BindingFilter? = nil, limit: Int = 50,
                        offset: Int = 0) async throws -> (total: Int, users: [OAUserRecord])
    {
        try await read { db in
            var request = OAUserRecord.filter(OAUserRecord.Columns.tenantId == tenantId)
            if let department {
                request = request.filter(sql: "EXISTS (SELECT 1 FROM json_each(oaUser.departmentOaIDs) WHERE json_each.value = ?)",
                                         arguments: [department])
            }
            if let text = query.nilIfBlank {
                let pattern = "%\(Self.escapeLike(text))%"
                let columns = [OAUserRecord.Columns.oaID, OAUserRecord.Columns.loginID, OAUserRecord.Columns.name, OAUserRecord.Columns.mobile,
                               OAUserRecord.Columns.email, OAUserRecord.Columns.employeeNo].map { $0.like(pattern, escape: "\\") }
                request = request.filter(columns.joined(operator: .or))
            }
            if let binding {
                let exists = """
                    EXISTS (SELECT 1 FROM binding b JOIN enterprise e ON e.id = b.enterpriseId
                    WHERE e.tenantId = oaUser.tenantId AND b.oaUserID = oaUser.oaID\(binding.enterpriseId == nil ? "" : " AND b.enterpriseId = ?"))
                    """
                request = request.filter(sql: (binding.bound ? "" : "NOT ") + exists,
                                         arguments: binding.enterpriseId.map { StatementArguments([$0]) } ?? StatementArguments())
            }
            let total = try request.fetchCount(db)
            let users = try request.order(OAUserRecord.Columns.oaID).limit(max(1, min(limit, 500)), offset: max(0, offset)).fetchAll(db)
            return (total, users)
        }
    }

    /// What validating a file needs to know of the stored directory: department id → parent id, login id → oa id.
    public func oaDirectoryState(tenantId: Int64) async throws -> (departments: [String: String?], logins: [String: String]) {
        try await read { db in
            var departments: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT oaID, parentOaID FROM oaDepartment WHERE tenantId = ?", arguments: [tenantId]) {
                let parent: String? = row["parentOaID"]
                departments[row["oaID"]] = .some(parent)
            }
            var logins: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT oaID, loginID FROM oaUser WHERE tenantId = ?", arguments: [tenantId]) {
                logins[row["loginID"]] = row["oaID"]
            }
            return (departments, logins)
        }
    }

    /// Upserts validated departments and users in one transaction with one audit entry (`oaDirectory.import`).
    /// An existing user keeps its password hash. Users must reference stored or imported departments, and a login id
    /// may not be another stored user's (checked again here, inside the transaction). A replace past the tenant's
    /// decrease threshold is parked instead (see ``YunqiaoCore/OADirectoryStore``).
    @discardableResult
    public func importOADirectory(tenantId: Int64, departments: [OADirectoryImport.Department], users: [OADirectoryImport.User],
                                  mode: OADirectoryImportMode = .merge, source: OADirectorySource = .api, by actor: AuditActor,
                                  at time: Date = Date()) async throws -> OADirectoryImportResult
    {
        try await write { db in
            let change = ParkedDirectory(departments: departments, users: users)
            if let parked = try Self.parkIfPastThreshold(db, tenantId: tenantId, change, mode: mode, source: source, by: actor, at: time) {
                return parked
            }
            let result = try Self.importDirectory(db, tenantId: tenantId, change, mode: mode, by: actor, at: time)
            if mode == .replace { try Self.supersedeParked(db, tenantId: tenantId, at: time) }
            return result
        }
    }

    /// The import itself, inside the caller's transaction.
    static func importDirectory(_ db: Database, tenantId: Int64, _ change: ParkedDirectory, mode: OADirectoryImportMode,
                                by actor: AuditActor, at time: Date) throws -> OADirectoryImportResult
    {
        let (departments, users) = (change.departments, change.users)
        var result = OADirectoryImportResult()
        let storedDepartments = try OADepartmentRecord.filter(OADepartmentRecord.Columns.tenantId == tenantId).fetchAll(db)
        var departmentByID = Dictionary(storedDepartments.map { ($0.oaID, $0) }, uniquingKeysWith: { first, _ in first })
        for department in departments {
            var record = OADepartmentRecord(tenantId: tenantId, oaID: department.oaID, name: department.name,
                                            parentOaID: department.parentOaID, subcompanyOaID: department.subcompany,
                                            sortOrder: department.order, updatedAt: time)
            if var before = departmentByID[department.oaID] {
                before.updatedAt = time
                guard before != record else { result.unchanged += 1; continue }
                result.updated += 1
            } else {
                result.created += 1
            }
            try record.upsert(db)
            record.updatedAt = time
            departmentByID[department.oaID] = record
        }
        if mode == .replace, !departments.isEmpty {
            let kept = Set(departments.map(\.oaID))
            for stale in storedDepartments where !kept.contains(stale.oaID) {
                try stale.delete(db)
                departmentByID[stale.oaID] = nil
                result.deleted += 1
            }
        }

        let storedUsers = try OAUserRecord.filter(OAUserRecord.Columns.tenantId == tenantId).fetchAll(db)
        let userByID = Dictionary(storedUsers.map { ($0.oaID, $0) }, uniquingKeysWith: { first, _ in first })
        let ownerByLogin = Dictionary(storedUsers.map { ($0.loginID, $0.oaID) }, uniquingKeysWith: { first, _ in first })
        for user in users {
            for id in user.departmentOaIDs where departmentByID[id] == nil {
                throw StoreError.invalid(field: "department_oa_id", message: "line \(user.line): unknown department \"\(id)\"")
            }
            if let owner = ownerByLogin[user.loginID], owner != user.oaID {
                throw StoreError.invalid(field: "login_id", message: "line \(user.line): login_id \"\(user.loginID)\" belongs to OA user \"\(owner)\"")
            }
            let before = userByID[user.oaID]
            var record = OAUserRecord(tenantId: tenantId, oaID: user.oaID, loginID: user.loginID, name: user.name, mobile: user.mobile,
                                      email: user.email, employeeNo: user.employeeNo, title: user.title,
                                      departmentOaIDs: user.departmentOaIDs, status: user.status,
                                      passwordHash: before?.passwordHash, updatedAt: time)
            if var before {
                before.updatedAt = time
                guard before != record else { result.unchanged += 1; continue }
                result.updated += 1
            } else {
                result.created += 1
            }
            record.updatedAt = time
            try record.upsert(db)
        }
        if mode == .replace, !users.isEmpty {
            let kept = Set(users.map(\.oaID))
            for var stale in storedUsers where !kept.contains(stale.oaID) && stale.status != "left" {
                stale.status = "left"
                stale.updatedAt = time
                try stale.update(db)
                result.left += 1
            }
        }

        try Self.audit(db, tenantId: tenantId, actor, "oaDirectory.import",
                       target: departments.isEmpty ? "users" : users.isEmpty ? "departments" : "directory", before: nil,
                       after: ["mode": mode.rawValue, "departments": "\(departments.count)", "users": "\(users.count)",
                               "created": "\(result.created)", "updated": "\(result.updated)", "unchanged": "\(result.unchanged)",
                               "left": "\(result.left)", "deleted": "\(result.deleted)"])
        return result
    }
}

/// Reads of the console's OA directory pages, and the embedded directory's passwords.
extension OADirectoryRepository {
    public func oaDirectorySummary(tenantId: Int64) async throws -> OADirectorySummary {
        try await read { db in
            let subcompanies = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM (SELECT oaID FROM oaSubcompany WHERE tenantId = ?
                UNION SELECT subcompanyOaID FROM oaDepartment WHERE tenantId = ? AND subcompanyOaID IS NOT NULL)
                """, arguments: [tenantId, tenantId]) ?? 0
            let departments = try OADepartmentRecord.filter(OADepartmentRecord.Columns.tenantId == tenantId).fetchCount(db)
            let users = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(status = 'active'), 0) AS active, COALESCE(SUM(status = 'left'), 0) AS left,
                       COALESCE(SUM(passwordHash IS NOT NULL), 0) AS withPassword
                FROM oaUser WHERE tenantId = ?
                """, arguments: [tenantId])
            var latest: [Date] = []
            for table in ["oaSubcompany", "oaDepartment", "oaUser"] {
                if let date = try Date.fetchOne(db, sql: "SELECT MAX(updatedAt) FROM \(table) WHERE tenantId = ?", arguments: [tenantId]) {
                    latest.append(date)
                }
            }
            if let date = try Date.fetchOne(db, sql: "SELECT MAX(at) FROM auditLog WHERE tenantId = ? AND action LIKE 'oaDirectory.%'",
                                            arguments: [tenantId])
            {
                latest.append(date)
            }
            return OADirectorySummary(subcompanies: subcompanies, departments: departments, activeUsers: users?["active"] ?? 0,
                                      leftUsers: users?["left"] ?? 0, usersWithPassword: users?["withPassword"] ?? 0,
                                      lastChange: latest.max())
        }
    }

    /// How many active users each department has (as primary or part-time department).
    public func oaDepartmentMemberCounts(tenantId: Int64) async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT j.value AS department, COUNT(*) AS n FROM oaUser u, json_each(u.departmentOaIDs) j
                WHERE u.tenantId = ? AND u.status = 'active' GROUP BY j.value
                """, arguments: [tenantId]) {
                counts[row["department"]] = row["n"]
            }
            return counts
        }
    }

    /// Sets the password hash an embedded-directory OA login is checked against (the hash only: the caller hashes).
    /// Audited as `oaUser.password` without the hash.
    public func setOAUserPassword(tenantId: Int64, oaID: String, passwordHash: String, by actor: AuditActor) async throws {
        try await write { db in
            guard var user = try OAUserRecord.fetchOne(db, key: ["tenantId": tenantId, "oaID": oaID]) else {
                throw StoreError.notFound("OA user \(oaID)")
            }
            let hadPassword = user.passwordHash != nil
            user.passwordHash = passwordHash
            try user.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "oaUser.password", target: "OA user \(oaID) \(user.name) (\(user.loginID))",
                           before: ["password": hadPassword ? "set" : "none"], after: ["password": hadPassword ? "changed" : "set"])
        }
    }
}

extension OADirectoryRepository {
    /// Inserts or replaces OA users in one transaction (the bulk path of imports and the OA push API).
    public func upsertOAUsers(_ users: [OAUserRecord]) async throws {
        try await write { db in
            for user in users { try user.upsert(db) }
        }
    }

    public func oaUserCount(tenantId: Int64) async throws -> Int {
        try await read { db in try OAUserRecord.filter(OAUserRecord.Columns.tenantId == tenantId).fetchCount(db) }
    }
}

extension OADirectoryRepository {
    /// The OA user who logs in as `loginID` in the tenant.
    public func oaUser(tenantId: Int64, loginID: String) async throws -> OAUserRecord? {
        try await read { db in
            try OAUserRecord.filter(OAUserRecord.Columns.tenantId == tenantId && OAUserRecord.Columns.loginID == loginID).fetchOne(db)
        }
    }

    /// The OA user with the OA id `oaID` in the tenant.
    public func oaUser(tenantId: Int64, oaID: String) async throws -> OAUserRecord? {
        try await read { db in try OAUserRecord.fetchOne(db, key: ["tenantId": tenantId, "oaID": oaID]) }
    }
}

extension OADirectoryRepository: OADirectoryStore {}
