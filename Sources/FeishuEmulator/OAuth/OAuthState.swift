import Crypto
import Foundation

/// The OAuth area (`feishu-api.md` §2.4–2.5): authorization codes, user access tokens and refresh tokens, and the
/// rules for issuing and redeeming them. Ids come from the org's generator, times from the caller's clock.
struct OAuthState: Sendable {
    /// An authorization code: for which app, user, redirect URI, scopes and PKCE challenge.
    struct Code: Sendable {
        var appID: String
        var userKey: Int
        var redirectURI: String
        var scopes: [String]
        var codeChallenge: String?
        var challengeMethod: String
        var expiresAt: Double
        var used = false
    }

    /// A user access token (v2 JWT-shaped or legacy `u-…`).
    struct UserToken: Sendable {
        var appID: String
        var userKey: Int
        var scopes: [String]
        var expiresAt: Double
    }

    /// A single-use refresh token.
    struct RefreshToken: Sendable {
        var appID: String
        var userKey: Int
        var scopes: [String]
        var expiresAt: Double
        var used = false
    }

    var codes: [String: Code] = [:]
    var userTokens: [String: UserToken] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var mintsSincePurge = 0

    /// Lifetime of user access tokens (the configured token lifetime), in seconds.
    let tokenLifetime: Double

    init(tokenLifetime: Double) {
        self.tokenLifetime = tokenLifetime
    }

    /// Authorization codes live 5 minutes and are single use (§2.4).
    static let codeLifetime = 300.0
    /// `refresh_token_expires_in` of the v2 endpoint (604800 in the doc's example) and the legacy v1 `refresh_expires_in`
    /// (about 30 days).
    static let refreshLifetime = 604_800.0
    static let legacyRefreshLifetime = 2_592_000.0
    /// At most 50 scopes per authorize request (§2.4).
    static let maxScopes = 50

    /// Ends every user access token still valid at `now` (refresh tokens and codes keep their lifetimes).
    mutating func expireUserTokens(now: Double) {
        for (key, record) in userTokens where record.expiresAt > now { userTokens[key]?.expiresAt = now }
    }

