import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// User login (`feishu-api.md` §2.4–2.5): the authorize page, `POST /open-apis/authen/v2/oauth/token`, the legacy
/// v1 exchanges and `GET /open-apis/authen/v1/user_info`.
@Suite struct OAuthTests {
    static let authorizePath = "/open-apis/authen/v1/authorize"
    static let tokenPath = "/open-apis/authen/v2/oauth/token"
    static let userInfoPath = "/open-apis/authen/v1/user_info"
    static let redirect = "https://bridge.example.com/oauth/callback"

    /// The authorize URL; values are percent-encoded here, as a browser would send them.
    static func authorizeURI(app: String = TestApps.main.appID, redirect: String? = OAuthTests.redirect, state: String? = "xyz",
                             scope: String? = nil, loginAs: String? = nil, extra: [(String, String)] = [],
                             path: String = OAuthTests.authorizePath, appParameter: String = "client_id") -> String
    {
        var pairs: [(String, String)] = [(appParameter, app), ("response_type", "code")]
        if let redirect { pairs.append(("redirect_uri", redirect)) }
        if let state { pairs.append(("state", state)) }
        if let scope { pairs.append(("scope", scope)) }
        if let loginAs { pairs.append(("login_as", loginAs)) }
        return path + "?" + FormURLEncoded.encode(pairs + extra)
    }

    /// The query items of a redirect's `Location`.
    static func locationQuery(_ reply: Reply) throws -> [String: String] {
        let location = try #require(reply.header("Location"))
        let components = try #require(URLComponents(string: location))
        return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
    }
}

// MARK: - helpers

extension TestClientProtocol {
    /// Logs `user` in through `login_as` and returns the code from the redirect.
    func authorizationCode(_ user: String, app: EmulatorConfiguration.App = TestApps.main, scope: String? = nil,
                           redirect: String = OAuthTests.redirect, extra: [(String, String)] = []) async throws -> String
    {
        let reply = try await self.send(.get, OAuthTests.authorizeURI(app: app.appID, redirect: redirect, scope: scope,
                                                                      loginAs: user, extra: extra))
        #expect(reply.status == .found, "\(reply.text)")
        return try #require(try OAuthTests.locationQuery(reply)["code"])
    }

    func exchange(_ code: String, app: EmulatorConfiguration.App = TestApps.main, secret: String? = nil,
                  redirect: String? = OAuthTests.redirect, extra: [String: JSON] = [:]) async throws -> Reply
    {
        var body: [String: JSON] = ["grant_type": "authorization_code", "client_id": .string(app.appID),
                                    "client_secret": .string(secret ?? app.appSecret), "code": .string(code)]
        if let redirect { body["redirect_uri"] = .string(redirect) }
        body.merge(extra) { _, new in new }
        return try await self.send(.post, OAuthTests.tokenPath, json: .object(body))
    }

    func refresh(_ token: String, app: EmulatorConfiguration.App = TestApps.main) async throws -> Reply {
        try await self.send(.post, OAuthTests.tokenPath, json: [
            "grant_type": "refresh_token", "client_id": .string(app.appID), "client_secret": .string(app.appSecret),
            "refresh_token": .string(token),
        ])
    }

    /// A user access token for `user` (code flow end to end).
    func userToken(_ user: String, app: EmulatorConfiguration.App = TestApps.main, scope: String? = nil) async throws -> String {
        let reply = try await self.exchange(try await self.authorizationCode(user, app: app, scope: scope), app: app)
        #expect(reply.code == 0, "\(reply.text)")
        return try #require(reply.json?["access_token"]?.stringValue)
    }

    func userInfo(_ token: String) async throws -> Reply {
        try await self.send(.get, OAuthTests.userInfoPath, authorization: "Bearer " + token)
    }
}

/// Runs `body` with the emulator's state and a router client (for the public Swift helpers).
func withStateAndClient<T: Sendable>(_ body: @escaping @Sendable (EmulatorState, any TestClientProtocol) async throws -> T)
    async throws -> T
{
    let emulator = Emulator(configuration: try TestOrg.configuration())
    return try await emulator.application(logger: quietLogger).test(.router) { client async throws in
        try await body(emulator.state, client)
    }
}

// MARK: - the authorize page

