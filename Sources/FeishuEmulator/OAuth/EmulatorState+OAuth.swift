import Foundation

/// User login (`feishu-api.md` §2.4–2.5) as the actor answers it: the authorize page, the v2 token endpoint, the legacy
/// v1 exchanges and `user_info`. Codes and tokens live in ``OAuthState``; here they meet the apps, the rate limits
/// and the counters.
extension EmulatorState {
    // MARK: the authorize page

    /// `GET /open-apis/authen/v1/authorize` (and the historic `/open-apis/authen/v1/index` and
    /// `/suite/passport/oauth/authorize`): a "log in as" page listing the tenant's users; choosing one (or
    /// `login_as=<open_id|union_id|user_id|mobile>`, an emulator-only shortcut), or a QR login's `tmp_code` (§2.7:
    /// live, unused, of this app; spent here), issues a code and redirects to `redirect_uri?code=…&state=…`.
    func authorizePage(_ call: APICall) -> EmulatorResponse {
        // Browsers and `requests` write `+` for a space (scopes are space-separated): read the query as a form.
        let query = FormURLEncoded.parse(call.rawQuery ?? "")
        func value(_ name: String) -> String? { query[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
        func refuse(_ code: Int, _ message: String) -> EmulatorResponse {
            admin.countError(call)
            return AuthorizePage.error(code: code, message: message)
        }

        guard let appID = value("client_id") ?? value("app_id") else {
            return refuse(20001, "client_id is missing (the historic index page calls it app_id).")
        }
        guard admin.apps[appID] != nil else { return refuse(20048, "The app \(appID) does not exist in this tenant.") }
        if let limited = admin.rateLimit(appID: appID, call: call) { return limited }
        guard let redirectURI = value("redirect_uri") else { return refuse(20001, "redirect_uri is missing.") }
        guard AuthorizePage.isValidRedirectURI(redirectURI) else { return refuse(20029, "redirect_uri is not an absolute URL: \(redirectURI)") }
        if let responseType = value("response_type"), responseType != "code" {
            return refuse(20001, "response_type must be code, not \(responseType).")
        }
        let scopes = OAuthState.splitScopes(value("scope"))
        if Set(scopes).count != scopes.count { return refuse(20067, "The scope list repeats a scope.") }
        if scopes.count > OAuthState.maxScopes { return refuse(20001, "At most \(OAuthState.maxScopes) scopes per request.") }
        let challenge = value("code_challenge")
        let method = value("code_challenge_method") ?? "plain"
        guard method == "plain" || method == "S256" else {
            return refuse(20001, "code_challenge_method must be S256 or plain.")
        }
        if value("code_challenge_method") != nil && challenge == nil {
            return refuse(20001, "code_challenge_method without code_challenge.")
        }

        // The user: from a QR login's `tmp_code` (§2.7, spent here), or the `login_as` shortcut; else the page.
        let user: User
        if let tmpCode = value("tmp_code") {
            guard let key = qrLogin.redeem(tmpCode, appID: appID, now: admin.now), let found = contact.org.users[key] else {
                return refuse(20003, "tmp_code is invalid or expired.")
            }
            user = found
        } else if let login = value("login_as") {
            guard let found = loginUser(login, appID: appID) else {
                return refuse(20008, "No user with open_id, union_id, user_id or mobile \(login).")
            }
            user = found
        } else {
            return AuthorizePage.login(call, query: query, appID: appID, scopes: scopes, search: value("q"), org: contact.org)
        }
        guard !user.status.isResigned, !user.status.isFrozen else {
            return refuse(20066, "\(user.name) cannot log in: the account is \(user.status.isResigned ? "resigned" : "frozen").")
        }
        let code = mintCode(appID: appID, userKey: user.key, redirectURI: redirectURI, scopes: scopes, challenge: challenge, method: method)
        return .redirect(AuthorizePage.redirectLocation(redirectURI, code: code, state: query["state"]?.last))
    }

    /// A user by open_id (of `appID`), union_id, user_id or mobile, in that order.
    func loginUser(_ id: String, appID: String) -> User? {
        if let user = contact.org.user(id: id, type: .openID, app: appID) ?? contact.org.user(id: id, type: .unionID, app: appID)
            ?? contact.org.user(id: id, type: .userID, app: appID)
        {
            return user
        }
        return ContactValidation.normalizeMobile(id).flatMap { contact.org.user(mobile: $0) }
    }

    // MARK: v2 token endpoint

    /// `POST /open-apis/authen/v2/oauth/token`: RFC 6749-style answers at the top level (§1.2, §2.4).
    /// Client authentication by `client_id` + `client_secret` in the body or HTTP Basic (both at once → 20070).
    func oauthToken(_ call: APICall) -> EmulatorResponse {
        let body = Self.oauthBody(call)
        func value(_ name: String) -> String? { body[name].flatMap { $0.isEmpty ? nil : $0 } }
        func refuse(_ error: OAuthError) -> EmulatorResponse {
            admin.countError(call)
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
        guard let app = admin.apps[clientID] else {
            return refuse(OAuthError(code: 20048, error: "invalid_client", description: "The app \(clientID) does not exist."))
        }
        if let limited = admin.rateLimit(appID: clientID, call: call) { return limited }
        if let fault = admin.injectFault(call) { return fault }
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

    private func v1Data(_ issued: OAuthState.IssuedUserToken, withProfile: Bool) -> JSON {
        var data: [String: JSON] = [
            "access_token": .string(issued.accessToken), "token_type": "Bearer", "expires_in": .int(issued.expiresIn),
            "refresh_token": .string(issued.refreshToken ?? ""), "refresh_expires_in": .int(issued.refreshExpiresIn),
        ]
        if withProfile {
            if let record = oauth.userTokens[issued.accessToken], let user = contact.org.users[record.userKey] {
                data.merge(profile(user, appID: record.appID)) { _, new in new }
                data["employee_no"] = nil  // not among this older answer's fields (§2.4 (c), SDK model)
            }
            data["sid"] = .string(contact.org.newHex(32))
        } else {
            data["scope"] = .string(issued.scope)
        }
        return .object(data)
    }

    // MARK: user_info

    /// `GET /open-apis/authen/v1/user_info` with a user token (§2.5).
    func userInfo(_ caller: Caller) throws(APIError) -> JSON {
        guard let key = caller.userKey, let user = contact.org.users[key], !user.status.isResigned else {
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
            "open_id": .string(contact.org.openID(of: user.key, app: appID)), "union_id": .string(user.unionID),
            "tenant_key": .string(contact.org.tenantKey),
        ]
        let optional = ["user_id": user.userID, "email": user.email, "enterprise_email": user.enterpriseEmail,
                        "mobile": user.mobile, "employee_no": user.employeeNo]
        let withheld = admin.apps[appID]?.config.withheldFields ?? []
        for (field, value) in optional where !value.isEmpty && !withheld.contains(field) { object[field] = .string(value) }
        return object
    }

    // MARK: issuing through OAuthState, counted

    private func mintCode(appID: String, userKey: Int, redirectURI: String, scopes: [String], challenge: String?, method: String)
        -> String
    {
        admin.counters.authorizationCodesIssued += 1
        return oauth.mintCode(appID: appID, userKey: userKey, redirectURI: redirectURI, scopes: scopes, challenge: challenge,
                              method: method, now: admin.now, org: &contact.org)
    }

    private func redeemCode(_ code: String?, appID: String, redirectURI: String?, verifier: String?, scope: String?, v2: Bool)
        throws(OAuthError) -> OAuthState.IssuedUserToken
    {
        let issued = try oauth.redeemCode(code, appID: appID, redirectURI: redirectURI, verifier: verifier, scope: scope, v2: v2,
                                          now: admin.now, org: &contact.org)
        admin.counters.userTokensIssued += 1
        return issued
    }

    private func redeemRefreshToken(_ token: String?, appID: String, scope: String?, v2: Bool) throws(OAuthError)
        -> OAuthState.IssuedUserToken
    {
        let issued = try oauth.redeemRefreshToken(token, appID: appID, scope: scope, v2: v2, now: admin.now, org: &contact.org)
        admin.counters.userTokensIssued += 1
        return issued
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
        guard admin.apps[appID] != nil else { throw .unknownApp(appID) }
        guard let found = loginUser(user, appID: appID) else { throw .unknownUser(user) }
        guard !found.status.isResigned, !found.status.isFrozen else { throw .inactiveUser(user) }
        return mintCode(appID: appID, userKey: found.key, redirectURI: redirectURI, scopes: OAuthState.splitScopes(scope),
                        challenge: nil, method: "plain")
    }

    /// The ids of the (not resigned) user with this mobile (`+8613800000001` or `13800000001`).
    public func userIDs(mobile: String) -> EmulatorUserIDs? {
        guard let normalized = ContactValidation.normalizeMobile(mobile), let user = contact.org.user(mobile: normalized) else {
            return nil
        }
        return EmulatorUserIDs(name: user.name, mobile: user.mobile, userID: user.userID, unionID: user.unionID,
                               openIDs: contact.org.allOpenIDs(of: user.key))
    }
}