    static func splitScopes(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "+" || $0 == "\t" }).map(String.init)
    }

    /// A new single-use authorization code for a user who logged in.
    mutating func mintCode(appID: String, userKey: Int, redirectURI: String, scopes: [String], challenge: String?, method: String,
                           now: Double, org: inout Org) -> String
    {
        purgeIfDue(now: now)
        var code = org.newHex(32)
        while codes[code] != nil { code = org.newHex(32) }
        codes[code] = Code(appID: appID, userKey: userKey, redirectURI: redirectURI, scopes: scopes,
                           codeChallenge: challenge, challengeMethod: method, expiresAt: now + Self.codeLifetime)
        return code
    }

    /// Drops codes and tokens that ended more than a day ago (until then a reused or expired one is still
    /// answered with its specific error).
    private mutating func purgeIfDue(now: Double) {
        mintsSincePurge += 1
        guard mintsSincePurge >= 1024 else { return }
        mintsSincePurge = 0
        let cutoff = now - 86_400
        codes = codes.filter { $0.value.expiresAt > cutoff }
        userTokens = userTokens.filter { $0.value.expiresAt > cutoff }
        refreshTokens = refreshTokens.filter { $0.value.expiresAt > cutoff }
    }

    // MARK: issuing user tokens

    /// What a successful exchange answers: the access token and, when one is due, a refresh token.
    struct IssuedUserToken {
        var accessToken: String
        var expiresIn: Int
        var refreshToken: String?
        var refreshExpiresIn: Int
        var scope: String
    }

    /// v2 tokens are JWT-shaped (`eyJ…`, §1.4), legacy v1 tokens `u-…` / `ur-…`. v2 gives a refresh token only
    /// with `offline_access`; v1 always does.
    private mutating func issueUserToken(appID: String, userKey: Int, scopes: [String], v2: Bool, now: Double, org: inout Org)
        -> IssuedUserToken
    {
        purgeIfDue(now: now)
        let lifetime = tokenLifetime
        let issuedAt = now
        let access = v2
            ? Self.jwt(type: "access", appID: appID, issuedAt: issuedAt, expiresAt: issuedAt + lifetime, org: &org)
            : "u-" + org.newHex(40)
        userTokens[access] = UserToken(appID: appID, userKey: userKey, scopes: scopes, expiresAt: issuedAt + lifetime)
        var issued = IssuedUserToken(accessToken: access, expiresIn: Int(lifetime), refreshToken: nil,
                                     refreshExpiresIn: 0, scope: scopes.joined(separator: " "))
        if !v2 || scopes.contains("offline_access") {
            let refreshLifetime = v2 ? Self.refreshLifetime : Self.legacyRefreshLifetime
            let refresh = v2
                ? Self.jwt(type: "refresh", appID: appID, issuedAt: issuedAt, expiresAt: issuedAt + refreshLifetime, org: &org)
                : "ur-" + org.newHex(40)
            refreshTokens[refresh] = RefreshToken(appID: appID, userKey: userKey, scopes: scopes,
                                                  expiresAt: issuedAt + refreshLifetime)
            issued.refreshToken = refresh
            issued.refreshExpiresIn = Int(refreshLifetime)
        }
        return issued
    }

    /// A token that looks like the platform's JWTs; nothing checks its signature, the emulator looks tokens up.
    private static func jwt(type: String, appID: String, issuedAt: Double, expiresAt: Double, org: inout Org) -> String {
        let header: JSON = ["alg": "ES256", "kid": "feishu-emulator", "typ": "JWT"]
        let payload: JSON = ["jti": .string(org.newHex(32)), "app_id": .string(appID), "token_type": .string(type),
                             "tenant_key": .string(org.tenantKey), "iat": .int(Int(issuedAt)), "exp": .int(Int(expiresAt))]
        let signature = (0..<64).map { _ in UInt8(truncatingIfNeeded: org.random.next()) }
        return [Base64URL.encode(Array(header.serialized.utf8)), Base64URL.encode(Array(payload.serialized.utf8)),
                Base64URL.encode(signature)].joined(separator: ".")
    }

    // MARK: redeeming

    /// Checks and spends a code. Order: unknown (20003), another app's (20024), used (20065; v1: 20003),
    /// expired (20004), redirect_uri differs (20071, only when sent), PKCE (20049), scope (20067/20068),
    /// user gone or inactive (20008/20066).
    mutating func redeemCode(_ code: String?, appID: String, redirectURI: String?, verifier: String?, scope: String?, v2: Bool,
                             now: Double, org: inout Org) throws(OAuthError) -> IssuedUserToken
    {
        guard let code else { throw OAuthError(code: 20001, error: "invalid_request", description: "The code parameter is missing.") }
        guard var record = codes[code] else {
            throw OAuthError(code: 20003, error: "invalid_grant",
                             description: "The authorization code is not found. Please check that it is correct.")
        }
        guard record.appID == appID else {
            throw OAuthError(code: 20024, error: "invalid_grant", description: "The authorization code belongs to another app.")
        }
        guard !record.used else {
            throw OAuthError(code: v2 ? 20065 : 20003, error: "invalid_grant", description: "The authorization code has already been used.")
        }
        guard record.expiresAt > now else {
            throw OAuthError(code: 20004, error: "invalid_grant", description: "The authorization code has expired.")
        }
        if let redirectURI, redirectURI != record.redirectURI {
            throw OAuthError(code: 20071, error: "invalid_grant",
                             description: "The redirect_uri does not match the one of the authorization request.")
        }
        if let challenge = record.codeChallenge {
            guard let verifier, (43...128).contains(verifier.count),
                  (record.challengeMethod == "S256" ? Base64URL.encode(SHA256.hash(data: Data(verifier.utf8))) : verifier) == challenge
            else {
                throw OAuthError(code: 20049, error: "invalid_grant", description: "PKCE verification failed: code_verifier does not match.")
            }
        }
        let scopes = try Self.narrow(record.scopes, to: scope)
        let user = try Self.activeUser(record.userKey, in: org)
        record.used = true
        codes[code] = record
        return issueUserToken(appID: appID, userKey: user.key, scopes: scopes, v2: v2, now: now, org: &org)
    }

    /// Checks and spends a refresh token (refresh tokens are single use, §2.4). Unknown or another app's → 20026,
    /// used → 20064, expired → 20037 (codes UNCONFIRMED in `feishu-api.md`, taken from its list).
    mutating func redeemRefreshToken(_ token: String?, appID: String, scope: String?, v2: Bool, now: Double, org: inout Org)
        throws(OAuthError) -> IssuedUserToken
    {
        guard let token else {
            throw OAuthError(code: 20001, error: "invalid_request", description: "The refresh_token parameter is missing.")
        }
        guard var record = refreshTokens[token], record.appID == appID else {
            throw OAuthError(code: 20026, error: "invalid_grant", description: "The refresh token is invalid.")
        }
        guard !record.used else {
            throw OAuthError(code: 20064, error: "invalid_grant", description: "The refresh token has already been used.")
        }
        guard record.expiresAt > now else {
            throw OAuthError(code: 20037, error: "invalid_grant", description: "The refresh token has expired.")
        }
        let scopes = try Self.narrow(record.scopes, to: scope)
        let user = try Self.activeUser(record.userKey, in: org)
        record.used = true
        refreshTokens[token] = record
        return issueUserToken(appID: appID, userKey: user.key, scopes: scopes, v2: v2, now: now, org: &org)
    }

    /// A `scope` at the token endpoint may only narrow what was granted: repeats → 20067, others → 20068.
    private static func narrow(_ granted: [String], to requested: String?) throws(OAuthError) -> [String] {
        guard let requested else { return granted }
        let scopes = Self.splitScopes(requested)
        guard Set(scopes).count == scopes.count else {
            throw OAuthError(code: 20067, error: "invalid_scope", description: "The scope list repeats a scope.")
        }
        if let extra = scopes.first(where: { !granted.contains($0) }) {
            throw OAuthError(code: 20068, error: "invalid_scope", description: "The scope \(extra) was not granted by the user.")
        }
        return scopes
    }

    private static func activeUser(_ key: Int, in org: Org) throws(OAuthError) -> User {
        guard let user = org.users[key], !user.status.isResigned else {
            throw OAuthError(code: 20008, error: "invalid_grant", description: "The user does not exist.")
        }
        guard !user.status.isFrozen else {
            throw OAuthError(code: 20066, error: "invalid_grant", description: "The user's status does not allow login.")
        }
        return user
    }
}

/// A refused OAuth request: the platform's code, the RFC 6749 `error` and a description.
struct OAuthError: Error, Sendable {
    var code: Int
    var error: String
    var description: String
    var httpStatus = 400
}