extension OAuthTests {
    @Suite struct Page {
        @Test func listsUsersCappedAtFifty() async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, OAuthTests.authorizeURI())
                #expect(reply.status == .ok)
                #expect(reply.contentType.hasPrefix("text/html"))
                #expect(reply.text.contains("Log in as"))
                #expect(reply.text.contains("成员甲01"))
                #expect(reply.text.components(separatedBy: "class=\"login\"").count - 1 == 50)
                #expect(reply.text.contains("106 users match; showing the first 50"))
            }
        }

        @Test func searchFindsNameDepartmentAndMobile() async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, OAuthTests.authorizeURI(extra: [("q", "张三")]))
                #expect(reply.status == .ok)
                #expect(reply.text.contains("张三"))
                #expect(reply.text.contains("研发中心"))
                #expect(reply.text.contains("+8613900000102"))
                #expect(reply.text.components(separatedBy: "class=\"login\"").count - 1 == 1)
                // The search form keeps the authorize parameters.
                #expect(reply.text.contains("name=\"redirect_uri\" value=\"\(OAuthTests.redirect)\""))

                let byMobile = try await client.send(.get, OAuthTests.authorizeURI(extra: [("q", "13900000103")]))
                #expect(byMobile.text.contains("李四"))
                #expect(byMobile.text.contains("1 user."))
            }
        }

        @Test func entryLinkIssuesCodeAndRedirects() async throws {
            try await withClient { client async throws in
                let page = try await client.send(.get, OAuthTests.authorizeURI(state: "a b+c", extra: [("q", "王五")]))
                let start = try #require(page.text.range(of: "class=\"login\" href=\""))
                let rest = page.text[start.upperBound...]
                let end = try #require(rest.firstIndex(of: "\""))
                let href = rest[..<end].replacingOccurrences(of: "&amp;", with: "&")
                #expect(href.hasPrefix(OAuthTests.authorizePath + "?"))
                #expect(href.contains("login_as=ou_"))

                let reply = try await client.send(.get, href)
                #expect(reply.status == .found)
                let location = try #require(reply.header("Location"))
                #expect(location.hasPrefix(OAuthTests.redirect + "?code="))
                let query = try OAuthTests.locationQuery(reply)
                #expect(query["state"] == "a b+c")
                #expect((query["code"] ?? "").count >= 32)
                #expect(query["code"]?.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } == true)
            }
        }

        @Test func historicIndexPageTakesAppID() async throws {
            try await withClient { client async throws in
                let page = try await client.send(.get, OAuthTests.authorizeURI(path: "/open-apis/authen/v1/index", appParameter: "app_id"))
                #expect(page.status == .ok)
                #expect(page.text.contains("href=\"/open-apis/authen/v1/index?"))

                let reply = try await client.send(.get, OAuthTests.authorizeURI(loginAs: "zhangsan", path: "/open-apis/authen/v1/index",
                                                                                appParameter: "app_id"))
                #expect(reply.status == .found)
                #expect(try OAuthTests.locationQuery(reply)["code"] != nil)
            }
        }

        @Test(arguments: [
            OAuthTests.authorizeURI(app: "cli_nobody"),
            OAuthTests.authorizeURI(redirect: nil),
            OAuthTests.authorizeURI(redirect: "not a url"),
            "/open-apis/authen/v1/authorize?redirect_uri=https%3A%2F%2Fx.example%2Fcb",
            OAuthTests.authorizeURI(extra: [("response_type", "token")]),
            OAuthTests.authorizeURI(scope: "contact:user.base:readonly contact:user.base:readonly"),
            OAuthTests.authorizeURI(loginAs: "nobody"),
        ])
        func badRequestsGetAnHTMLErrorPage(uri: String) async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, uri)
                #expect(reply.status == .badRequest)
                #expect(reply.contentType.hasPrefix("text/html"))
                #expect(reply.text.contains("Authorization failed"))
                #expect(reply.header("Location") == nil)
            }
        }

        @Test func frozenUserCannotLogIn() async throws {
            try await withEmulator { api async throws in
                #expect(try await api.patch("\(TestOrg.userAPI)/wangwu?user_id_type=user_id", ["is_frozen": true]).code == 0)
                let reply = try await api.client.send(.get, OAuthTests.authorizeURI(loginAs: "wangwu"))
                #expect(reply.status == .badRequest)
                #expect(reply.text.contains("20066"))
            }
        }

        @Test(arguments: ["zhangsan", "+8613900000102", "13900000102"])
        func loginAsAcceptsUserIDAndMobile(login: String) async throws {
            try await withClient { client async throws in
                let token = try await client.userToken(login)
                #expect(try await client.userInfo(token).data?["user_id"] == "zhangsan")
            }
        }

        @Test func loginAsAcceptsOpenIDAndUnionID() async throws {
            try await withEmulator { api async throws in
                let user = try await api.user("lisi")
                for id in [user.data?["user"]?["open_id"]?.stringValue, user.data?["user"]?["union_id"]?.stringValue] {
                    let token = try await api.client.userToken(try #require(id))
                    #expect(try await api.client.userInfo(token).data?["user_id"] == "lisi")
                }
            }
        }

        @Test func redirectKeepsExistingQueryAndFragment() async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, OAuthTests.authorizeURI(redirect: "https://x.example/cb?from=oa#top", loginAs: "zhangsan"))
                let location = try #require(reply.header("Location"))
                #expect(location.hasPrefix("https://x.example/cb?from=oa&code="))
                #expect(location.hasSuffix("&state=xyz#top"))
            }
        }

        @Test func withoutStateTheRedirectHasOnlyTheCode() async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, OAuthTests.authorizeURI(state: nil, loginAs: "zhangsan"))
                let query = try OAuthTests.locationQuery(reply)
                #expect(query["code"] != nil)
                #expect(query["state"] == nil)
            }
        }
    }
}

