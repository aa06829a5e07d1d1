import Crypto
import FeishuEmulator
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// `POST /open-apis/jssdk/ticket/get` (`feishu-api.md` §2.6) and the side door's `h5sdk.config` check.
@Suite struct JSSDKTicketTests {
    static let path = "/open-apis/jssdk/ticket/get"
    static let api = "POST /open-apis/jssdk/ticket/get"

    static func ticket(_ api: API) async throws -> (ticket: String, expireIn: Int) {
        let reply = try await api.send(.post, Self.path)
        #expect(reply.status == .ok, "\(reply.text)")
        return (try #require(reply.data?["ticket"]?.stringValue), try #require(reply.data?["expire_in"]?.intValue))
    }

    /// The signature of `feishu-api.md` §2.6, written out here from the formula.
    static func signature(ticket: String, nonce: String, timestamp: String, url: String) -> String {
        let text = "jsapi_ticket=" + ticket + "&noncestr=" + nonce + "&timestamp=" + timestamp + "&url=" + url
        return Insecure.SHA1.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    @Test func answersTheDocumentedShapeWithATenantOrAppToken() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.send(.post, Self.path)
            #expect(reply.status == .ok)
            #expect(reply.contentType.hasPrefix("application/json"))
            #expect(reply.json?["code"] == 0)
            #expect(reply.json?["msg"] == "ok")
            let ticket = try #require(reply.data?["ticket"]?.stringValue)
            #expect(ticket.hasPrefix("jt-") && ticket.count > 20)
            #expect(reply.data?["expire_in"] == 7200)
            #expect(reply.logID != nil)

            // An app token of the same app gets the same ticket.
            let appToken = try await api.client.send(.post, "/open-apis/auth/v3/app_access_token/internal",
                                                     json: ["app_id": .string(TestApps.main.appID), "app_secret": .string(TestApps.main.appSecret)])
            let token = try #require(appToken.json?["app_access_token"]?.stringValue)
            let withAppToken = try await api.client.send(.post, Self.path, authorization: "Bearer " + token)
            #expect(withAppToken.data?["ticket"]?.stringValue == ticket)
        }
    }

    @Test func refusedWithoutAValidToken() async throws {
        try await withEmulator { api async throws in
            let missing = try await api.client.send(.post, Self.path)
            #expect(missing.status == .badRequest)
            #expect(missing.code == 99991661)
            let unknown = try await api.client.send(.post, Self.path, authorization: "Bearer t-nosuchtoken")
            #expect(unknown.code == 99991663)
            #expect(unknown.data == nil)
            // Expired tokens too.
            _ = try await Self.ticket(api)
            #expect(try await api.admin(.post, "tokens/expire").status == .ok)
            let expired = try await api.send(.post, Self.path)
            #expect(expired.code == 99991663)
            // Counted like any API: 4 calls, 3 refused.
            let counters = try await api.admin(.get, "state?org=false").json?["counters"]
            #expect(counters?["calls"]?[Self.api] == 4)
            #expect(counters?["errors"]?[Self.api] == 3)
        }
    }

    @Test func stableUntilAQuarterOfItsLifeIsLeftPerApp() async throws {
        try await withEmulator { api async throws in
            try await api.client.freezeClock()
            let first = try await Self.ticket(api)
            #expect(first.expireIn == 7200)
            // Another app has its own ticket.
            let other = try await Self.ticket(try await api.asApp(TestApps.other))
            #expect(other.ticket != first.ticket)

            // 5300 s later: 1900 s left → the same ticket with what it has left.
            try await api.client.advanceClock(seconds: 5300)
            let later = try await Self.ticket(api)
            #expect(later.ticket == first.ticket)
            #expect(later.expireIn == 1900)

            // 200 s more: 1700 s left, under a quarter → a new ticket for the full lifetime; the old one still signs.
            try await api.client.advanceClock(seconds: 200)
            let renewed = try await Self.ticket(try await api.asApp(TestApps.main))
            #expect(renewed.ticket != first.ticket)
            #expect(renewed.expireIn == 7200)
            let state = try await api.admin(.get, "jssdk")
            #expect(state.json?["tickets_issued"] == 3)
            #expect(state.json?["current"]?[TestApps.main.appID]?["ticket"]?.stringValue == renewed.ticket)

            let url = "https://oa.example.com/m/approval?id=42"
            for ticket in [first.ticket, renewed.ticket] {
                let check = try await api.admin(.post, "jssdk/config", [
                    "app_id": .string(TestApps.main.appID), "url": .string(url + "#top"), "timestamp": 1_764_146_400_000,
                    "nonce_str": "Y7a8KkqX041bsSwT",
                    "signature": .string(Self.signature(ticket: ticket, nonce: "Y7a8KkqX041bsSwT", timestamp: "1764146400000", url: url)),
                ])
                #expect(check.json?["ok"] == true, "\(check.text)")
            }
            // After its expiry the first ticket signs nothing.
            try await api.client.advanceClock(seconds: 1800)
            let stale = try await api.admin(.post, "jssdk/config", [
                "app_id": .string(TestApps.main.appID), "url": .string(url), "timestamp": "1764146400000", "nonce_str": "Y7a8KkqX041bsSwT",
                "signature": .string(Self.signature(ticket: first.ticket, nonce: "Y7a8KkqX041bsSwT", timestamp: "1764146400000", url: url)),
            ])
            #expect(stale.json?["ok"] == false)
        }
    }

    @Test func configCheckRefusesWrongSignaturesAndNamesMissingFields() async throws {
        try await withEmulator { api async throws in
            let ticket = try await Self.ticket(api).ticket
            let url = "https://oa.example.com/page"
            let good = Self.signature(ticket: ticket, nonce: "abcdefgh", timestamp: "1764146400000", url: url)
            var fields: [String: JSON] = ["app_id": .string(TestApps.main.appID), "url": .string(url), "timestamp": "1764146400000",
                                          "nonce_str": "abcdefgh", "signature": .string(good)]
            #expect(try await api.admin(.post, "jssdk/config", .object(fields)).json?["ok"] == true)
            for (field, value) in [("url", "https://oa.example.com/other"), ("timestamp", "1764146400001"), ("nonce_str", "abcdefgi")] {
                var changed = fields
                changed[field] = .string(value)
                let reply = try await api.admin(.post, "jssdk/config", .object(changed))
                #expect(reply.json?["ok"] == false, "\(field)")
                #expect(reply.json?["reason"]?.stringValue?.isEmpty == false)
            }
            // Another app's ticket does not sign for this one.
            var otherApp = fields
            otherApp["app_id"] = .string(TestApps.other.appID)
            #expect(try await api.admin(.post, "jssdk/config", .object(otherApp)).json?["ok"] == false)
            fields["signature"] = nil
            let missing = try await api.admin(.post, "jssdk/config", .object(fields))
            #expect(missing.status == .badRequest)
            #expect(missing.adminErrorField == "signature")
        }
    }

    @Test func rateLimitedLikeOtherAPIs() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            try await api.client.freezeClock()
            var codes: [Int] = []
            for _ in 0..<51 { codes.append(try await api.send(.post, Self.path).code ?? -1) }
            #expect(codes.prefix(50).allSatisfy { $0 == 0 })
            #expect(codes.last == 99991400)
            let counters = try await api.admin(.get, "state?org=false").json?["counters"]
            #expect(counters?["rate_limited"]?[Self.api] == 1)
        }
    }
}
