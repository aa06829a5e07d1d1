import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

/// `POST /api/v1/apps/{id}/jsapi-signature`: the OA server gets a page's `h5sdk.config` values with its OA key; every
/// field is checked and the page must be on one of the app's trusted domains.
@Suite(.timeLimit(.minutes(2)))
struct OAJSAPITests {
    struct Signed: Decodable, Equatable {
        var appId: String
        var timestamp: Int64
        var nonceStr: String
        var signature: String
        var url: String
    }

    static let ticketAPI = "POST /open-apis/jssdk/ticket/get"

    /// An enterprise on the emulator with its app, the external domain `https://bridge.example.com`, and an OA key.
    static func setUp(_ env: APIEnvironment) async throws -> (app: AppView, oa: APICaller) {
        let (_, created) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
        let app = try #require(created)
        #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#).status == .ok)
        let key = try await env.api.post("oa-keys", #"{"name":"OA 服务端"}"#)
        #expect(key.status == .created)
        let secret = try #require(try key.decode(OAPushAPITests.Key.self).key)
        return (app, APICaller(client: env.client, credentials: .token(secret)))
    }

    static func path(_ app: AppView) -> String { "/api/v1/apps/\(app.id)/jsapi-signature" }

    static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// What the emulator, as the Feishu client, says of `h5sdk.config` with these values on the page `url`.
    static func feishuAccepts(_ env: APIEnvironment, _ signed: Signed, page url: String) async throws -> Bool {
        let emulator = try #require(env.emulator)
        let (status, json) = await emulator.state.admin("POST", "/_emulator/jssdk/config", body: [
            "app_id": .string(signed.appId), "url": .string(url), "timestamp": .string("\(signed.timestamp)"),
            "nonce_str": .string(signed.nonceStr), "signature": .string(signed.signature),
        ])
        #expect(status == 200)
        return json?["ok"]?.boolValue == true
    }

    static func ticketCalls(_ env: APIEnvironment) async throws -> Int {
        await (try #require(env.emulator)).state.snapshot()["counters"]?["calls"]?[ticketAPI]?.intValue ?? 0
    }

    @Test func signsPagesOfTheTrustedDomainsAsTheFeishuClientChecksThem() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (app, oa) = try await Self.setUp(env)
            let timestamp = Self.nowMilliseconds
            let page = "https://bridge.example.com/m/approval?id=42&from=feishu"
            let answer = try await oa.post(Self.path(app), #"{"url":"\#(page)#/detail","nonceStr":"Y7a8KkqX041bsSwT","timestamp":\#(timestamp)}"#)
            #expect(answer.status == .ok, "\(answer)")
            #expect(answer.headers[.cacheControl] == "no-store")
            let signed = try answer.decode(Signed.self)
            #expect(signed.appId == APIEnvironment.emulatorApp.appID)
            #expect(signed.timestamp == timestamp && signed.nonceStr == "Y7a8KkqX041bsSwT")
            #expect(signed.url == page)
            #expect(signed.signature.count == 40 && signed.signature.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            // The emulator checks the signature with its own ticket, as a Feishu client does on h5sdk.config.
            #expect(try await Self.feishuAccepts(env, signed, page: page + "#/detail"))
            #expect(try await Self.feishuAccepts(env, signed, page: "https://bridge.example.com/m/approval?id=43") == false)

            // Nonce and timestamp left out: the bridge makes them.
            let made = try await oa.post(Self.path(app), #"{"url":"\#(page)"}"#).decode(Signed.self)
            #expect(made.nonceStr.count == 16 && made.nonceStr.allSatisfy { $0.isLetter || $0.isNumber })
            #expect(abs(made.timestamp - Self.nowMilliseconds) < 60_000)
            #expect(try await Self.feishuAccepts(env, made, page: page))

            // The homepage's host (the OA's pages) is trusted too, and without repeats in the app view.
            let updated = try await env.api.put("apps/\(app.id)", #"""
                {"name":"\#(app.name)","appID":"\#(app.appID)","homepageKind":"custom","homepageURL":"https://OA.example.com:8443/portal"}
                """#)
            #expect(updated.status == .ok, "\(updated)")
            let view = try updated.decode(AppView.self)
            #expect(view.trustedDomains == ["bridge.example.com", "oa.example.com"])
            #expect(view.jsapiSignaturePath == Self.path(app))
            #expect(view.jsapiSignatureURL == "https://bridge.example.com" + Self.path(app))
            let oaPage = try await oa.post(Self.path(app), #"{"url":"https://oa.example.com:8443/m/todo?id=7"}"#)
            #expect(oaPage.status == .ok, "\(oaPage)")
            #expect(try await Self.feishuAccepts(env, try oaPage.decode(Signed.self), page: "https://oa.example.com:8443/m/todo?id=7"))

            // One ticket for all of it, and for many callers at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let answer = try await oa.post(Self.path(app), #"{"url":"\#(page)&n=\#(index)"}"#)
                        #expect(answer.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Self.ticketCalls(env) == 1)
        }
    }

    @Test func everyFieldIsCheckedAndNamed() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (app, oa) = try await Self.setUp(env)
            let now = Self.nowMilliseconds
            let page = "https://bridge.example.com/page"
            let cases: [(body: String, status: HTTPResponse.Status, field: String)] = [
                ("{}", .badRequest, "url"),
                (#"{"url":""}"#, .badRequest, "url"),
                (#"{"url":42}"#, .badRequest, "url"),
                (#"{"url":null}"#, .badRequest, "url"),
                (#"{"url":"/page"}"#, .badRequest, "url"),
                (#"{"url":"ftp://bridge.example.com/page"}"#, .badRequest, "url"),
                (#"{"url":"https:///page"}"#, .badRequest, "url"),
                (#"{"url":"https://bridge.example.com/a b"}"#, .badRequest, "url"),
                (#"{"url":"https://bridge.example.com/审批"}"#, .badRequest, "url"),
                (#"{"url":"https://user:pw@bridge.example.com/page"}"#, .badRequest, "url"),
                (#"{"url":"https://bridge.example.com/\#(String(repeating: "a", count: 4080))"}"#, .badRequest, "url"),
                (#"{"url":"\#(page)","nonceStr":"short"}"#, .badRequest, "nonceStr"),
                (#"{"url":"\#(page)","nonceStr":"\#(String(repeating: "n", count: 65))"}"#, .badRequest, "nonceStr"),
                (#"{"url":"\#(page)","nonceStr":"abcdefgh&url=https://evil.example.com/"}"#, .badRequest, "nonceStr"),
                (#"{"url":"\#(page)","nonceStr":"abc defgh"}"#, .badRequest, "nonceStr"),
                (#"{"url":"\#(page)","nonceStr":12345678}"#, .badRequest, "nonceStr"),
                (#"{"url":"\#(page)","timestamp":\#(now / 1000)}"#, .badRequest, "timestamp"),
                (#"{"url":"\#(page)","timestamp":\#(now + 11 * 60_000)}"#, .badRequest, "timestamp"),
                (#"{"url":"\#(page)","timestamp":\#(now - 11 * 60_000)}"#, .badRequest, "timestamp"),
                (#"{"url":"\#(page)","timestamp":"\#(now)"}"#, .badRequest, "timestamp"),
                (#"{"url":"\#(page)","timestamp":1.5}"#, .badRequest, "timestamp"),
                (#"{"url":"\#(page)","noncestr":"abcdefgh"}"#, .badRequest, "noncestr"),
                ("[1,2]", .badRequest, "body"),
                ("not json", .badRequest, "body"),
                (#"{"url":"\#(page)","pad":"\#(String(repeating: "x", count: 17 * 1024))"}"#, .contentTooLarge, "body"),
                // A request that is fine in itself, for a page of another host.
                (#"{"url":"https://evil.example.com/page"}"#, .conflict, "url"),
                (#"{"url":"https://bridge.example.com.evil.example.com/page"}"#, .conflict, "url"),
                (#"{"url":"https://evil.example.com/?bridge.example.com"}"#, .conflict, "url"),
            ]
            for (body, status, field) in cases {
                let answer = try await oa.post(Self.path(app), body)
                #expect(answer.status == status, "\(body.prefix(120)) → \(answer)")
                #expect(answer.error?.field == field, "\(body.prefix(120)) → \(answer)")
                #expect(answer.error?.message.isEmpty == false)
            }
            let refused = try await oa.post(Self.path(app), #"{"url":"https://evil.example.com/page"}"#)
            #expect(refused.error?.message == "evil.example.com is not a trusted domain of the app (bridge.example.com)")
            // Nothing refused reached Feishu.
            #expect(try await Self.ticketCalls(env) == 0)
            // Bounds are inclusive: 8 and 64 characters, a timestamp just inside the window.
            for body in [#"{"url":"\#(page)","nonceStr":"a-b_c9Z0"}"#, #"{"url":"\#(page)","nonceStr":"\#(String(repeating: "n", count: 64))"}"#,
                         #"{"url":"\#(page)","timestamp":\#(Self.nowMilliseconds - 9 * 60_000)}"#]
            {
                let answer = try await oa.post(Self.path(app), body)
                #expect(answer.status == .ok, "\(body) → \(answer)")
            }
        }
    }

    @Test func onlyTheTenantsOAKeysMayAsk() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (app, oa) = try await Self.setUp(env)
            let body = #"{"url":"https://bridge.example.com/page"}"#
            #expect(try await env.anonymous.post(Self.path(app), body).status == .unauthorized)
            // An admin API token is not an OA key.
            #expect(try await env.api.post(Self.path(app), body).status == .unauthorized)
            let otherKey = try await env.otherAPI.post("oa-keys", #"{"name":"别家 OA"}"#).decode(OAPushAPITests.Key.self)
            let other = APICaller(client: env.client, credentials: .token(try #require(otherKey.key)))
            #expect(try await other.post(Self.path(app), body).status == .notFound)
            #expect(try await oa.post("/api/v1/apps/9999/jsapi-signature", body).status == .notFound)
            #expect(try await oa.post("/api/v1/apps/abc/jsapi-signature", body).error?.field == "id")
            #expect(try await oa.post(Self.path(app), body).status == .ok)
            let keys = try await env.api.get("oa-keys").items(OAPushAPITests.Key.self)
            #expect(try await env.api.delete("oa-keys/\(try #require(keys.first).id)").status == .noContent)
            #expect(try await oa.post(Self.path(app), body).status == .unauthorized)
        }
    }

    @Test func anAppWithoutTrustedDomainsOrTicketIsRefused() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (_, created) = try await AdminAPIFeishuTests.emulatorEnterprise(env, secret: "wrong-secret-0000")
            let app = try #require(created)
            let key = try await env.api.post("oa-keys", #"{"name":"OA"}"#).decode(OAPushAPITests.Key.self)
            let oa = APICaller(client: env.client, credentials: .token(try #require(key.key)))
            #expect(app.trustedDomains.isEmpty)
            let none = try await oa.post(Self.path(app), #"{"url":"https://bridge.example.com/page"}"#)
            #expect(none.status == .conflict)
            #expect(none.error?.field == "url")
            #expect(none.error?.message.contains("no trusted domain") == true)

            // A trusted page, but Feishu refuses the app's credentials: 503, and the secret is in no answer or log.
            _ = try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#)
            let refused = try await oa.post(Self.path(app), #"{"url":"https://bridge.example.com/page"}"#)
            #expect(refused.status == .serviceUnavailable, "\(refused)")
            #expect(refused.error?.message.hasPrefix("Feishu gave no jsapi_ticket for the app") == true, "\(refused)")
            #expect(!refused.text.contains("wrong-secret-0000") && !env.logs.text.contains("wrong-secret-0000"))
        }
    }

    @Test func theAppPageShowsTheTrustedDomainsAndTheEndpoint() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (app, _) = try await Self.setUp(env)
            _ = try await env.api.put("apps/\(app.id)", #"""
                {"name":"\#(app.name)","appID":"\#(app.appID)","homepageKind":"custom","homepageURL":"https://oa.example.com/portal"}
                """#)
            let session = try await env.session()
            let page = try await session.call(.get, "/console/apps/\(app.id)", headers: [.cookie: "lang=zh"])
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<code id="trusted-domain">bridge.example.com</code>"#))
            #expect(page.text.contains(#"<code class="trusted-domain-other">oa.example.com</code>"#))
            #expect(page.text.contains("POST https://bridge.example.com/api/v1/apps/\(app.id)/jsapi-signature"))
            #expect(page.text.contains("JSAPI 鉴权") && page.text.contains("可签名的域名"))
            let english = try await session.call(.get, "/console/apps/\(app.id)", headers: [.cookie: "lang=en"])
            #expect(english.text.contains("JSAPI authorization") && english.text.contains("Domains it signs"))
        }
    }
}