// MARK: - the v2 token endpoint

extension OAuthTests {
    @Suite struct TokenEndpoint {
        @Test func exchangeAnswersAtTopLevel() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan", scope: "contact:user.base:readonly offline_access")
                let reply = try await client.exchange(code)
                #expect(reply.status == .ok)
                #expect(reply.contentType.hasPrefix("application/json"))
                let json = try #require(reply.json?.objectValue)
                #expect(json["code"] == 0)
                #expect(json["data"] == nil)
                #expect(json["token_type"] == "Bearer")
                #expect(json["expires_in"] == 7200)
                #expect(json["refresh_token_expires_in"] == 604_800)
                #expect(json["scope"] == "contact:user.base:readonly offline_access")
                #expect(json["access_token"]?.stringValue?.hasPrefix("eyJ") == true)
                #expect(json["refresh_token"]?.stringValue?.hasPrefix("eyJ") == true)
                #expect(json["access_token"] != json["refresh_token"])
            }
        }

        @Test func noRefreshTokenWithoutOfflineAccess() async throws {
            try await withClient { client async throws in
                let reply = try await client.exchange(try await client.authorizationCode("zhangsan"))
                #expect(reply.code == 0)
                #expect(reply.json?["refresh_token"] == nil)
                #expect(reply.json?["refresh_token_expires_in"] == nil)
                #expect(reply.json?["scope"] == "")
            }
        }

        @Test func codeIsSingleUse() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan")
                #expect(try await client.exchange(code).code == 0)
                let again = try await client.exchange(code)
                #expect(again.status == .badRequest)
                #expect(again.code == 20065)
                #expect(again.json?["error"] == "invalid_grant")
                #expect(again.json?["error_description"]?.stringValue?.isEmpty == false)
            }
        }

        @Test func codeExpiresAfterFiveMinutes() async throws {
            try await withClient { client async throws in
                let fresh = try await client.authorizationCode("zhangsan")
                let stale = try await client.authorizationCode("lisi")
                try await client.advanceClock(seconds: 290)  // leaves room for a slow, busy test run
                let freshReply = try await client.exchange(fresh)
                #expect(freshReply.code == 0, "\(freshReply.text)")
                try await client.advanceClock(seconds: 11)
                let reply = try await client.exchange(stale)
                #expect(reply.status == .badRequest)
                #expect(reply.code == 20004)
                #expect(reply.json?["error"] == "invalid_grant")
            }
        }

        @Test func refusals() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan")
                let cases: [(Reply, Int, String)] = [
                    (try await client.exchange(code, redirect: "https://evil.example/cb"), 20071, "invalid_grant"),
                    (try await client.exchange(code, secret: "wrong"), 20002, "invalid_client"),
                    (try await client.exchange("0123456789abcdef0123456789abcdef"), 20003, "invalid_grant"),
                    (try await client.exchange(code, app: TestApps.other), 20024, "invalid_grant"),
                    (try await client.exchange(code, app: .init(appID: "cli_nobody", appSecret: "x")), 20048, "invalid_client"),
                    (try await client.exchange(code, extra: ["grant_type": "password"]), 20036, "unsupported_grant_type"),
                    (try await client.exchange(code, extra: ["code": ""]), 20001, "invalid_request"),
                    (try await client.exchange(code, extra: ["scope": "offline_access"]), 20068, "invalid_scope"),
                ]
                for (reply, expected, error) in cases {
                    #expect(reply.status == .badRequest)
                    #expect(reply.code == expected, "\(reply.text)")
                    #expect(reply.json?["error"]?.stringValue == error)
                    #expect(reply.json?["access_token"] == nil)
                }
                // None of the refusals spent the code; redirect_uri may be left out.
                #expect(try await client.exchange(code, redirect: nil).code == 0)
            }
        }

        @Test func scopeMayNarrow() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan", scope: "contact:user.base:readonly offline_access")
                let reply = try await client.exchange(code, extra: ["scope": "contact:user.base:readonly"])
                #expect(reply.code == 0)
                #expect(reply.json?["scope"] == "contact:user.base:readonly")
                #expect(reply.json?["refresh_token"] == nil)
            }
        }

        @Test func formBodyAndBasicAuthentication() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan", scope: "a:b offline_access")
                let form = "grant_type=authorization_code&client_id=\(TestApps.main.appID)&client_secret=\(TestApps.main.appSecret)&code=\(code)"
                let reply = try await client.send(.post, OAuthTests.tokenPath, raw: form)
                #expect(reply.code == 0, "\(reply.text)")
                #expect(reply.json?["scope"] == "a:b offline_access")

                let basic = "Basic " + Data("\(TestApps.main.appID):\(TestApps.main.appSecret)".utf8).base64EncodedString()
                let second = try await client.authorizationCode("zhangsan")
                let viaBasic = try await client.send(.post, OAuthTests.tokenPath, authorization: basic,
                                                     json: ["grant_type": "authorization_code", "code": .string(second)])
                #expect(viaBasic.code == 0, "\(viaBasic.text)")

                let third = try await client.authorizationCode("zhangsan")
                let both = try await client.send(.post, OAuthTests.tokenPath, authorization: basic, json: [
                    "grant_type": "authorization_code", "code": .string(third), "client_secret": .string(TestApps.main.appSecret),
                ])
                #expect(both.code == 20070)
            }
        }

        @Test func pkceS256() async throws {
            try await withClient { client async throws in
                // challenge = BASE64URL(SHA256(verifier)), computed with Python's hashlib.
                let verifier = "dBjftJeZ4CVP-mJ92K9Sqa3QAJMkfUHhmWI5H1cNhmk"
                let challenge = [("code_challenge", "GvYGOwmxy0CLw-BAKODlafTm92s-phpNnpdNyvo_G-w"), ("code_challenge_method", "S256")]
                let code = try await client.authorizationCode("zhangsan", extra: challenge)
                #expect(try await client.exchange(code).code == 20049)
                #expect(try await client.exchange(code, extra: ["code_verifier": .string(verifier + "x")]).code == 20049)
                let ok = try await client.exchange(code, extra: ["code_verifier": .string(verifier)])
                #expect(ok.code == 0, "\(ok.text)")
            }
        }

        @Test func pkcePlainIsTheDefaultMethod() async throws {
            try await withClient { client async throws in
                let verifier = String(repeating: "v", count: 43)
                let code = try await client.authorizationCode("zhangsan", extra: [("code_challenge", verifier)])
                #expect(try await client.exchange(code, extra: ["code_verifier": "short"]).code == 20049)
                #expect(try await client.exchange(code, extra: ["code_verifier": .string(verifier)]).code == 0)
            }
        }

        @Test func refreshRotatesAndIsSingleUse() async throws {
            try await withClient { client async throws in
                let first = try await client.exchange(try await client.authorizationCode("zhangsan", scope: "offline_access"))
                let refreshToken = try #require(first.json?["refresh_token"]?.stringValue)
                let accessToken = try #require(first.json?["access_token"]?.stringValue)

                // The access token expires; the refresh token still works.
                try await client.advanceClock(seconds: 7200)
                #expect(try await client.userInfo(accessToken).code == 99991677)
                let refreshed = try await client.refresh(refreshToken)
                #expect(refreshed.status == .ok)
                #expect(refreshed.code == 0, "\(refreshed.text)")
                #expect(refreshed.json?["expires_in"] == 7200)
                #expect(refreshed.json?["scope"] == "offline_access")
                let newAccess = try #require(refreshed.json?["access_token"]?.stringValue)
                let newRefresh = try #require(refreshed.json?["refresh_token"]?.stringValue)
                #expect(newAccess != accessToken)
                #expect(newRefresh != refreshToken)
                #expect(try await client.userInfo(newAccess).data?["user_id"] == "zhangsan")

                let reused = try await client.refresh(refreshToken)
                #expect(reused.status == .badRequest)
                #expect(reused.code == 20064)
                #expect(try await client.refresh("eyJnope").code == 20026)
                #expect(try await client.refresh(newRefresh, app: TestApps.other).code == 20026)

                try await client.advanceClock(seconds: 604_800)
                #expect(try await client.refresh(newRefresh).code == 20037)
            }
        }

        @Test func faultsAnswerInTheOAuthShape() async throws {
            try await withClient { client async throws in
                let code = try await client.authorizationCode("zhangsan")
                let faults = try await client.admin(.put, "faults", ["error_rate": 1, "error_kind": "internal_code",
                                                                     "error_apis": .array([.string(Endpoint.oauthToken.rawValue)])])
                #expect(faults.status == .ok)
                let reply = try await client.exchange(code)
                #expect(reply.status == .internalServerError)
                #expect(reply.code == 20050)
                #expect(reply.json?["error"] == "server_error")
                _ = try await client.admin(.delete, "faults")
                #expect(try await client.exchange(code).code == 0)
            }
        }
    }
}

