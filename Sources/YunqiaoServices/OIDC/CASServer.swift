import Foundation
import Logging
import YunqiaoCore

/// The bridge as a CAS server for the OA (CAS protocol 2.0 and 3.0; issue #16): many OAs, Weaver's among them, accept
/// CAS. `/cas/{tenant}/login?service=` signs the user in with Feishu (the first-visit flow of the client's app) and
/// sends them to the service with a service ticket; the OA validates it at `serviceValidate` (2.0) or
/// `p3/serviceValidate` (3.0, with attributes).
///
/// Services are the OIDC clients' registrations: a service URL is accepted when it is one of a client's redirect URIs
/// or continues one at a path (`/`) or query (`?`, `&`) boundary. Tickets (`ST-…`) are spent at the first validation
/// and live 5 minutes; a user not active in the OA gets none. Every sign-in is audited.
public struct CASServer: Sendable {
    public let database: any BridgeStore
    let logger: Logger

    public init(database: any BridgeStore, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let ticketLifetime: TimeInterval = 300
    static let requestPrefix = "cas.request."
    static let ticketPrefix = "cas.ticket."
    public static let continuationPrefix = "cas:"

    /// A started CAS login, kept until the sign-in ends.
    struct PendingLogin: Codable {
        var tenantId: Int64
        var clientID: String
        var service: String
    }

    /// A service ticket, kept under its digest.
    struct IssuedTicket: Codable {
        var login: PendingLogin
        var oaUserID: String
    }

    /// The validation's answer: the user and the attributes CAS 3.0 releases.
    public struct Validated: Sendable, Equatable {
        public var user: String
        public var attributes: [(name: String, value: String)]

        public static func == (lhs: Validated, rhs: Validated) -> Bool {
            lhs.user == rhs.user && lhs.attributes.map(\.name) == rhs.attributes.map(\.name) && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
        }
    }

    /// A validation refused, with the CAS error code (`INVALID_REQUEST`, `INVALID_TICKET`, `INVALID_SERVICE`).
    public struct Failure: Error, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    /// The registered client a service URL belongs to, in the tenant.
    func client(tenantId: Int64, service: String) async throws -> OIDCClientRecord? {
        guard OIDCClientInput.isRedirectURI(service) else { return nil }
        return try await database.oidc.oidcClients(tenantId: tenantId).first { client in
            client.redirectURIs.contains { Self.continues(service, $0) }
        }
    }

    static func continues(_ service: String, _ registered: String) -> Bool {
        guard service.hasPrefix(registered) else { return false }
        let rest = service.dropFirst(registered.count)
        guard let next = rest.first else { return true }
        return ["/", "?", "&"].contains(next) || registered.hasSuffix("/") || registered.hasSuffix("?")
    }

    /// `GET /cas/{tenant}/login?service=`: the app to sign in with and the continuation; refused (a page, never a
    /// redirect) when the service is not registered.
    public func login(tenantId: Int64, service: String?) async throws -> (appId: Int64, continuation: String) {
        guard let service = service?.nilIfEmpty, let client = try await client(tenantId: tenantId, service: service) else {
            throw OIDCProvider.PageRefusal(status: 400, message: "the service is not registered with the bridge")
        }
        let key = Passwords.token(bytes: 24)
        try await database.admins.persist(key: Self.requestPrefix + key,
                                          value: JSONEncoder().encode(PendingLogin(tenantId: tenantId, clientID: client.clientID, service: service)),
                                          expiresAt: Date(timeIntervalSinceNow: OIDCProvider.requestLifetime), onlyIfAbsent: false, now: Date())
        return (client.appId, Self.continuationPrefix + key)
    }

    /// Where a waiting login goes back to (for the bind form's `form-action`).
    public func serviceTarget(continuation: String) async throws -> String? {
        guard let key = Self.key(continuation), let stored = try await database.admins.persistedValue(key: Self.requestPrefix + key, now: Date()),
              let login = try? JSONDecoder().decode(PendingLogin.self, from: stored.value)
        else { return nil }
        return login.service
    }

    /// The sign-in ended with `binding`: the service with a ticket; nil when the login expired (the caller shows a
    /// page). A user not active in the OA is sent back without a ticket.
    public func complete(continuation: String, binding: BindingRecord) async throws -> String? {
        guard let key = Self.key(continuation), let stored = try await database.admins.takePersisted(key: Self.requestPrefix + key, now: Date()),
              let login = try? JSONDecoder().decode(PendingLogin.self, from: stored)
        else { return nil }
        let actor = AuditActor("feishu:\(binding.unionID)")
        guard let user = try await database.oaDirectory.oaUser(tenantId: login.tenantId, oaID: binding.oaUserID), user.status == "active" else {
            try await database.admins.audit(tenantId: login.tenantId, actor, "cas.refused", target: "CAS service \(login.service)",
                                            details: ["oaUser": binding.oaUserID, "reason": "the OA user is not active"])
            return login.service
        }
        let ticket = "ST-" + Passwords.token(bytes: 32)
        try await database.admins.persist(key: Self.ticketPrefix + OIDCProvider.digest(ticket),
                                          value: JSONEncoder().encode(IssuedTicket(login: login, oaUserID: user.oaID)),
                                          expiresAt: Date(timeIntervalSinceNow: Self.ticketLifetime), onlyIfAbsent: false, now: Date())
        try await database.admins.audit(tenantId: login.tenantId, actor, "cas.login", target: "CAS service \(login.service)",
                                        details: ["oaUser": user.oaID, "loginID": user.loginID])
        return OIDCProvider.appending(login.service, ["ticket": ticket])
    }

    /// `serviceValidate` / `p3/serviceValidate`: spends the ticket; the user is the OA login id.
    public func validate(tenantId: Int64, service: String?, ticket: String?) async throws -> Validated {
        guard let service = service?.nilIfEmpty, let ticket = ticket?.nilIfEmpty else {
            throw Failure(code: "INVALID_REQUEST", message: "service and ticket are required")
        }
        guard ticket.hasPrefix("ST-"), let stored = try await database.admins.takePersisted(key: Self.ticketPrefix + OIDCProvider.digest(ticket), now: Date()),
              let issued = try? JSONDecoder().decode(IssuedTicket.self, from: stored), issued.login.tenantId == tenantId
        else { throw Failure(code: "INVALID_TICKET", message: "ticket \(ticket.prefix(12))… is not recognized") }
        guard issued.login.service == service else {
            throw Failure(code: "INVALID_SERVICE", message: "the ticket was issued for another service")
        }
        guard let user = try await database.oaDirectory.oaUser(tenantId: tenantId, oaID: issued.oaUserID), user.status == "active" else {
            throw Failure(code: "INVALID_TICKET", message: "the OA user is not active")
        }
        var attributes: [(name: String, value: String)] = [("oaUserID", user.oaID), ("name", user.name)]
        if let email = user.email { attributes.append(("email", email)) }
        if let mobile = user.mobile { attributes.append(("mobile", mobile)) }
        return Validated(user: user.loginID, attributes: attributes)
    }

    /// `GET /cas/{tenant}/logout?service=`: back to the service when it is registered, else nil (the bridge's page).
    public func logout(tenantId: Int64, service: String?) async throws -> String? {
        guard let service = service?.nilIfEmpty else { return nil }
        guard try await client(tenantId: tenantId, service: service) != nil else {
            throw OIDCProvider.PageRefusal(status: 400, message: "the service is not registered with the bridge")
        }
        return service
    }

    static func key(_ continuation: String) -> String? {
        guard continuation.hasPrefix(continuationPrefix) else { return nil }
        return String(continuation.dropFirst(continuationPrefix.count)).nilIfEmpty
    }
}
