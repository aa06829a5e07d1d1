import Foundation
import GRDB
import YunqiaoCore

/// The OpenID Connect provider in SQLite (migration v15): OA clients with sealed secrets, and signing keys per tenant
/// with sealed private keys.
public struct OIDCRepository: StoreRepository, OIDCStore {
    let writer: any DatabaseWriter
    let secrets: SecretBox

    public func oidcClients(tenantId: Int64) async throws -> [OIDCClientRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM oidcClient WHERE tenantId = ? ORDER BY id", arguments: [tenantId]).map(Self.client)
        }
    }

    public func oidcClient(clientID: String) async throws -> OIDCClientRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM oidcClient WHERE clientID = ?", arguments: [clientID]).map(Self.client) }
    }

    public func oidcClient(tenantId: Int64, id: Int64) async throws -> OIDCClientRecord {
        try await read { db in try Self.client(db, tenantId: tenantId, id: id) }
    }

    static func client(_ db: Database, tenantId: Int64, id: Int64) throws -> OIDCClientRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM oidcClient WHERE id = ? AND tenantId = ?", arguments: [id, tenantId]) else {
            throw StoreError.notFound("OIDC client \(id)")
        }
        return client(row)
    }

    public func createOIDCClient(tenantId: Int64, _ input: OIDCClientInput, clientID: String, secret: String, by actor: AuditActor,
                                 at time: Date = Date()) async throws -> OIDCClientRecord
    {
        let name = try Validate.name(input.name)
        try input.validateURIs()
        let sealed = try secrets.seal(secret)
        return try await write { db in
            _ = try Self.app(db, tenantId: tenantId, id: input.appId)
            var client = OIDCClientRecord(tenantId: tenantId, clientID: clientID, name: name, redirectURIs: input.redirectURIs,
                                          postLogoutRedirectURIs: input.postLogoutRedirectURIs, appId: input.appId, sealedSecret: sealed,
                                          createdBy: actor.name, createdAt: time)
            try db.execute(sql: """
                INSERT INTO oidcClient (tenantId, clientID, name, redirectURIs, postLogoutRedirectURIs, appId, sealedSecret, createdBy, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [tenantId, clientID, name, Self.json(input.redirectURIs), Self.json(input.postLogoutRedirectURIs), input.appId,
                                 sealed, actor.name, time])
            client.id = db.lastInsertedRowID
            try Self.audit(db, tenantId: tenantId, actor, "oidcClient.create", target: "OIDC client \(client.id ?? 0) \(name)", before: nil,
                           after: Self.auditView(client))
            return client
        }
    }

    public func updateOIDCClient(tenantId: Int64, id: Int64, _ input: OIDCClientInput, by actor: AuditActor) async throws -> OIDCClientRecord {
        let name = try Validate.name(input.name)
        try input.validateURIs()
        return try await write { db in
            let before = try Self.client(db, tenantId: tenantId, id: id)
            _ = try Self.app(db, tenantId: tenantId, id: input.appId)
            var after = before
            after.name = name
            after.redirectURIs = input.redirectURIs
            after.postLogoutRedirectURIs = input.postLogoutRedirectURIs
            after.appId = input.appId
            guard after != before else { return before }
            try db.execute(sql: "UPDATE oidcClient SET name = ?, redirectURIs = ?, postLogoutRedirectURIs = ?, appId = ? WHERE id = ?",
                           arguments: [name, Self.json(input.redirectURIs), Self.json(input.postLogoutRedirectURIs), input.appId, id])
            try Self.audit(db, tenantId: tenantId, actor, "oidcClient.update", target: "OIDC client \(id) \(name)", before: Self.auditView(before),
                           after: Self.auditView(after))
            return after
        }
    }

    public func setOIDCClientSecret(tenantId: Int64, id: Int64, secret: String, by actor: AuditActor) async throws {
        let sealed = try secrets.seal(secret)
        try await write { db in
            let client = try Self.client(db, tenantId: tenantId, id: id)
            try db.execute(sql: "UPDATE oidcClient SET sealedSecret = ? WHERE id = ?", arguments: [sealed, id])
            try Self.audit(db, tenantId: tenantId, actor, "oidcClient.rotateSecret", target: "OIDC client \(id) \(client.name)", before: nil, after: nil)
        }
    }

    public func deleteOIDCClient(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            let client = try Self.client(db, tenantId: tenantId, id: id)
            try db.execute(sql: "DELETE FROM oidcClient WHERE id = ?", arguments: [id])
            try Self.audit(db, tenantId: tenantId, actor, "oidcClient.delete", target: "OIDC client \(id) \(client.name)",
                           before: Self.auditView(client), after: nil)
        }
    }

    public func oidcClientSecret(_ client: OIDCClientRecord) throws -> String { try secrets.open(client.sealedSecret) }

    public func oidcSigningKeys(tenantId: Int64) async throws -> [OIDCSigningKey] {
        let sealed = try await read { db in
            try Row.fetchAll(db, sql: "SELECT kid, sealedPrivateKey, createdAt FROM oidcKey WHERE tenantId = ? ORDER BY createdAt DESC",
                             arguments: [tenantId]).map { OIDCSigningKey(kid: $0["kid"], privateKeyPEM: $0["sealedPrivateKey"], createdAt: $0["createdAt"]) }
        }
        return try sealed.map { OIDCSigningKey(kid: $0.kid, privateKeyPEM: try secrets.open($0.privateKeyPEM), createdAt: $0.createdAt) }
    }

    public func addOIDCSigningKey(tenantId: Int64, _ key: OIDCSigningKey, retireBefore: Date) async throws {
        let sealed = try secrets.seal(key.privateKeyPEM)
        try await write { db in
            try db.execute(sql: "INSERT INTO oidcKey (tenantId, kid, sealedPrivateKey, createdAt) VALUES (?, ?, ?, ?)",
                           arguments: [tenantId, key.kid, sealed, key.createdAt])
            try db.execute(sql: "DELETE FROM oidcKey WHERE tenantId = ? AND createdAt < ?", arguments: [tenantId, retireBefore])
        }
    }

    private static func client(_ row: Row) -> OIDCClientRecord {
        OIDCClientRecord(id: row["id"], tenantId: row["tenantId"], clientID: row["clientID"], name: row["name"],
                         redirectURIs: list(row["redirectURIs"]), postLogoutRedirectURIs: list(row["postLogoutRedirectURIs"]),
                         appId: row["appId"], sealedSecret: row["sealedSecret"], createdBy: row["createdBy"], createdAt: row["createdAt"])
    }

    private static func json(_ list: [String]) -> String { String(decoding: (try? JSONEncoder().encode(list)) ?? Data("[]".utf8), as: UTF8.self) }

    private static func list(_ text: String) -> [String] { (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [] }

    static func auditView(_ client: OIDCClientRecord) -> [String: String] {
        ["name": client.name, "clientID": client.clientID, "appId": "\(client.appId)", "redirectURIs": client.redirectURIs.joined(separator: " "),
         "postLogoutRedirectURIs": client.postLogoutRedirectURIs.joined(separator: " ")]
    }
}
