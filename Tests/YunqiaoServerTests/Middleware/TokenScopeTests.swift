import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// API tokens with a scope and an expiry (issue #13): created only from a console login, read-only tokens only read,
/// expired tokens are refused.
@Suite(.timeLimit(.minutes(2)))
struct TokenScopeTests {
    @Test func onlyAConsoleSessionCreatesTokens() async throws {
        try await APIEnvironment.with { env in
            let byToken = try await env.api.post("tokens", #"{"name":"from a token"}"#)
            #expect(byToken.status == .forbidden, "\(byToken)")
            #expect(byToken.error?.field == "Authorization")
            #expect(byToken.error?.message == "API tokens are created from a console login, not with an API token")
            // Nor through the console's form with a token.
            let form = try await env.api.call(.post, "/console/tokens", body: "name=sneaky",
                                              headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .forbidden, "\(form.status)")
            #expect(try await env.api.get("tokens").items(TokenView.self).map(\.name) == ["ci"], "nothing created")

            let session = try await env.session()
            let created = try await session.post("tokens", #"{"name":"reports","scope":"readOnly","expiresInDays":30}"#)
            #expect(created.status == .created, "\(created)")
            let token = try created.decode(TokenView.self)
            #expect(token.scope == "readOnly" && token.createdBy == "admin")
            let expiresAt = try #require(token.expiresAt)
            #expect(abs(expiresAt.timeIntervalSinceNow - 30 * 86_400) < 60)
            let audit = try await env.api.get("audit?action=token.create").items(AuditEntry.self)
            #expect(audit.first?.after?["scope"] == "readOnly" && audit.first?.after?["expiresAt"] != nil)

            let full = try await session.post("tokens", #"{"name":"deploy"}"#).decode(TokenView.self)
            #expect(full.scope == "full" && full.expiresAt == nil)

            for (json, field) in [(#"{"name":"x","scope":"admin"}"#, "scope"), (#"{"name":"x","expiresInDays":0}"#, "expiresInDays"),
                                  (#"{"name":"x","expiresInDays":3651}"#, "expiresInDays")]
            {
                let refused = try await session.post("tokens", json)
                #expect(refused.status == .badRequest && refused.error?.field == field, "\(refused)")
            }
        }
    }

    @Test func aReadOnlyTokenOnlyReads() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            let plaintext = try #require(try await session.post("tokens", #"{"name":"reader","scope":"readOnly"}"#).decode(TokenView.self).token)
            let reader = APICaller(client: env.client, credentials: .token(plaintext))
            #expect(try await reader.get("enterprises").status == .ok)
            #expect(try await reader.get("me").status == .ok)
            for answer in [try await reader.post("enterprises", #"{"name":"只读企业"}"#), try await reader.put("settings", #"{"externalDomain":""}"#),
                           try await reader.delete("tokens/1")]
            {
                #expect(answer.status == .forbidden, "\(answer)")
                #expect(answer.error?.field == "Authorization" && answer.error?.message == "this API token is read-only: it may only read (GET)")
            }
            #expect(try await env.api.get("enterprises").items(EnterpriseView.self).isEmpty, "nothing written")
            #expect(try await env.api.post("enterprises", #"{"name":"全权企业"}"#).status == .created, "a full token still writes")
        }
    }

    @Test func anExpiredTokenIs401() async throws {
        try await APIEnvironment.with { env in
            let plaintext = Passwords.token(prefix: "yq_")
            _ = try await env.database.admins.createAPIToken(tenantId: env.tenantId, name: "short", token: plaintext,
                                                             expiresAt: Date().addingTimeInterval(1), by: .system)
            let caller = APICaller(client: env.client, credentials: .token(plaintext))
            #expect(try await caller.get("me").status == .ok)
            try await Task.sleep(for: .milliseconds(1100))
            let expired = try await caller.get("me")
            #expect(expired.status == .unauthorized)
            #expect(expired.error?.field == "Authorization" && expired.error?.message == "unknown, revoked or expired API token")
            await #expect(throws: YunqiaoError.self) {
                try await env.database.admins.createAPIToken(tenantId: env.tenantId, name: "past", token: Passwords.token(prefix: "yq_"),
                                                             expiresAt: Date().addingTimeInterval(-1), by: .system)
            }
        }
    }

    @Test func theConsoleTokenPageOffersScopeAndExpiry() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            let html: HTTPFields = [.accept: "text/html"]
            let page = try await session.call(.get, "/console/tokens", headers: html)
            #expect(page.text.contains(#"name="scope""#) && page.text.contains(#"value="readOnly""#))
            #expect(page.text.contains(#"name="expiresInDays""#) && page.text.contains(#"value="90""#))
            #expect(page.text.contains("只读") && page.text.contains("永不过期"))
            let created = try await session.call(.post, "/console/tokens", body: formBody([("name", "报表"), ("scope", "readOnly"), ("expiresInDays", "90")]),
                                                 headers: [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"])
            #expect(created.status == .created)
            let token = try #require(try await env.api.get("tokens").items(TokenView.self).first { $0.name == "报表" })
            #expect(token.scope == "readOnly" && token.expiresAt != nil)
            let english = try await session.call(.get, "/console/tokens?lang=en", headers: html)
            #expect(english.text.contains("Read only") && english.text.contains("Never"))
        }
    }
}