// MARK: - user_info

extension OAuthTests {
    @Suite struct UserInfo {
        @Test func showsTheLoggedInUserWithThisAppsOpenID() async throws {
            try await withEmulator { api async throws in
                let token = try await api.client.userToken("zhangsan")
                let reply = try await api.client.userInfo(token)
                #expect(reply.status == .ok)
                #expect(reply.code == 0)
                let data = try #require(reply.data?.objectValue)
                let contact = try #require(try await api.user("zhangsan").data?["user"])
                #expect(data["name"] == "张三")
                #expect(data["en_name"] == "Zhangsan")
                #expect(data["user_id"] == "zhangsan")
                #expect(data["mobile"] == "+8613900000102")
                #expect(data["email"] == "zhangsan@example.com")
                #expect(data["employee_no"] == "E102")
                #expect(data["tenant_key"] == "736588c9260f175d")
                #expect(data["open_id"] == contact["open_id"])
                #expect(data["union_id"] == contact["union_id"])
                for field in ["avatar_url", "avatar_thumb", "avatar_middle", "avatar_big"] {
                    #expect(data[field]?.stringValue?.hasPrefix("https://") == true)
                }

                // Another app sees the same person with its own open_id and the same union_id.
                let other = try await api.client.userInfo(try await api.client.userToken("zhangsan", app: TestApps.other))
                #expect(other.data?["open_id"] != data["open_id"])
                #expect(other.data?["open_id"]?.stringValue?.hasPrefix("ou_") == true)
                #expect(other.data?["union_id"] == data["union_id"])
            }
        }

