import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

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
