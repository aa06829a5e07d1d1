import Crypto
import Foundation
import Logging
import YunqiaoCore

/// The bridge as an OpenID Connect provider for the OA (issue #16): an OA that speaks OIDC sends its users to the
/// authorize endpoint; they sign in with Feishu (the first-visit flow of the client's app, binding included), and the
/// OA gets a code, then an ID token whose `sub` is the user's OA id.
///
/// One issuer per tenant, `{external domain}/oidc/{tenant}`. Codes live 5 minutes and are spent once; a nonce is taken
/// once per client; redirect URIs match exactly; PKCE (S256) is checked when the OA sent a challenge; a user who is
/// not active in the OA gets no code. Every sign-in and refusal is audited.
public struct OIDCProvider: Sendable {
    public let database: any BridgeStore
    let logger: Logger

    public init(database: any BridgeStore, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let codeLifetime: TimeInterval = 300
    /// How long a started authorization waits for the Feishu sign-in (and the bind form).
    public static let requestLifetime: TimeInterval = 600
    public static let tokenLifetime: TimeInterval = 3600
    static let requestPrefix = "oidc.request."
    static let codePrefix = "oidc.code."
    static let tokenPrefix = "oidc.token."
    static let noncePrefix = "oidc.nonce."
    /// The first-visit flow's continuation of an authorization: `oidc:<request key>`.
    public static let continuationPrefix = "oidc:"

    /// A refusal shown on the bridge's own page: the client or its redirect URI cannot be trusted with a redirect.
    public struct PageRefusal: Error, Sendable {
        public var status: Int
        public var message: LocalizedText
    }

    /// What the authorize endpoint does next.
    public enum AuthorizeOutcome: Sendable, Equatable {
        /// Sign the user in with Feishu through `appId`, then continue with `continuation`.
        case signIn(appId: Int64, continuation: String)
        /// Back to the OA (an error for the OA, with its `state`).
        case redirect(String)
    }

    /// A started authorization, kept under `oidc.request.<key>` until the sign-in ends.
    struct PendingAuthorization: Codable {
        var tenantId: Int64
        var clientID: String
        var redirectURI: String
        var scopes: [String]
        var state: String?
        var nonce: String?
        var codeChallenge: String?
    }

    /// A code, kept under `oidc.code.<code>` for ``codeLifetime``.
    struct IssuedCode: Codable {
        var request: PendingAuthorization
        var oaUserID: String
        var unionID: String
        var authTime: Date
    }

    // MARK: issuer

    /// The tenant's issuer, `{external domain}/oidc/{tenant}`; refused (503) while the external domain is unset.
    public func issuer(tenantId: Int64) async throws -> String {
        _ = try await database.admins.tenantSummary(id: tenantId)
        guard let domain = try await database.integration.externalDomain(tenantId: tenantId) else {
            throw PageRefusal(status: 503, message: "the external domain is not set: set it in 基础参数设置 first")
        }
        return "\(domain)/oidc/\(tenantId)"
    }

    // MARK: authorize

    /// `GET /oidc/{tenant}/authorize`: checks the request. The client and its redirect URI first — wrong, and the user
    /// sees the bridge's page ( ``PageRefusal`` ), never a redirect; then the rest, refused back to the OA with
    /// `error` and `state`. A good request is kept, and the user signs in with the client's Feishu app.
    public func authorize(tenantId: Int64, query: [String: String]) async throws -> AuthorizeOutcome {
        guard let clientID = query["client_id"]?.nilIfEmpty, let client = try await database.oidc.oidcClient(clientID: clientID),
              client.tenantId == tenantId
        else { throw PageRefusal(status: 400, message: "unknown client_id") }
        guard let redirectURI = query["redirect_uri"], client.redirectURIs.contains(redirectURI) else {
            throw PageRefusal(status: 400, message: "redirect_uri is not one of the client's registered redirect URIs")
        }
        let state = query["state"]
        func refuse(_ error: String, _ description: String) -> AuthorizeOutcome {
            .redirect(Self.appending(redirectURI, ["error": error, "error_description": description, "state": state]))
        }
        guard query["response_type"] == "code" else { return refuse("unsupported_response_type", "response_type must be code") }
        let scopes = (query["scope"] ?? "").split(separator: " ").map(String.init)
        guard scopes.contains("openid") else { return refuse("invalid_scope", "scope must include openid") }
        if query["request"] != nil || query["request_uri"] != nil { return refuse("request_not_supported", "request objects are not supported") }
        if query["prompt"]?.split(separator: " ").contains("none") == true {
            return refuse("login_required", "the bridge signs users in with Feishu on every authorization")
        }
        let challenge = query["code_challenge"]?.nilIfEmpty
        if challenge != nil, query["code_challenge_method"] != "S256" {
            return refuse("invalid_request", "code_challenge_method must be S256")
        }
        if let challenge, !(43...128).contains(challenge.count) { return refuse("invalid_request", "code_challenge must be 43 to 128 characters") }
        if let text = state, text.count > 1024 { return refuse("invalid_request", "state is at most 1024 characters") }
        let nonce = query["nonce"]?.nilIfEmpty
        if let nonce {
            guard nonce.count <= 255 else { return refuse("invalid_request", "nonce is at most 255 characters") }
            // A nonce is taken once per client (a replayed authorization request is refused).
            let key = Self.noncePrefix + Self.digest("\(clientID) \(nonce)")
            guard try await database.admins.persist(key: key, value: Data(), expiresAt: Date(timeIntervalSinceNow: Self.requestLifetime + Self.tokenLifetime),
                                                    onlyIfAbsent: true, now: Date())
            else { return refuse("invalid_request", "nonce was used before") }
        }
        let pending = PendingAuthorization(tenantId: tenantId, clientID: clientID, redirectURI: redirectURI, scopes: scopes, state: state,
                                           nonce: nonce, codeChallenge: challenge)
        let key = Passwords.token(bytes: 24)
        try await database.admins.persist(key: Self.requestPrefix + key, value: JSONEncoder().encode(pending),
                                          expiresAt: Date(timeIntervalSinceNow: Self.requestLifetime), onlyIfAbsent: false, now: Date())
        return .signIn(appId: client.appId, continuation: Self.continuationPrefix + key)
    }

    /// Where a continued authorization goes back to (for the bind form's `form-action`), while it waits.
    public func redirectTarget(continuation: String) async throws -> String? {
        guard let key = Self.requestKey(continuation),
              let stored = try await database.admins.persistedValue(key: Self.requestPrefix + key, now: Date()),
              let pending = try? JSONDecoder().decode(PendingAuthorization.self, from: stored.value)
        else { return nil }
        return pending.redirectURI
    }

    /// The sign-in ended with `binding`: a code for the OA (the request is spent), or `access_denied` when the OA user is
    /// not active. Nil when the request expired or is not one of ours: the caller shows its own page.
    public func complete(continuation: String, binding: BindingRecord) async throws -> String? {
        guard let key = Self.requestKey(continuation),
              let stored = try await database.admins.takePersisted(key: Self.requestPrefix + key, now: Date()),
              let pending = try? JSONDecoder().decode(PendingAuthorization.self, from: stored)
        else { return nil }
        let actor = AuditActor("feishu:\(binding.unionID)")
        let user = try await database.oaDirectory.oaUser(tenantId: pending.tenantId, oaID: binding.oaUserID)
        guard let user, user.status == "active", let client = try await database.oidc.oidcClient(clientID: pending.clientID),
              client.tenantId == pending.tenantId
        else {
            try await database.admins.audit(tenantId: pending.tenantId, actor, "oidc.refused", target: "OIDC client \(pending.clientID)",
                                            details: ["oaUser": binding.oaUserID, "reason": "the OA user is not active"])
            return Self.appending(pending.redirectURI, ["error": "access_denied", "error_description": "the OA user is not active",
                                                        "state": pending.state])
        }
        let code = Passwords.token(bytes: 32)
        let issued = IssuedCode(request: pending, oaUserID: user.oaID, unionID: binding.unionID, authTime: Date())
        try await database.admins.persist(key: Self.codePrefix + Self.digest(code), value: JSONEncoder().encode(issued),
                                          expiresAt: Date(timeIntervalSinceNow: Self.codeLifetime), onlyIfAbsent: false, now: Date())
        try await database.admins.audit(tenantId: pending.tenantId, actor, "oidc.login", target: "OIDC client \(client.id ?? 0) \(client.name)",
                                        details: ["oaUser": user.oaID, "loginID": user.loginID])
        logger.info("oidc: signed in", metadata: ["client": "\(client.clientID)", "oa.user": "\(user.oaID)"])
        return Self.appending(pending.redirectURI, ["code": code, "state": pending.state])
    }

    // MARK: helpers

    static func requestKey(_ continuation: String) -> String? {
        guard continuation.hasPrefix(continuationPrefix) else { return nil }
        return String(continuation.dropFirst(continuationPrefix.count)).nilIfEmpty
    }

    /// SHA-256 in hex: codes and tokens are kept by their digest, never as they are.
    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `uri` with `parameters` added to its query (nil values left out), the rest of it kept byte for byte (a CAS
    /// service compares the URL it gave).
    static func appending(_ uri: String, _ parameters: [String: String?]) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let added = parameters.sorted { $0.key < $1.key }.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }
        }
        guard !added.isEmpty else { return uri }
        let separator = !uri.contains("?") ? "?" : (uri.hasSuffix("?") || uri.hasSuffix("&") ? "" : "&")
        return uri + separator + added.joined(separator: "&")
    }
}
