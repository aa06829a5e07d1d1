import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

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
