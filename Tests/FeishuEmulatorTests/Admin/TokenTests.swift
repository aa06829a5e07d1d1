import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// `POST /open-apis/auth/v3/tenant_access_token/internal` and `app_access_token/internal` (`feishu-api.md` §2.1–2.2).
@Suite struct TokenTests {
    static let tenantPath = "/open-apis/auth/v3/tenant_access_token/internal"
    static let appPath = "/open-apis/auth/v3/app_access_token/internal"

    @Test func tenantTokenFieldsAreTopLevel() async throws {
        try await withClient { client async throws in
            let reply = try await client.tenantTokenReply(TestApps.main)
            #expect(reply.status == .ok)
            #expect(reply.contentType.hasPrefix("application/json"))
            let json = try #require(reply.json?.objectValue)
            #expect(json["code"] == 0)
            #expect(json["expire"] == 7200)
            #expect(json["data"] == nil)
            let token = try #require(json["tenant_access_token"]?.stringValue)
            #expect(token.hasPrefix("t-"))
            #expect(token.count > 10)
        }
    }

    @Test func bodyIsParsedWithoutContentType() async throws {
        try await withClient { client async throws in
            // The official SDK sends the JSON body without a Content-Type header.
            let reply = try await client.send(.post, Self.tenantPath, raw: #"{"app_id":"cli_test_main000001","app_secret":"secret-main"}"#)
            #expect(reply.status == .ok)
            #expect(reply.code == 0)
            #expect(reply.json?["tenant_access_token"]?.stringValue?.hasPrefix("t-") == true)
        }
    }

    @Test func trailingSlashIsTolerated() async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.post, Self.tenantPath + "/",
                                              json: ["app_id": "cli_test_main000001", "app_secret": "secret-main"])
            #expect(reply.status == .ok)
            #expect(reply.code == 0)
        }
    }

    @Test(arguments: [
        #"{"app_id":"cli_nobody","app_secret":"secret-main"}"#,
        #"{"app_id":"cli_test_main000001","app_secret":"wrong"}"#,
        #"{"app_id":"cli_test_main000001"}"#,
        #"app_id=cli_test_main000001&app_secret=secret-main"#,
        "",
    ])
    func badCredentialsAreHTTP200WithCode10003(body: String) async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.post, Self.tenantPath, raw: body)
            #expect(reply.status == .ok)
            #expect(reply.contentType.hasPrefix("application/json"))
            #expect(reply.code == 10003)
            #expect(reply.json?["data"] == [:])
            #expect(reply.json?["tenant_access_token"] == nil)
        }
    }

    @Test func sameTokenWhileMoreThanHalfAnHourLeft() async throws {
        try await withClient { client async throws in
            // The emulator's clock stands still: a loaded machine cannot spend the lifetime between the calls.
            try await client.freezeClock()
            let first = try await client.tenantToken(TestApps.main)
            let again = try await client.tenantTokenReply(TestApps.main)
            #expect(again.json?["tenant_access_token"]?.stringValue == first)
            #expect((again.json?["expire"]?.intValue ?? 0) <= 7200)

            // 5300 s later: 1900 s left, still ≥ 30 min → same token, with the remaining lifetime.
            try await client.advanceClock(seconds: 5300)
            let later = try await client.tenantTokenReply(TestApps.main)
            #expect(later.json?["tenant_access_token"]?.stringValue == first)
            let expire = try #require(later.json?["expire"]?.intValue)
            #expect((1890...1900).contains(expire))
        }
    }

    @Test func newTokenOnceLessThanHalfAnHourLeftAndBothStayValid() async throws {
        try await withClient { client async throws in
            let old = try await client.tenantToken(TestApps.main)
            try await client.advanceClock(seconds: 5401)  // 1799 s left
            let reply = try await client.tenantTokenReply(TestApps.main)
            let new = try #require(reply.json?["tenant_access_token"]?.stringValue)
            #expect(new != old)
            #expect(new.hasPrefix("t-"))
            #expect(reply.json?["expire"] == 7200)
            // The next call inside the new token's window returns the new one again.
            #expect(try await client.tenantToken(TestApps.main) == new)

            let scopes = "/open-apis/contact/v3/scopes"
            #expect(try await client.send(.get, scopes, authorization: "Bearer " + old).code == 0)
            #expect(try await client.send(.get, scopes, authorization: "Bearer " + new).code == 0)

            // Past the old token's own expiry only the new one works.
            try await client.advanceClock(seconds: 1800)
            let expired = try await client.send(.get, scopes, authorization: "Bearer " + old)
            #expect(expired.status == .badRequest)
            #expect(expired.code == 99991663)
            #expect(try await client.send(.get, scopes, authorization: "Bearer " + new).code == 0)
        }
    }

    @Test func appsGetDifferentTokens() async throws {
        try await withClient { client async throws in
            let main = try await client.tenantToken(TestApps.main)
            let other = try await client.tenantToken(TestApps.other)
            #expect(main != other)
        }
    }

    @Test func appAccessTokenAlsoCarriesTheTenantToken() async throws {
        try await withClient { client async throws in
            let tenant = try await client.tenantToken(TestApps.main)
            let reply = try await client.send(.post, Self.appPath, json: ["app_id": "cli_test_main000001", "app_secret": "secret-main"])
            #expect(reply.status == .ok)
            #expect(reply.code == 0)
            let appToken = try #require(reply.json?["app_access_token"]?.stringValue)
            #expect(appToken != tenant)
            #expect(reply.json?["tenant_access_token"]?.stringValue == tenant)
            #expect(reply.json?["expire"] == 7200)
            #expect(reply.json?["data"] == nil)

            let wrong = try await client.send(.post, Self.appPath, json: ["app_id": "cli_test_main000001", "app_secret": "nope"])
            #expect(wrong.status == .ok)
            #expect(wrong.code == 10003)
        }
    }

    @Test func getOnTheTokenEndpointIsAPlain404() async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.get, Self.tenantPath)
            #expect(reply.status == .notFound)
            #expect(reply.contentType.hasPrefix("text/plain"))
            #expect(reply.text == "404 page not found")
        }
    }

    @Test func shorterConfiguredLifetimeIsReported() async throws {
        var configuration = try TestOrg.configuration()
        configuration.tokenLifetime = 600
        try await withClient(configuration) { client async throws in
            let reply = try await client.tenantTokenReply(TestApps.main)
            #expect(reply.json?["expire"] == 600)
        }
    }

    @Test func issuedTokensAreCounted() async throws {
        try await withClient { client async throws in
            _ = try await client.tenantToken(TestApps.main)
            _ = try await client.tenantToken(TestApps.main)
            _ = try await client.tenantToken(TestApps.other)
            let state = try await client.admin(.get, "state?org=false")
            #expect(state.json?["counters"]?["tokens_issued"] == 2)
            #expect(state.json?["counters"]?["calls"]?["POST /open-apis/auth/v3/tenant_access_token/internal"] == 3)
        }
    }
}
