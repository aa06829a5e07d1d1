import Foundation
import GRDB
import YunqiaoCore

/// A key an OA system uses to call the bridge's OA-facing API (`/api/v1`): one tenant, only a SHA-256 kept.
public struct OAKeyRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaKey"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var keyHash: String
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AdminRepository {
    public func createOAKey(tenantId: Int64, name: String, key: String, by actor: AuditActor) async throws -> OAKeyRecord {
        try await createBearer(OAKeyRecord.self, tenantId: tenantId, name: name, plaintext: key, by: actor)
    }

    public func oaKeys(tenantId: Int64) async throws -> [OAKeyRecord] {
        try await bearers(OAKeyRecord.self, tenantId: tenantId)
    }

    /// The live key with this plaintext, or nil; marks it used at most once a minute.
    public func useOAKey(_ key: String, at time: Date = Date()) async throws -> OAKeyRecord? {
        try await useBearer(OAKeyRecord.self, key, at: time)
    }

    public func revokeOAKey(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await revokeBearer(OAKeyRecord.self, tenantId: tenantId, id: id, by: actor)
    }
}

extension OAKeyRecord: BearerRecord {
    static let hashColumn = "keyHash"
    static let kind = "oaKey"

    init(tenantId: Int64, name: String, hash: String, hint: String, createdBy: String, createdAt: Date) {
        self.init(id: nil, tenantId: tenantId, name: name, keyHash: hash, hint: hint, createdBy: createdBy, createdAt: createdAt,
                  lastUsedAt: nil, revokedAt: nil)
    }
}
