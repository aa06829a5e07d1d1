import Crypto
import Foundation
import GRDB
import YunqiaoCore

/// Console administrators, admin API tokens, OA keys, the key/value entries behind sessions and the audit log.
public struct AdminRepository: StoreRepository {
    let writer: any DatabaseWriter
}

/// Console administrators, admin API tokens and the key/value entries behind login sessions.
extension AdminRepository {
    // MARK: admins

    public func adminCount() async throws -> Int {
        try await read { db in try AdminRecord.fetchCount(db) }
    }

    public func admin(username: String) async throws -> AdminRecord? {
        try await read { db in try AdminRecord.filter(AdminRecord.Columns.username == username).fetchOne(db) }
    }

    public func admin(id: Int64) async throws -> AdminRecord? {
        try await read { db in try AdminRecord.fetchOne(db, key: id) }
    }

    /// Creates the admin or replaces its password hash (`yunqiao admin set-password`, first start).
    @discardableResult
    public func setAdminPassword(tenantId: Int64, username: String, passwordHash: String, by actor: AuditActor) async throws -> AdminRecord {
        let username = try Validate.name(username, field: "username")
        return try await write { db in
            let now = Date()
            if var admin = try AdminRecord.filter(AdminRecord.Columns.username == username).fetchOne(db) {
                admin.passwordHash = passwordHash
                admin.updatedAt = now
                try admin.update(db)
                try Self.audit(db, tenantId: admin.tenantId, actor, "admin.password", target: "admin \(username)",
                               before: nil, after: ["password": "changed"])
                return admin
            }
            let role: AdminRole = try Self.isFirstOfDefaultTenant(db, tenantId: tenantId) ? .superAdmin : .admin
            var admin = AdminRecord(id: nil, tenantId: tenantId, username: username, passwordHash: passwordHash, createdAt: now, updatedAt: now,
                                    role: role)
            try admin.insert(db)
            try Self.audit(db, tenantId: tenantId, actor, "admin.create", target: "admin \(username)", before: nil,
                           after: ["username": username, "role": role.rawValue])
            return admin
        }
    }

    // MARK: API tokens

    /// The stored form of a token: its SHA-256 in hex. The token itself is shown once and never kept.
    public static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// - Parameters:
    ///   - scope: what the token may do (``APITokenScope``).
    ///   - expiresAt: when it stops working (nil: never); must be in the future.
    ///   - role: `superAdmin` for a token that manages the tenants too.
    public func createAPIToken(tenantId: Int64, name: String, token: String, scope: APITokenScope = .full, expiresAt: Date? = nil,
                               role: AdminRole = .admin, by actor: AuditActor) async throws -> APITokenRecord
    {
        if let expiresAt, expiresAt <= Date() { throw StoreError.invalid(field: "expiresInDays", message: "must be in the future") }
        var details = ["scope": scope.rawValue]
        if let expiresAt { details["expiresAt"] = expiresAt.formatted(.iso8601) }
        if role != .admin { details["role"] = role.rawValue }
        return try await createBearer(APITokenRecord.self, tenantId: tenantId, name: name, plaintext: token, details: details, by: actor) { record in
            record.scope = scope
            record.expiresAt = expiresAt
            record.role = role.rawValue
        }
    }

    public func apiTokens(tenantId: Int64) async throws -> [APITokenRecord] {
        try await bearers(APITokenRecord.self, tenantId: tenantId)
    }

    /// Stores a new credential (only its hash and last 4 characters), audited as `<kind>.create`.
    func createBearer<Record: BearerRecord>(_ type: Record.Type, tenantId: Int64, name: String, plaintext: String,
                                            details: [String: String] = [:], by actor: AuditActor,
                                            prepare: @escaping @Sendable (inout Record) -> Void = { _ in }) async throws -> Record
    {
        let name = try Validate.name(name)
        return try await write { db in
            var record = Record(tenantId: tenantId, name: name, hash: Self.tokenHash(plaintext), hint: String(plaintext.suffix(4)),
                                createdBy: actor.name, createdAt: Date())
            prepare(&record)
            try record.insert(db)
            try Self.audit(db, tenantId: tenantId, actor, "\(Record.kind).create", target: "\(Record.kind) \(record.id ?? 0) \(name)",
                           before: nil, after: details.merging(["name": name, Record.kind: "••••" + record.hint]) { $1 })
            return record
        }
    }

    /// A tenant's credentials of one kind, newest first.
    func bearers<Record: BearerRecord>(_ type: Record.Type, tenantId: Int64) async throws -> [Record] {
        try await read { db in try Record.filter(Column("tenantId") == tenantId).order(Column("id").desc).fetchAll(db) }
    }

    /// The live token with this plaintext — not revoked, not expired —, or nil. Marks it used (at most once a minute, to
    /// spare the writer).
    public func useAPIToken(_ token: String, at time: Date = Date()) async throws -> APITokenRecord? {
        try await useBearer(APITokenRecord.self, token, at: time) { !$0.isExpired(at: time) }
    }

    public func revokeAPIToken(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await revokeBearer(APITokenRecord.self, tenantId: tenantId, id: id, by: actor)
    }

    /// The live record with this plaintext, or nil; marks it used (at most once a minute, to spare the writer).
    func useBearer<Record: BearerRecord>(_ type: Record.Type, _ plaintext: String, at time: Date,
                                         isLive: (Record) -> Bool = { _ in true }) async throws -> Record?
    {
        let hash = Self.tokenHash(plaintext)
        guard var record = try await read({ db in
            try Record.filter(Record.hashColumn == hash && Column("revokedAt") == nil).fetchOne(db)
        }), isLive(record) else { return nil }
        if record.lastUsedAt.map({ time.timeIntervalSince($0) > 60 }) ?? true {
            record.lastUsedAt = time
            let used = record
            try await write { db in try used.update(db, columns: ["lastUsedAt"]) }
        }
        return record
    }

    /// Revokes a record of the tenant (idempotent), audited as `<kind>.revoke`.
    func revokeBearer<Record: BearerRecord>(_ type: Record.Type, tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            guard var record = try Record.fetchOne(db, key: id), record.tenantId == tenantId else {
                throw StoreError.notFound("\(Record.kind) \(id)")
            }
            guard record.revokedAt == nil else { return }
            record.revokedAt = Date()
            try record.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "\(Record.kind).revoke", target: "\(Record.kind) \(id) \(record.name)",
                           before: ["name": record.name, Record.kind: "••••" + record.hint], after: nil)
        }
    }
}

/// A bearer credential kept only as a hash: admin API tokens and OA keys.
protocol BearerRecord: FetchableRecord, MutablePersistableRecord, Sendable {
    init(tenantId: Int64, name: String, hash: String, hint: String, createdBy: String, createdAt: Date)
    /// The column of the hash.
    static var hashColumn: Column { get }
    /// `token` or `oaKey`, in audit actions and messages.
    static var kind: String { get }
    var id: Int64? { get }
    var tenantId: Int64 { get }
    var name: String { get }
    var hint: String { get }
    var lastUsedAt: Date? { get set }
    var revokedAt: Date? { get set }
}

extension APITokenRecord: BearerRecord {
    static var hashColumn: Column { Columns.tokenHash }
    static let kind = "token"

    init(tenantId: Int64, name: String, hash: String, hint: String, createdBy: String, createdAt: Date) {
        self.init(id: nil, tenantId: tenantId, name: name, tokenHash: hash, hint: hint, createdBy: createdBy, createdAt: createdAt,
                  lastUsedAt: nil, revokedAt: nil)
    }
}

extension AdminRepository: AdminStore {}
