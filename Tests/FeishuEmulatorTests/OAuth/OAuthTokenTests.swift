import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

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