        @Test func withheldFieldsAreAbsent() async throws {
            try await withClient { client async throws in
                let reply = try await client.userInfo(try await client.userToken("zhangsan", app: TestApps.withheld))
                let data = try #require(reply.data?.objectValue)
                #expect(data["mobile"] == nil)
                #expect(data["email"] == nil)
                #expect(data["employee_no"] == nil)
                #expect(data["user_id"] == "zhangsan")
            }
        }

        @Test func tenantAndAppTokensAreRefused() async throws {
            try await withEmulator { api async throws in
                let reply = try await api.get(OAuthTests.userInfoPath)
                #expect(reply.status == .badRequest)
                #expect(reply.code == 99991663)
                #expect(reply.json?["error"]?["log_id"] != nil)

                let appToken = try #require(try await api.client.send(.post, "/open-apis/auth/v3/app_access_token/internal", json: [
                    "app_id": .string(TestApps.main.appID), "app_secret": .string(TestApps.main.appSecret),
                ]).json?["app_access_token"]?.stringValue)
                #expect(try await api.client.userInfo(appToken).code == 99991663)
                #expect(try await api.client.send(.get, OAuthTests.userInfoPath).code == 99991661)
            }
        }

        @Test func unknownAndExpiredUserTokens() async throws {
            try await withClient { client async throws in
                #expect(try await client.userInfo("eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln").code == 99991668)
                #expect(try await client.userInfo("u-0123456789abcdef").code == 99991668)
                let token = try await client.userToken("zhangsan")
                #expect(try await client.admin(.post, "tokens/expire").status == .ok)
                let expired = try await client.userInfo(token)
                #expect(expired.status == .badRequest)
                #expect(expired.code == 99991677)
            }
        }

        @Test func userTokensAreRefusedByContactAPIs() async throws {
            try await withClient { client async throws in
                let token = try await client.userToken("zhangsan")
                let reply = try await client.send(.get, TestOrg.userAPI + "/zhangsan?user_id_type=user_id", authorization: "Bearer " + token)
                #expect(reply.status == .badRequest)
                #expect(reply.code == 99991668)
            }
        }
    }
}

