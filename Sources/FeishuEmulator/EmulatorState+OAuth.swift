import Crypto
import Foundation

/// What the OAuth flow keeps: authorization codes, user access tokens and refresh tokens.
struct OAuthStore: Sendable {
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

    struct UserToken: Sendable {
        var appID: String
        var userKey: Int
        var scopes: [String]
        var expiresAt: Double
    }

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
}

/// A refused OAuth request: the platform's code, the RFC 6749 `error` and a description.
struct OAuthError: Error, Sendable {
    var code: Int
    var error: String
    var description: String
    var httpStatus = 400
}

/// User login (`feishu-api.md` §2.4–2.5): the authorize page, the v2 token endpoint, the legacy v1 exchanges and
/// `user_info`.
extension EmulatorState {
    /// Authorization codes live 5 minutes and are single use (§2.4).
    static let codeLifetime = 300.0
    /// `refresh_token_expires_in` of the v2 endpoint (604800 in the doc's example) and the legacy v1 `refresh_expires_in`
    /// (about 30 days).
    static let refreshLifetime = 604_800.0
    static let legacyRefreshLifetime = 2_592_000.0
    /// The authorize page lists at most this many users; a search narrows the list.
    static let loginPageLimit = 50
    /// At most 50 scopes per authorize request (§2.4).
    static let maxScopes = 50

    // MARK: the authorize page

