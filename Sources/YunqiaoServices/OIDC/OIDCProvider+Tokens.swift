import Crypto
import Foundation
import JWTKit
import _CryptoExtras
import YunqiaoCore

/// The token side of the provider: the code exchange (client authentication, PKCE, the ID token signed RS256 with the
/// tenant's newest key), userinfo, the discovery document and the JWKS, and the signing keys' rotation.
extension OIDCProvider {
    /// A refusal of the token or userinfo endpoint, as OAuth 2 writes it (`{"error", "error_description"}`).
    public struct TokenRefusal: Error, Sendable, Equatable {
        public var status: Int
        public var error: String
        public var description: String
    }

    /// What the token endpoint answers.
    public struct TokenResponse: Codable, Sendable, Equatable {
        public var access_token: String
        public var token_type: String
        public var expires_in: Int
        public var id_token: String
        public var scope: String
    }

    /// The ID token's claims (OpenID Connect Core §2, §5.1).
    struct IDToken: JWTPayload, Equatable {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var auth_time: Int
        var nonce: String?
        var name: String?
        var preferred_username: String?
        var email: String?
        var phone_number: String?
        /// The user's Feishu union_id (the same person across the enterprise's apps).
        var feishu_union_id: String?

        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    /// What userinfo answers, and what an access token stands for.
    public struct UserInfo: Codable, Sendable, Equatable {
        public var sub: String
        public var name: String?
        public var preferred_username: String?
        public var email: String?
        public var phone_number: String?
        public var feishu_union_id: String?
    }

    /// How long a signing key signs before a new one takes over; it stays in the JWKS one token lifetime longer.
    public static let keyRotation: TimeInterval = 90 * 86_400

    /// `POST /oidc/{tenant}/token`: the authorization code grant. The client authenticates with `client_secret_basic`
    /// (`authorization`) or `client_secret_post`; the code is spent at once, whatever follows.
    public func exchange(tenantId: Int64, form: [String: String], authorization: String?, now: Date = Date()) async throws -> TokenResponse {
        guard form["grant_type"] == "authorization_code" else {
            throw TokenRefusal(status: 400, error: "unsupported_grant_type", description: "grant_type must be authorization_code")
        }
        let client = try await authenticate(tenantId: tenantId, form: form, authorization: authorization)
        guard let code = form["code"]?.nilIfEmpty, let stored = try await database.admins.takePersisted(key: Self.codePrefix + Self.digest(code), now: now),
              let issued = try? JSONDecoder().decode(IssuedCode.self, from: stored)
        else { throw TokenRefusal(status: 400, error: "invalid_grant", description: "the code is unknown, spent or expired") }
        guard issued.request.clientID == client.clientID, issued.request.tenantId == tenantId else {
            throw TokenRefusal(status: 400, error: "invalid_grant", description: "the code was issued to another client")
        }
        guard form["redirect_uri"] == issued.request.redirectURI else {
            throw TokenRefusal(status: 400, error: "invalid_grant", description: "redirect_uri differs from the authorization request's")
        }
        if let challenge = issued.request.codeChallenge {
            guard let verifier = form["code_verifier"], (43...128).contains(verifier.count),
                  Passwords.constantTimeEquals(Passwords.base64URL(Data(SHA256.hash(data: Data(verifier.utf8)))), challenge)
            else { throw TokenRefusal(status: 400, error: "invalid_grant", description: "code_verifier does not match the code_challenge") }
        }
        guard let user = try await database.oaDirectory.oaUser(tenantId: tenantId, oaID: issued.oaUserID), user.status == "active" else {
            throw TokenRefusal(status: 400, error: "invalid_grant", description: "the OA user is not active")
        }
        let scopes = Set(issued.request.scopes)
        let info = UserInfo(sub: user.oaID, name: scopes.contains("profile") ? user.name : nil,
                            preferred_username: scopes.contains("profile") ? user.loginID : nil,
                            email: scopes.contains("email") ? user.email : nil, phone_number: scopes.contains("phone") ? user.mobile : nil,
                            feishu_union_id: issued.unionID)
        // Whole seconds (NumericDate): a relying party compares `iat` with its own clock's seconds.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expires = issuedAt.addingTimeInterval(Self.tokenLifetime)
        let payload = IDToken(iss: .init(value: try await issuer(tenantId: tenantId)), sub: .init(value: user.oaID),
                              aud: .init(value: [client.clientID]), exp: .init(value: expires), iat: .init(value: issuedAt),
                              auth_time: Int(issued.authTime.timeIntervalSince1970), nonce: issued.request.nonce, name: info.name,
                              preferred_username: info.preferred_username, email: info.email, phone_number: info.phone_number,
                              feishu_union_id: info.feishu_union_id)
        let key = try await signingKey(tenantId: tenantId, now: now)
        let keys = await JWTKeyCollection().add(rsa: try Insecure.RSA.PrivateKey(pem: key.privateKeyPEM), digestAlgorithm: .sha256,
                                                kid: JWKIdentifier(string: key.kid))
        let idToken = try await keys.sign(payload, kid: JWKIdentifier(string: key.kid))
        let accessToken = Passwords.token(prefix: "yqa_", bytes: 32)
        try await database.admins.persist(key: Self.tokenPrefix + Self.digest(accessToken), value: JSONEncoder().encode(info),
                                          expiresAt: expires, onlyIfAbsent: false, now: now)
        return TokenResponse(access_token: accessToken, token_type: "Bearer", expires_in: Int(Self.tokenLifetime), id_token: idToken,
                             scope: issued.request.scopes.joined(separator: " "))
    }