// MARK: - legacy v1 exchanges, counters, Swift helpers

extension OAuthTests {
    @Suite struct Legacy {
        static func appToken(_ client: any TestClientProtocol, _ app: EmulatorConfiguration.App = TestApps.main) async throws -> String {
            let reply = try await client.send(.post, "/open-apis/auth/v3/app_access_token/internal", json: [
                "app_id": .string(app.appID), "app_secret": .string(app.appSecret),
            ])
            return try #require(reply.json?["app_access_token"]?.stringValue)
        }

        @Test func oidcAccessTokenWithAppToken() async throws {
            try await withClient { client async throws in
                let appToken = try await Self.appToken(client)
                let code = try await client.authorizationCode("lisi", scope: "contact:user.base:readonly")
                let reply = try await client.send(.post, "/open-apis/authen/v1/oidc/access_token", authorization: "Bearer " + appToken,
                                                  json: ["grant_type": "authorization_code", "code": .string(code)])
                #expect(reply.status == .ok)
                #expect(reply.code == 0)
                #expect(reply.json?["msg"] == "success")
                #expect(reply.json?["message"] == "success")
                let data = try #require(reply.data?.objectValue)
                #expect(data["access_token"]?.stringValue?.hasPrefix("u-") == true)
                #expect(data["refresh_token"]?.stringValue?.hasPrefix("ur-") == true)
                #expect(data["token_type"] == "Bearer")
                #expect(data["expires_in"] == 7200)
                #expect(data["refresh_expires_in"] == 2_592_000)
                #expect(data["scope"] == "contact:user.base:readonly")
                #expect(try await client.userInfo(try #require(data["access_token"]?.stringValue)).data?["user_id"] == "lisi")

                // Reuse: HTTP 200 with 20003, both text fields.
                let again = try await client.send(.post, "/open-apis/authen/v1/oidc/access_token", authorization: "Bearer " + appToken,
                                                  json: ["grant_type": "authorization_code", "code": .string(code)])
                #expect(again.status == .ok)
                #expect(again.code == 20003)
                #expect(again.json?["message"] == again.json?["msg"])

                // Refresh.
                let refreshed = try await client.send(.post, "/open-apis/authen/v1/oidc/refresh_access_token",
                                                      authorization: "Bearer " + appToken,
                                                      json: ["grant_type": "refresh_token", "refresh_token": data["refresh_token"] ?? ""])
                #expect(refreshed.code == 0)
                #expect(refreshed.data?["access_token"]?.stringValue?.hasPrefix("u-") == true)
            }
        }