    /// `GET /open-apis/authen/v1/authorize` (and the historic `/open-apis/authen/v1/index`): a "log in as" page
    /// listing the tenant's users; choosing one (or `login_as=<open_id|union_id|user_id|mobile>`, an emulator-only
    /// shortcut) issues a code and redirects to `redirect_uri?code=…&state=…`.
    func authorizePage(_ call: APICall) -> EmulatorResponse {
        // Browsers and `requests` write `+` for a space (scopes are space-separated): read the query as a form.
        let query = FormURLEncoded.parse(call.rawQuery ?? "")
        func value(_ name: String) -> String? { query[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
        func refuse(_ code: Int, _ message: String) -> EmulatorResponse {
            counters.errors[call.endpoint.rawValue, default: 0] += 1
            return errorPage(code: code, message: message)
        }

        guard let appID = value("client_id") ?? value("app_id") else {
            return refuse(20001, "client_id is missing (the historic index page calls it app_id).")
        }
        guard apps[appID] != nil else { return refuse(20048, "The app \(appID) does not exist in this tenant.") }
        if let limited = rateLimit(appID: appID, call: call) { return limited }
        guard let redirectURI = value("redirect_uri") else { return refuse(20001, "redirect_uri is missing.") }
        guard Self.isValidRedirectURI(redirectURI) else { return refuse(20029, "redirect_uri is not an absolute URL: \(redirectURI)") }
        if let responseType = value("response_type"), responseType != "code" {
            return refuse(20001, "response_type must be code, not \(responseType).")
        }
        let scopes = Self.splitScopes(value("scope"))
        if Set(scopes).count != scopes.count { return refuse(20067, "The scope list repeats a scope.") }
        if scopes.count > Self.maxScopes { return refuse(20001, "At most \(Self.maxScopes) scopes per request.") }
        let challenge = value("code_challenge")
        let method = value("code_challenge_method") ?? "plain"
        guard method == "plain" || method == "S256" else {
            return refuse(20001, "code_challenge_method must be S256 or plain.")
        }
        if value("code_challenge_method") != nil && challenge == nil {
            return refuse(20001, "code_challenge_method without code_challenge.")
        }

        if let login = value("login_as") {
            guard let user = loginUser(login, appID: appID) else {
                return refuse(20008, "No user with open_id, union_id, user_id or mobile \(login).")
            }
            guard !user.status.isResigned, !user.status.isFrozen else {
                return refuse(20066, "\(user.name) cannot log in: the account is \(user.status.isResigned ? "resigned" : "frozen").")
            }
            let code = mintCode(appID: appID, userKey: user.key, redirectURI: redirectURI, scopes: scopes,
                                challenge: challenge, method: method)
            return .redirect(Self.redirectLocation(redirectURI, code: code, state: query["state"]?.last))
        }
        return loginPage(call, query: query, appID: appID, scopes: scopes, search: value("q"))
    }

    private func errorPage(code: Int, message: String) -> EmulatorResponse {
        let body = """
            <h1>Authorization failed</h1>
            <p class="error">Error \(code): \(HTML.escape(message))</p>
            <p class="note">Feishu emulator — the real platform shows its own error page here.</p>
            """
        return EmulatorResponse(status: 400, body: .html(Self.page(title: "Authorization failed", body: body)))
    }

    private func loginPage(_ call: APICall, query: [String: [String]], appID: String, scopes: [String], search: String?)
        -> EmulatorResponse
    {
        let path = String(call.endpoint.rawValue.drop { $0 != " " }.dropFirst())
        // Every parameter of the request except the page's own, in a stable order.
        let kept = query.keys.sorted().filter { $0 != "q" && $0 != "login_as" }.flatMap { name in
            (query[name] ?? []).map { (name, $0) }
        }
        let needle = search?.lowercased().trimmingCharacters(in: .whitespaces) ?? ""
        func matches(_ user: User) -> Bool {
            user.name.lowercased().contains(needle) || user.mobile.contains(needle) || user.userID.lowercased().contains(needle)
                || user.enName.lowercased().contains(needle) || user.email.lowercased().contains(needle)
                || user.employeeNo.lowercased().contains(needle)
        }
        // Only (sequence, key) pairs are collected and sorted: the page must stay quick for 100 000 users.
        var found: [(sequence: Int, key: Int)] = []
        for (key, user) in org.users where !user.status.isResigned && (needle.isEmpty || matches(user)) {
            found.append((user.sequence, key))
        }
        let total = found.count
        found.sort { $0.sequence < $1.sequence }

        var rows = ""
        for user in found.prefix(Self.loginPageLimit).compactMap({ org.users[$0.key] }) {
            let department = user.departments.first.map { id in
                id == rootDepartment ? org.tenantName : org.departments[id]?.name ?? ""
            } ?? ""
            let openID = org.openID(of: user.key, app: appID)
            let action: String
            if user.status.isFrozen {
                action = "<span class=\"frozen\">frozen</span>"
            } else {
                let href = path + "?" + FormURLEncoded.encode(kept + [("login_as", openID)])
                action = "<a class=\"login\" href=\"\(HTML.escape(href))\" data-open-id=\"\(HTML.escape(openID))\">Log in as \(HTML.escape(user.name))</a>"
            }
            let englishName = user.enName.isEmpty ? "" : " <span class=\"en\">(\(HTML.escape(user.enName)))</span>"
            rows += """
                <tr><td>\(HTML.escape(user.name))\(englishName)</td><td>\(HTML.escape(department))</td>\
                <td>\(HTML.escape(user.mobile))</td><td>\(HTML.escape(user.email))</td><td>\(action)</td></tr>

                """
        }
        let hidden = kept.map { "<input type=\"hidden\" name=\"\(HTML.escape($0.0))\" value=\"\(HTML.escape($0.1))\">" }
            .joined(separator: "")
        let shown = min(total, Self.loginPageLimit)
        let summary = total > shown
            ? "\(total) users match; showing the first \(shown). Search to narrow the list."
            : "\(total) user\(total == 1 ? "" : "s")."
        let scopeText = scopes.isEmpty ? "(none requested)" : scopes.joined(separator: " ")
        let body = """
            <h1>Log in as</h1>
            <p>App <code>\(HTML.escape(appID))</code> asks to sign you in to <strong>\(HTML.escape(org.tenantName))</strong>.
            Scopes: <code>\(HTML.escape(scopeText))</code>. After choosing, you return to
            <code>\(HTML.escape(query["redirect_uri"]?.last ?? ""))</code>.</p>
            <form method="get" action="\(HTML.escape(path))">\(hidden)
            <input type="search" name="q" value="\(HTML.escape(search ?? ""))" placeholder="name, mobile, email, user_id" autofocus>
            <button type="submit">Search</button></form>
            <p class="summary">\(HTML.escape(summary))</p>
            <table><thead><tr><th>Name</th><th>Department</th><th>Mobile</th><th>Email</th><th></th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            <p class="note">Feishu emulator: no password, pick anyone. Tests can skip this page with
            <code>&amp;login_as=&lt;open_id|union_id|user_id|mobile&gt;</code>.</p>
            """
        return EmulatorResponse(status: 200, body: .html(Self.page(title: "Log in — Feishu emulator", body: body)),
                                headers: [("Cache-Control", "no-store")])
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>\(HTML.escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2329}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dee0e3}
        a.login{color:#3370ff}.error{color:#d83931}.note,.summary,.en{color:#646a73}.frozen{color:#8f959e}
        input[type=search]{width:20rem;padding:.3rem}</style></head>
        <body>
        \(body)
        </body></html>
        """
    }

    /// An absolute URL with a scheme (`https://app.example.com/cb`, `http://127.0.0.1:8080/cb`, `myapp://cb`).
    static func isValidRedirectURI(_ uri: String) -> Bool {
        guard let components = URLComponents(string: uri), let scheme = components.scheme, !scheme.isEmpty else { return false }
        return uri.contains("://")
    }

    /// `redirect_uri` plus `code` and `state`; a `#fragment` of the redirect URI stays at the end.
    static func redirectLocation(_ redirectURI: String, code: String, state: String?) -> String {
        let parts = redirectURI.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        var base = String(parts[0])
        if !base.contains("?") {
            base += "?"
        } else if !base.hasSuffix("?") && !base.hasSuffix("&") {
            base += "&"
        }
        var pairs = [("code", code)]
        if let state { pairs.append(("state", state)) }
        base += FormURLEncoded.encode(pairs)
        return parts.count > 1 ? base + "#" + parts[1] : base
    }

    static func splitScopes(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "+" || $0 == "\t" }).map(String.init)
    }

    /// A user by open_id (of `appID`), union_id, user_id or mobile, in that order.
    func loginUser(_ id: String, appID: String) -> User? {
        if let user = org.user(id: id, type: .openID, app: appID) ?? org.user(id: id, type: .unionID, app: appID)
            ?? org.user(id: id, type: .userID, app: appID)
        {
            return user
        }
        return ContactValidation.normalizeMobile(id).flatMap { org.user(mobile: $0) }
    }

    func mintCode(appID: String, userKey: Int, redirectURI: String, scopes: [String], challenge: String?, method: String)
        -> String
    {
        purgeOAuthIfDue()
        var code = org.newHex(32)
        while oauth.codes[code] != nil { code = org.newHex(32) }
        oauth.codes[code] = OAuthStore.Code(appID: appID, userKey: userKey, redirectURI: redirectURI, scopes: scopes,
                                            codeChallenge: challenge, challengeMethod: method, expiresAt: now + Self.codeLifetime)
        counters.authorizationCodesIssued += 1
        return code
    }

    /// Drops codes and tokens that ended more than a day ago (until then a reused or expired one is still
    /// answered with its specific error).
    private func purgeOAuthIfDue() {
        oauth.mintsSincePurge += 1
        guard oauth.mintsSincePurge >= 1024 else { return }
        oauth.mintsSincePurge = 0
        let cutoff = now - 86_400
        oauth.codes = oauth.codes.filter { $0.value.expiresAt > cutoff }
        oauth.userTokens = oauth.userTokens.filter { $0.value.expiresAt > cutoff }
        oauth.refreshTokens = oauth.refreshTokens.filter { $0.value.expiresAt > cutoff }
    }

    // MARK: issuing user tokens

    struct IssuedUserToken {
        var accessToken: String
        var expiresIn: Int
        var refreshToken: String?
        var refreshExpiresIn: Int
        var scope: String
    }

    /// v2 tokens are JWT-shaped (`eyJ…`, §1.4), legacy v1 tokens `u-…` / `ur-…`. v2 gives a refresh token only
    /// with `offline_access`; v1 always does.
    private func issueUserToken(appID: String, userKey: Int, scopes: [String], v2: Bool) -> IssuedUserToken {
        purgeOAuthIfDue()
        let lifetime = Double(configuration.tokenLifetime)
        let issuedAt = now
        let access = v2 ? jwt(type: "access", appID: appID, expiresAt: issuedAt + lifetime) : "u-" + org.newHex(40)
        oauth.userTokens[access] = OAuthStore.UserToken(appID: appID, userKey: userKey, scopes: scopes, expiresAt: issuedAt + lifetime)
        counters.userTokensIssued += 1
        var issued = IssuedUserToken(accessToken: access, expiresIn: Int(lifetime), refreshToken: nil,
                                     refreshExpiresIn: 0, scope: scopes.joined(separator: " "))
        if !v2 || scopes.contains("offline_access") {
            let refreshLifetime = v2 ? Self.refreshLifetime : Self.legacyRefreshLifetime
            let refresh = v2 ? jwt(type: "refresh", appID: appID, expiresAt: issuedAt + refreshLifetime) : "ur-" + org.newHex(40)
            oauth.refreshTokens[refresh] = OAuthStore.RefreshToken(appID: appID, userKey: userKey, scopes: scopes,
                                                                   expiresAt: issuedAt + refreshLifetime)
            issued.refreshToken = refresh
            issued.refreshExpiresIn = Int(refreshLifetime)
        }
        return issued
    }

    /// A token that looks like the platform's JWTs; nothing checks its signature, the emulator looks tokens up.
    private func jwt(type: String, appID: String, expiresAt: Double) -> String {
        let header: JSON = ["alg": "ES256", "kid": "feishu-emulator", "typ": "JWT"]
        let payload: JSON = ["jti": .string(org.newHex(32)), "app_id": .string(appID), "token_type": .string(type),
                             "tenant_key": .string(org.tenantKey), "iat": .int(Int(now)), "exp": .int(Int(expiresAt))]
        let signature = (0..<64).map { _ in UInt8(truncatingIfNeeded: org.random.next()) }
        return [Base64URL.encode(Array(header.serialized.utf8)), Base64URL.encode(Array(payload.serialized.utf8)),
                Base64URL.encode(signature)].joined(separator: ".")
    }

    // MARK: v2 token endpoint

    /// `POST /open-apis/authen/v2/oauth/token`: RFC 6749-style answers at the top level (§1.2, §2.4).
    /// Client authentication by `client_id` + `client_secret` in the body or HTTP Basic (both at once → 20070).
    func oauthToken(_ call: APICall) -> EmulatorResponse {
        let body = Self.oauthBody(call)
        func value(_ name: String) -> String? { body[name].flatMap { $0.isEmpty ? nil : $0 } }
        func refuse(_ error: OAuthError) -> EmulatorResponse {
            counters.errors[call.endpoint.rawValue, default: 0] += 1
            return EmulatorResponse(status: error.httpStatus, body: .json([
                "code": .int(error.code), "error": .string(error.error), "error_description": .string(error.description),
            ]))
        }

        guard let grantType = value("grant_type") else {
            return refuse(OAuthError(code: 20001, error: "invalid_request", description: "The grant_type parameter is missing."))
        }
        guard grantType == "authorization_code" || grantType == "refresh_token" else {
            return refuse(OAuthError(code: 20036, error: "unsupported_grant_type",
                                     description: "The grant_type \(grantType) is not supported."))
        }
        let basic = Self.basicCredentials(call.headers["authorization"])
        if basic != nil && (value("client_secret") != nil) {
            return refuse(OAuthError(code: 20070, error: "invalid_request",
                                     description: "Use either HTTP Basic or client_secret in the body, not both."))
        }
        guard let clientID = basic?.id ?? value("client_id"), let secret = basic?.secret ?? value("client_secret") else {
            return refuse(OAuthError(code: 20001, error: "invalid_request", description: "client_id and client_secret are required."))
        }
        guard let app = apps[clientID] else {
            return refuse(OAuthError(code: 20048, error: "invalid_client", description: "The app \(clientID) does not exist."))
        }
        if let limited = rateLimit(appID: clientID, call: call) { return limited }
        if let fault = injectFault(call) { return fault }
        guard app.config.appSecret == secret else {
            return refuse(OAuthError(code: 20002, error: "invalid_client", description: "The client secret is invalid."))
        }
        do throws(OAuthError) {
            let issued = grantType == "authorization_code"
                ? try redeemCode(value("code"), appID: clientID, redirectURI: value("redirect_uri"),
                                 verifier: value("code_verifier"), scope: value("scope"), v2: true)
                : try redeemRefreshToken(value("refresh_token"), appID: clientID, scope: value("scope"), v2: true)
            var answer: [String: JSON] = [
                "code": 0, "access_token": .string(issued.accessToken), "expires_in": .int(issued.expiresIn),
                "token_type": "Bearer", "scope": .string(issued.scope),
            ]
            if let refresh = issued.refreshToken {
                answer["refresh_token"] = .string(refresh)
                answer["refresh_token_expires_in"] = .int(issued.refreshExpiresIn)
            }
            return EmulatorResponse(status: 200, body: .json(.object(answer)), headers: [("Cache-Control", "no-store")])
        } catch {
            return refuse(error)
        }
    }

    /// The body as name → value: a JSON object (what the v2 doc asks for), else a form.
    private static func oauthBody(_ call: APICall) -> [String: String] {
        if let object = call.json?.objectValue { return object.compactMapValues(\.stringValue) }
        return FormURLEncoded.parse(String(decoding: call.body, as: UTF8.self)).compactMapValues(\.last)
    }

    private static func basicCredentials(_ header: String?) -> (id: String, secret: String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: header.dropFirst(6).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let id = String(text[..<colon]), secret = String(text[text.index(after: colon)...])
        return (id.removingPercentEncoding ?? id, secret.removingPercentEncoding ?? secret)
    }

    /// Checks and spends a code. Order: unknown (20003), another app's (20024), used (20065; v1: 20003),
    /// expired (20004), redirect_uri differs (20071, only when sent), PKCE (20049), scope (20067/20068),
    /// user gone or inactive (20008/20066).
    private func redeemCode(_ code: String?, appID: String, redirectURI: String?, verifier: String?, scope: String?, v2: Bool)
        throws(OAuthError) -> IssuedUserToken
    {
        guard let code else { throw OAuthError(code: 20001, error: "invalid_request", description: "The code parameter is missing.") }
        guard var record = oauth.codes[code] else {
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
        let scopes = try narrow(record.scopes, to: scope)
        let user = try activeUser(record.userKey)
        record.used = true
        oauth.codes[code] = record
        return issueUserToken(appID: appID, userKey: user.key, scopes: scopes, v2: v2)
    }

    /// Checks and spends a refresh token (refresh tokens are single use, §2.4). Unknown or another app's → 20026,
    /// used → 20064, expired → 20037 (codes UNCONFIRMED in `feishu-api.md`, taken from its list).
    private func redeemRefreshToken(_ token: String?, appID: String, scope: String?, v2: Bool) throws(OAuthError)
        -> IssuedUserToken
    {
        guard let token else {
            throw OAuthError(code: 20001, error: "invalid_request", description: "The refresh_token parameter is missing.")
        }
        guard var record = oauth.refreshTokens[token], record.appID == appID else {
            throw OAuthError(code: 20026, error: "invalid_grant", description: "The refresh token is invalid.")
        }
        guard !record.used else {
            throw OAuthError(code: 20064, error: "invalid_grant", description: "The refresh token has already been used.")
        }
        guard record.expiresAt > now else {
            throw OAuthError(code: 20037, error: "invalid_grant", description: "The refresh token has expired.")
        }
        let scopes = try narrow(record.scopes, to: scope)
        let user = try activeUser(record.userKey)
        record.used = true
        oauth.refreshTokens[token] = record
        return issueUserToken(appID: appID, userKey: user.key, scopes: scopes, v2: v2)
    }

    /// A `scope` at the token endpoint may only narrow what was granted: repeats → 20067, others → 20068.
    private func narrow(_ granted: [String], to requested: String?) throws(OAuthError) -> [String] {
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

    private func activeUser(_ key: Int) throws(OAuthError) -> User {
        guard let user = org.users[key], !user.status.isResigned else {
            throw OAuthError(code: 20008, error: "invalid_grant", description: "The user does not exist.")
        }
        guard !user.status.isFrozen else {
            throw OAuthError(code: 20066, error: "invalid_grant", description: "The user's status does not allow login.")
        }
        return user
    }

    // MARK: legacy v1 exchanges (app_access_token)

    /// `POST /open-apis/authen/v1/oidc/access_token` and the older `/open-apis/authen/v1/access_token` (which also
    /// returns the profile): `data` with the tokens; errors are HTTP 200 with 200xx codes (§2.4 (c)).
    func exchangeCodeV1(_ call: APICall, appID: String, withProfile: Bool) throws(APIError) -> JSON {
        let body = call.json
        try requireGrant(body, "authorization_code")
        do throws(OAuthError) {
            let issued = try redeemCode(body?["code"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, appID: appID,
                                        redirectURI: nil, verifier: nil, scope: nil, v2: false)
            return v1Data(issued, withProfile: withProfile)
        } catch {
            throw APIError(httpStatus: 200, code: error.code, msg: error.description)
        }
    }

    /// `POST /open-apis/authen/v1/oidc/refresh_access_token` and `/open-apis/authen/v1/refresh_access_token`.
    func refreshV1(_ call: APICall, appID: String, withProfile: Bool) throws(APIError) -> JSON {
        let body = call.json
        try requireGrant(body, "refresh_token")
        do throws(OAuthError) {
            let issued = try redeemRefreshToken(body?["refresh_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                                                appID: appID, scope: nil, v2: false)
            return v1Data(issued, withProfile: withProfile)
        } catch {
            throw APIError(httpStatus: 200, code: error.code, msg: error.description)
        }
    }

    private func requireGrant(_ body: JSON?, _ expected: String) throws(APIError) {
        guard let grant = body?["grant_type"]?.stringValue, !grant.isEmpty else {
            throw APIError(httpStatus: 200, code: 20001, msg: "grant_type is required")
        }
        guard grant == expected else {
            throw APIError(httpStatus: 200, code: 20036, msg: "grant_type must be \(expected)")
        }
    }

    private func v1Data(_ issued: IssuedUserToken, withProfile: Bool) -> JSON {
        var data: [String: JSON] = [
            "access_token": .string(issued.accessToken), "token_type": "Bearer", "expires_in": .int(issued.expiresIn),
            "refresh_token": .string(issued.refreshToken ?? ""), "refresh_expires_in": .int(issued.refreshExpiresIn),
        ]
        if withProfile {
            if let record = oauth.userTokens[issued.accessToken], let user = org.users[record.userKey] {
                data.merge(profile(user, appID: record.appID)) { _, new in new }
                data["employee_no"] = nil  // not among this older answer's fields (§2.4 (c), SDK model)
            }
            data["sid"] = .string(org.newHex(32))
        } else {
            data["scope"] = .string(issued.scope)
        }
        return .object(data)
    }

    // MARK: user_info

    /// `GET /open-apis/authen/v1/user_info` with a user token (§2.5).
    func userInfo(_ caller: Caller) throws(APIError) -> JSON {
        guard let key = caller.userKey, let user = org.users[key], !user.status.isResigned else {
            throw APIError(code: 99991668, msg: "Invalid access token for authorization. Please make a request with token attached.")
        }
        return .object(profile(user, appID: caller.appID))
    }

    /// The logged-in user as `user_info` shows them to `appID`: open_id of that app; `user_id`, `email`, `mobile`,
    /// `employee_no` and `enterprise_email` only when the app has the field scope (not withheld) and a value.
    func profile(_ user: User, appID: String) -> [String: JSON] {
        let avatarBase = "https://s1-imfile.feishucdn.com/static-resource/v1/v2_\(user.avatarSeed)~?image_size="
        var object: [String: JSON] = [
            "name": .string(user.name), "en_name": .string(user.enName),
            "avatar_url": .string(avatarBase + "240x240"), "avatar_thumb": .string(avatarBase + "72x72"),
            "avatar_middle": .string(avatarBase + "240x240"), "avatar_big": .string(avatarBase + "640x640"),
            "open_id": .string(org.openID(of: user.key, app: appID)), "union_id": .string(user.unionID),
            "tenant_key": .string(org.tenantKey),
        ]
        let optional = ["user_id": user.userID, "email": user.email, "enterprise_email": user.enterpriseEmail,
                        "mobile": user.mobile, "employee_no": user.employeeNo]
        let withheld = apps[appID]?.config.withheldFields ?? []
        for (field, value) in optional where !value.isEmpty && !withheld.contains(field) { object[field] = .string(value) }
        return object
    }
}

// MARK: - public helpers for tests and demos

/// A user's ids, for tests that log someone in.
public struct EmulatorUserIDs: Sendable, Equatable {
    public var name: String
    public var mobile: String
    public var userID: String
    public var unionID: String
    /// open_id per app id.
    public var openIDs: [String: String]

    public func openID(appID: String) -> String? { openIDs[appID] }
}

/// Why ``EmulatorState/authorizationCode(appID:user:redirectURI:scope:)`` could not issue a code.
public enum EmulatorOAuthError: Error, Sendable, Equatable {
    case unknownApp(String)
    case unknownUser(String)
    case inactiveUser(String)
}

extension EmulatorState {
    /// Issues an authorization code as if `user` (open_id of `appID`, union_id, user_id or mobile) had logged in on
    /// the authorize page: single use, valid 5 minutes, bound to `appID` and `redirectURI`.
    public func authorizationCode(appID: String, user: String, redirectURI: String, scope: String = "")
        throws(EmulatorOAuthError) -> String
    {
        guard apps[appID] != nil else { throw .unknownApp(appID) }
        guard let found = loginUser(user, appID: appID) else { throw .unknownUser(user) }
        guard !found.status.isResigned, !found.status.isFrozen else { throw .inactiveUser(user) }
        return mintCode(appID: appID, userKey: found.key, redirectURI: redirectURI, scopes: Self.splitScopes(scope),
                        challenge: nil, method: "plain")
    }

    /// The ids of the (not resigned) user with this mobile (`+8613800000001` or `13800000001`).
    public func userIDs(mobile: String) -> EmulatorUserIDs? {
        guard let normalized = ContactValidation.normalizeMobile(mobile), let user = org.user(mobile: normalized) else { return nil }
        return EmulatorUserIDs(name: user.name, mobile: user.mobile, userID: user.userID, unionID: user.unionID,
                               openIDs: org.allOpenIDs(of: user.key))
    }
}
