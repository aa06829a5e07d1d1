import Foundation
import YunqiaoCore

/// The OA clients of the OpenID Connect provider as an admin manages them (admin API, console), inside the admin's
/// tenant. A secret is shown once, when it is made (at the registration and at each rotation).
public struct OIDCClientAdmin: Sendable {
    public let provider: OIDCProvider
    var database: any BridgeStore { provider.database }

    public init(provider: OIDCProvider) { self.provider = provider }

    /// A client as the API shows it, with the tenant's issuer; `secret` only right after it was made.
    public struct View: Codable, Sendable, Equatable {
        public var id: Int64
        public var clientID: String
        public var name: String
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String]
        public var appId: Int64
        /// The issuer the OA configures (discovery at `{issuer}/.well-known/openid-configuration`); nil while the
        /// external domain is unset.
        public var issuer: String?
        public var createdBy: String
        public var createdAt: Date
        public var secret: String?
    }

    public func clients(_ admin: AdminIdentity) async throws -> [View] {
        let issuer = try? await provider.issuer(tenantId: admin.tenantId)
        return try await database.oidc.oidcClients(tenantId: admin.tenantId).map { view($0, issuer: issuer) }
    }

    public func client(_ admin: AdminIdentity, id: Int64) async throws -> View {
        view(try await database.oidc.oidcClient(tenantId: admin.tenantId, id: id), issuer: try? await provider.issuer(tenantId: admin.tenantId))
    }

    public func create(_ admin: AdminIdentity, _ input: OIDCClientInput) async throws -> View {
        let secret = Passwords.token(prefix: "yqs_", bytes: 32)
        let client = try await database.oidc.createOIDCClient(tenantId: admin.tenantId, input, clientID: Passwords.token(prefix: "yqc_", bytes: 12),
                                                              secret: secret, by: admin.actor, at: Date())
        var shown = view(client, issuer: try? await provider.issuer(tenantId: admin.tenantId))
        shown.secret = secret
        return shown
    }

    public func update(_ admin: AdminIdentity, id: Int64, _ input: OIDCClientInput) async throws -> View {
        view(try await database.oidc.updateOIDCClient(tenantId: admin.tenantId, id: id, input, by: admin.actor),
             issuer: try? await provider.issuer(tenantId: admin.tenantId))
    }

    /// A new secret (the old one stops working at once).
    public func rotateSecret(_ admin: AdminIdentity, id: Int64) async throws -> View {
        let secret = Passwords.token(prefix: "yqs_", bytes: 32)
        try await database.oidc.setOIDCClientSecret(tenantId: admin.tenantId, id: id, secret: secret, by: admin.actor)
        var shown = try await client(admin, id: id)
        shown.secret = secret
        return shown
    }

    public func delete(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.oidc.deleteOIDCClient(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    private func view(_ client: OIDCClientRecord, issuer: String?) -> View {
        View(id: client.id ?? 0, clientID: client.clientID, name: client.name, redirectURIs: client.redirectURIs,
             postLogoutRedirectURIs: client.postLogoutRedirectURIs, appId: client.appId, issuer: issuer, createdBy: client.createdBy,
             createdAt: client.createdAt, secret: nil)
    }
}
