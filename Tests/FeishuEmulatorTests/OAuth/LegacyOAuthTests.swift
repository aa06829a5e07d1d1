import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

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
