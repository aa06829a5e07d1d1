import Foundation
import GRDB
import YunqiaoCore

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