    /// `GET|POST /oidc/{tenant}/userinfo` with the access token as a bearer token.
    public func userinfo(tenantId: Int64, authorization: String?, now: Date = Date()) async throws -> UserInfo {
        guard let header = authorization, header.lowercased().hasPrefix("bearer "),
              let stored = try await database.admins.persistedValue(key: Self.tokenPrefix + Self.digest(String(header.dropFirst(7))), now: now),
              let info = try? JSONDecoder().decode(UserInfo.self, from: stored.value)
        else { throw TokenRefusal(status: 401, error: "invalid_token", description: "the access token is unknown or expired") }
        guard let user = try await database.oaDirectory.oaUser(tenantId: tenantId, oaID: info.sub), user.status == "active" else {
            throw TokenRefusal(status: 401, error: "invalid_token", description: "the OA user is not active")
        }
        return info
    }

    /// The client, by `client_secret_basic` or `client_secret_post` (not both), its secret compared in constant time.
    private func authenticate(tenantId: Int64, form: [String: String], authorization: String?) async throws -> OIDCClientRecord {
        var credentials: (id: String, secret: String)?
        if let header = authorization, header.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw TokenRefusal(status: 401, error: "invalid_client", description: "malformed Basic credentials") }
            // RFC 6749 §2.3.1: both parts are form-encoded before Base64.
            credentials = (String(text[..<colon]).removingPercentEncoding ?? "", String(text[text.index(after: colon)...]).removingPercentEncoding ?? "")
            if form["client_secret"] != nil {
                throw TokenRefusal(status: 400, error: "invalid_request", description: "use one client authentication method")
            }
        } else if let id = form["client_id"], let secret = form["client_secret"] {
            credentials = (id, secret)
        }
        guard let credentials, let client = try await database.oidc.oidcClient(clientID: credentials.id), client.tenantId == tenantId,
              Passwords.constantTimeEquals(try database.oidc.oidcClientSecret(client), credentials.secret)
        else { throw TokenRefusal(status: 401, error: "invalid_client", description: "client authentication failed") }
        return client
    }

    // MARK: keys

    /// The key that signs now: the newest, or a new one when the newest is older than ``keyRotation`` (keys older than
    /// a rotation and a token lifetime leave the JWKS).
    func signingKey(tenantId: Int64, now: Date) async throws -> OIDCSigningKey {
        if let newest = try await database.oidc.oidcSigningKeys(tenantId: tenantId).first, now.timeIntervalSince(newest.createdAt) < Self.keyRotation {
            return newest
        }
        let key = OIDCSigningKey(kid: Passwords.token(bytes: 12), privateKeyPEM: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation,
                                 createdAt: now)
        try await database.oidc.addOIDCSigningKey(tenantId: tenantId, key,
                                                  retireBefore: now.addingTimeInterval(-(Self.keyRotation + Self.tokenLifetime)))
        return key
    }

    /// The JWKS: the public half of every key that may have signed a live token.
    public func jwks(tenantId: Int64, now: Date = Date()) async throws -> JWKSDocument {
        _ = try await signingKey(tenantId: tenantId, now: now)
        let keys = try await database.oidc.oidcSigningKeys(tenantId: tenantId).map { key -> JWKSDocument.Key in
            let primitives = try Insecure.RSA.PrivateKey(pem: key.privateKeyPEM).publicKey.getKeyPrimitives()
            return .init(kty: "RSA", use: "sig", alg: "RS256", kid: key.kid, n: Passwords.base64URL(primitives.modulus),
                         e: Passwords.base64URL(primitives.publicExponent))
        }
        return JWKSDocument(keys: keys)
    }

    /// The discovery document (OpenID Connect Discovery §3).
    public func discovery(tenantId: Int64) async throws -> DiscoveryDocument {
        let issuer = try await issuer(tenantId: tenantId)
        return DiscoveryDocument(issuer: issuer, authorization_endpoint: issuer + "/authorize", token_endpoint: issuer + "/token",
                                 userinfo_endpoint: issuer + "/userinfo", jwks_uri: issuer + "/jwks", end_session_endpoint: issuer + "/logout",
                                 response_types_supported: ["code"], subject_types_supported: ["public"],
                                 id_token_signing_alg_values_supported: ["RS256"], scopes_supported: ["openid", "profile", "email", "phone"],
                                 token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
                                 claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "preferred_username", "email",
                                                    "phone_number", "feishu_union_id"],
                                 code_challenge_methods_supported: ["S256"], grant_types_supported: ["authorization_code"])
    }

    public struct JWKSDocument: Codable, Sendable, Equatable {
        public struct Key: Codable, Sendable, Equatable {
            public var kty, use, alg, kid, n, e: String
        }

        public var keys: [Key]
    }

    public struct DiscoveryDocument: Codable, Sendable, Equatable {
        public var issuer, authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, end_session_endpoint: String
        public var response_types_supported, subject_types_supported, id_token_signing_alg_values_supported, scopes_supported: [String]
        public var token_endpoint_auth_methods_supported, claims_supported, code_challenge_methods_supported, grant_types_supported: [String]
    }
}

