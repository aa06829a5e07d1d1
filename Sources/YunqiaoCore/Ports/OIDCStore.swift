import Foundation

/// The OpenID Connect provider's storage (issue #16): registered OA clients and the signing keys. One-time values
/// (codes, nonces, access tokens) are key/value entries of the ``AdminStore`` with an expiry.
public protocol OIDCStore: Sendable {
    func oidcClients(tenantId: Int64) async throws -> [OIDCClientRecord]

    /// A client by its public id, whatever its tenant (the authorize and token endpoints are reached without one).
    func oidcClient(clientID: String) async throws -> OIDCClientRecord?

    func oidcClient(tenantId: Int64, id: Int64) async throws -> OIDCClientRecord

    /// Registers a client with `secret` (sealed); the name is 1–100 characters, the app one of the tenant's, the URIs
    /// as ``OIDCClientInput/validateURIs()`` says. Audited as `oidcClient.create`.
    func createOIDCClient(tenantId: Int64, _ input: OIDCClientInput, clientID: String, secret: String, by actor: AuditActor, at time: Date)
        async throws -> OIDCClientRecord

    /// Changes name, URIs and app (the same rules). Audited as `oidcClient.update`.
    func updateOIDCClient(tenantId: Int64, id: Int64, _ input: OIDCClientInput, by actor: AuditActor) async throws -> OIDCClientRecord

    /// Replaces the secret. Audited as `oidcClient.rotateSecret`.
    func setOIDCClientSecret(tenantId: Int64, id: Int64, secret: String, by actor: AuditActor) async throws

    /// Audited as `oidcClient.delete`.
    func deleteOIDCClient(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    /// The client's secret in clear, to check a caller's.
    func oidcClientSecret(_ client: OIDCClientRecord) throws -> String

    /// The tenant's signing keys, newest first.
    func oidcSigningKeys(tenantId: Int64) async throws -> [OIDCSigningKey]

    /// Stores a new signing key (sealed) and removes the ones created before `retireBefore`.
    func addOIDCSigningKey(tenantId: Int64, _ key: OIDCSigningKey, retireBefore: Date) async throws
}