        @Test func oidcRefusesTenantTokensAndBadInput() async throws {
            try await withEmulator { api async throws in
                let code = try await api.client.authorizationCode("lisi")
                let withTenant = try await api.post("/open-apis/authen/v1/oidc/access_token",
                                                    ["grant_type": "authorization_code", "code": .string(code)])
                #expect(withTenant.status == .badRequest)
                #expect(withTenant.code == 99991664)

                let appToken = try await Self.appToken(api.client)
                let path = "/open-apis/authen/v1/oidc/access_token"
                let cases: [(JSON, Int)] = [
                    (["code": .string(code)], 20001),
                    (["grant_type": "refresh_token", "code": .string(code)], 20036),
                    (["grant_type": "authorization_code", "code": "nope"], 20003),
                ]
                for (body, expected) in cases {
                    let reply = try await api.client.send(.post, path, authorization: "Bearer " + appToken, json: body)
                    #expect(reply.status == .ok)
                    #expect(reply.code == expected)
                }
                let otherApp = try await Self.appToken(api.client, TestApps.other)
                #expect(try await api.client.send(.post, path, authorization: "Bearer " + otherApp,
                                                  json: ["grant_type": "authorization_code", "code": .string(code)]).code == 20024)
                try await api.client.advanceClock(seconds: 301)
                #expect(try await api.client.send(.post, path, authorization: "Bearer " + appToken,
                                                  json: ["grant_type": "authorization_code", "code": .string(code)]).code == 20004)
            }
        }

        @Test func olderAccessTokenAlsoReturnsTheProfile() async throws {
            try await withClient { client async throws in
                let appToken = try await Self.appToken(client)
                let code = try await client.authorizationCode("zhangsan")
                let reply = try await client.send(.post, "/open-apis/authen/v1/access_token", authorization: "Bearer " + appToken,
                                                  json: ["grant_type": "authorization_code", "code": .string(code)])
                #expect(reply.code == 0)
                let data = try #require(reply.data?.objectValue)
                #expect(data["name"] == "张三")
                #expect(data["user_id"] == "zhangsan")
                #expect(data["open_id"]?.stringValue?.hasPrefix("ou_") == true)
                #expect(data["sid"] != nil)
                #expect(data["scope"] == nil)
                #expect(data["employee_no"] == nil)
                #expect(data["refresh_token"]?.stringValue?.hasPrefix("ur-") == true)
            }
        }
    }

    @Suite struct Helpers {
        @Test func countersInState() async throws {
            try await withClient { client async throws in
                let token = try await client.userToken("zhangsan", scope: "offline_access")
                _ = try await client.authorizationCode("lisi")
                _ = token
                let counters = try #require(try await client.admin(.get, "state?org=false").json?["counters"])
                #expect(counters["authorization_codes_issued"] == 2)
                #expect(counters["user_tokens_issued"] == 1)
                #expect(counters["calls"]?[Endpoint.authorize.rawValue] == 2)
                #expect(counters["calls"]?[Endpoint.oauthToken.rawValue] == 1)
            }
        }

        @Test func swiftHelpersMintCodesAndReadIDs() async throws {
            try await withStateAndClient { state, client async throws in
                let ids = try #require(await state.userIDs(mobile: "13900000102"))
                #expect(ids.userID == "zhangsan")
                #expect(ids.name == "张三")
                #expect(ids.mobile == "+8613900000102")
                #expect(ids.openID(appID: TestApps.main.appID)?.hasPrefix("ou_") == true)
                #expect(ids.openIDs.count == TestApps.all.count)
                #expect(await state.userIDs(mobile: "+8613000000000") == nil)
                #expect(await state.userIDs(mobile: "garbage") == nil)

                let code = try await state.authorizationCode(appID: TestApps.main.appID, user: ids.unionID, redirectURI: OAuthTests.redirect)
                let reply = try await client.exchange(code)
                #expect(reply.code == 0)
                let info = try await client.userInfo(try #require(reply.json?["access_token"]?.stringValue))
                #expect(info.data?["open_id"]?.stringValue == ids.openID(appID: TestApps.main.appID))

                await #expect(throws: EmulatorOAuthError.unknownApp("cli_nobody")) {
                    try await state.authorizationCode(appID: "cli_nobody", user: "zhangsan", redirectURI: OAuthTests.redirect)
                }
                await #expect(throws: EmulatorOAuthError.unknownUser("nobody")) {
                    try await state.authorizationCode(appID: TestApps.main.appID, user: "nobody", redirectURI: OAuthTests.redirect)
                }
            }
        }

        @Test func formDecodingTreatsPlusAsSpace() {
            let parsed = FormURLEncoded.parse("scope=a%3Ab+offline_access&state=x%2By&empty=&flag")
            #expect(parsed["scope"] == ["a:b offline_access"])
            #expect(parsed["state"] == ["x+y"])
            #expect(parsed["empty"] == [""])
            #expect(parsed["flag"] == [""])
            #expect(FormURLEncoded.encode("a b+c/é") == "a%20b%2Bc%2F%C3%A9")
        }
    }
}