extension OIDCProvider {
    /// The audience of an `id_token_hint`, signature checked, expiry not (a hint may have expired, OIDC RP-Initiated
    /// Logout §2).
    struct LogoutHint: JWTPayload {
        var aud: AudienceClaim
        var iss: IssuerClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// `GET /oidc/{tenant}/logout` (RP-initiated logout): back to `post_logout_redirect_uri` (with `state`) when it is
    /// registered for the client the `id_token_hint` (signed by one of the tenant's keys) or `client_id` names; nil:
    /// the bridge's own "signed out" page. The bridge keeps no session of its own for these sign-ins.
    public func logout(tenantId: Int64, query: [String: String]) async throws -> String? {
        var clientID = query["client_id"]?.nilIfEmpty
        if let hint = query["id_token_hint"]?.nilIfEmpty {
            let keys = JWTKeyCollection()
            for key in try await database.oidc.oidcSigningKeys(tenantId: tenantId) {
                await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: key.privateKeyPEM).publicKey, digestAlgorithm: .sha256,
                               kid: JWKIdentifier(string: key.kid))
            }
            guard let verified = try? await keys.verify(hint, as: LogoutHint.self), verified.iss.value == (try await issuer(tenantId: tenantId)),
                  let audience = verified.aud.value.first, clientID == nil || clientID == audience
            else { throw PageRefusal(status: 400, message: "id_token_hint is not a token of this provider") }
            clientID = audience
        }
        guard let target = query["post_logout_redirect_uri"]?.nilIfEmpty else { return nil }
        guard let clientID, let client = try await database.oidc.oidcClient(clientID: clientID), client.tenantId == tenantId,
              client.postLogoutRedirectURIs.contains(target)
        else { throw PageRefusal(status: 400, message: "post_logout_redirect_uri is not registered for the client") }
        return Self.appending(target, ["state": query["state"]])
    }
}
