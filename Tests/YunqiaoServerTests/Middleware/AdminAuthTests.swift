import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// Who may call the admin API: tokens, console sessions with CSRF, sign-in and its throttle, tenants.
@Suite(.timeLimit(.minutes(2)))
struct AdminAuthTests {
    /// Every admin API route with sample ids, as `(method, path)`.
    static func apiRoutes(_ env: APIEnvironment) -> [(HTTPRequest.Method, String)] {
        env.routes.compactMap { route in
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/api/admin/v1/"), let method = HTTPRequest.Method(parts[0]) else { return nil }
            let path = parts[1].replacingOccurrences(of: "{user}", with: "on_x").replacingOccurrences(of: #"\{[a-z]+\}"#, with: "1",
                                                                                                      options: .regularExpression)
            return (method, path)
        }
    }

    @Test func everyAdminRouteWantsCredentials() async throws {
        try await APIEnvironment.with { env in
            let routes = Self.apiRoutes(env)
            #expect(routes.count >= 30)
            for (method, path) in routes {
                let answer = try await env.anonymous.call(method, path, body: method == .get || method == .delete ? nil : "{}")
                #expect(answer.status == .unauthorized, "\(method) \(path): \(answer)")
                #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(answer.error?.message.contains("API token") == true, "\(method) \(path): \(answer)")
            }
        }
    }

    @Test func badOrMalformedTokensAreRefused() async throws {
        try await APIEnvironment.with { env in
            let wrong = try await APICaller(client: env.client, credentials: .token("yq_not-a-real-token")).get("me")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.error?.field == "Authorization")
            let basic = try await env.anonymous.call(.get, "me", headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
            #expect(basic.status == .unauthorized)
            #expect(basic.error?.field == "Authorization")
            // Health and metrics need no sign-in: an Authorization header there is ignored, not refused.
            let health = try await env.anonymous.call(.get, "/healthz", headers: [.authorization: "Bearer nope"])
            #expect(health.status == .ok)

            let me = try await env.api.get("me")
            #expect(me.status == .ok)
            let json = try #require(me.json as? [String: Any])
            #expect(json["name"] as? String == "token:ci")
            #expect(json["via"] as? String == "token")
            #expect((json["tenantId"] as? Int).map(Int64.init) == env.tenantId)
        }
    }

    @Test func tokensAreShownOnceAndStopWorkingWhenRevoked() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()  // tokens are created from a console login
            let created = try await session.post("tokens", #"{"name":"deploy script"}"#)
            #expect(created.status == .created)
            let token = try created.decode(TokenView.self)
            let plaintext = try #require(token.token)
            #expect(plaintext.hasPrefix("yq_"))
            #expect(plaintext.count > 40)
            #expect(token.hint == "••••" + plaintext.suffix(4))
            #expect(token.createdBy == "admin")
            #expect(token.revokedAt == nil)

            let caller = APICaller(client: env.client, credentials: .token(plaintext))
            let me = try await caller.get("me")
            #expect(me.status == .ok)
            #expect((me.json as? [String: Any])?["name"] as? String == "token:deploy script")

            // The list shows hints only.
            let list = try await env.api.get("tokens")
            #expect(list.status == .ok)
            #expect(!list.text.contains(plaintext))
            let tokens = try list.items(TokenView.self)
            #expect(tokens.map(\.name) == ["deploy script", "ci"])
            #expect(tokens.allSatisfy { $0.token == nil && $0.hint.hasPrefix("••••") })
            #expect(tokens.first?.lastUsedAt != nil)

            // Audited with a mask.
            let audit = try await env.api.get("audit?action=token")
            #expect(!audit.text.contains(plaintext))
            let entry = try #require(try audit.items(AuditEntry.self).first { $0.action == "token.create" })
            #expect(entry.actor == "admin")
            #expect(entry.after?["token"] == token.hint)

            let bad = try await session.post("tokens", #"{"name":"  "}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.error?.field == "name")

            // Revoked: refused at once; revoking twice is fine; other tenants cannot revoke it.
            #expect(try await env.otherAPI.delete("tokens/\(token.id)").status == .notFound)
            #expect(try await caller.get("me").status == .ok)
            let revoked = try await env.api.delete("tokens/\(token.id)")
            #expect(revoked.status == .noContent)
            #expect(revoked.text.isEmpty)
            let after = try await caller.get("me")
            #expect(after.status == .unauthorized)
            #expect(after.error?.field == "Authorization")
            #expect(try await env.api.delete("tokens/\(token.id)").status == .noContent)
            #expect(try await env.api.delete("tokens/9999").status == .notFound)
            #expect(try await env.api.delete("tokens/x").status == .badRequest)
            let listed = try await env.api.get("tokens").items(TokenView.self)
            #expect(listed.first { $0.id == token.id }?.revokedAt != nil)
            let revokeEntry = try await env.api.get("audit?action=token.revoke").items(AuditEntry.self)
            #expect(revokeEntry.count == 1)
            #expect(revokeEntry.first?.before?["token"] == token.hint)
        }
    }

    @Test func sessionsNeedTheCSRFTokenForChanges() async throws {
        try await APIEnvironment.with { env in
            let withoutCSRF = try await env.session(csrf: false)
            // Reading needs no CSRF token.
            let me = try await withoutCSRF.get("me")
            #expect(me.status == .ok)
            #expect((me.json as? [String: Any])?["name"] as? String == "admin")
            #expect((me.json as? [String: Any])?["via"] as? String == "session")
            #expect(try await withoutCSRF.get("enterprises").status == .ok)

            // Every changing route refuses a session without its CSRF token, before doing anything.
            for (method, path) in Self.apiRoutes(env) where method != .get {
                let answer = try await withoutCSRF.call(method, path, body: method == .delete ? nil : #"{"name":"x"}"#)
                #expect(answer.status == .forbidden, "\(method) \(path): \(answer)")
                #expect(answer.error?.field == "_csrf", "\(method) \(path): \(answer)")
            }
            #expect(try await env.database.integration.enterprises(tenantId: env.tenantId).isEmpty)

            // A wrong token is refused too.
            guard case .session(let cookie, _) = withoutCSRF.credentials else { Issue.record("not a session"); return }
            let wrong = APICaller(client: env.client, credentials: .session(cookie: cookie, csrf: "wrong"))
            let refused = try await wrong.put("settings", #"{"externalDomain":"https://a.example.com"}"#)
            #expect(refused.status == .forbidden)
            #expect(refused.error?.field == "_csrf")

            // With the header it works, and the audit log names the admin.
            let session = try await env.session()
            let created = try await session.post("enterprises", #"{"name":"会话企业"}"#)
            #expect(created.status == .created)
            let updated = try await session.put("settings", #"{"externalDomain":"https://a.example.com"}"#)
            #expect(updated.status == .ok)
            let id = try created.decode(EnterpriseView.self).id
            #expect(try await session.delete("enterprises/\(id)").status == .noContent)
            let audit = try await env.api.get("audit?actor=admin").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["enterprise.delete", "settings.update", "enterprise.create", "admin.login", "admin.login"])
        }
    }

    @Test func aFormBodyMayCarryTheCSRFToken() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            guard case .session(let cookie, let csrf?) = session.credentials else { Issue.record("not a session"); return }
            let form = APICaller(client: env.client, credentials: .session(cookie: cookie, csrf: nil))
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let answer = try await form.call(.put, "settings", body: formBody([("externalDomain", "https://form.example.com/"), ("_csrf", csrf)]),
                                             headers: headers)
            #expect(answer.status == .ok, "\(answer)")
            #expect(try answer.decode(SettingsView.self).externalDomain == "https://form.example.com")
            let refused = try await form.call(.put, "settings", body: formBody([("externalDomain", "https://x.example.com"), ("_csrf", "nope")]),
                                              headers: headers)
            #expect(refused.status == .forbidden)
        }
    }

    @Test func loginSetsASessionCookie() async throws {
        try await APIEnvironment.with { env in
            let page = try await env.anonymous.get("/login")
            #expect(page.status == .ok)
            let loginCookie = try #require(page.setCookie("yq_login"))
            #expect(loginCookie.contains("HttpOnly"))
            #expect(loginCookie.contains("SameSite=Strict"))
            #expect(loginCookie.contains("Path=/login"))
            let formToken = try #require(page.cookie("yq_login"))
            #expect(page.text.contains(formToken))

            let answer = try await env.login(username: "admin", password: APIEnvironment.password, csrfCookie: formToken, csrfField: formToken)
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/console")
            let cookie = try #require(answer.setCookie("yq_session"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.lowercased().contains("secure"))
            // The login form's cookie is dropped.
            #expect(answer.setCookie("yq_login")?.contains("Max-Age=0") == true)

            let session = APICaller(client: env.client, credentials: .session(cookie: try #require(answer.cookie("yq_session")), csrf: nil))
            #expect(try await session.get("me").status == .ok)

            let login = try #require(try await env.api.get("audit?action=admin.login").items(AuditEntry.self).first)
            #expect(login.actor == "admin")
            #expect(login.target == "admin admin")
        }
    }

    @Test func cookiesAreSecureBehindHTTPS() async throws {
        try await APIEnvironment.with { env in
            let answer = try await env.login(username: "admin", password: APIEnvironment.password, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(answer.status == .seeOther)
            #expect(try #require(answer.setCookie("yq_session")).hasSuffix("; Secure"))
            #expect(try #require(answer.setCookie("yq_login")).contains("; Secure"))
        }
        var never = ServerConfiguration()
        never.secureCookies = .never
        try await APIEnvironment.with(configuration: never) { env in
            let answer = try await env.login(username: "admin", password: APIEnvironment.password, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(answer.status == .seeOther)
            #expect(try #require(answer.setCookie("yq_session")).contains("Secure") == false)
        }
        var always = ServerConfiguration()
        always.secureCookies = .always
        try await APIEnvironment.with(configuration: always) { env in
            let answer = try await env.login(username: "admin", password: APIEnvironment.password)
            #expect(try #require(answer.setCookie("yq_session")).contains("; Secure"))
        }
    }

    @Test func wrongPasswordsAndMissingCSRFAreRefused() async throws {
        try await APIEnvironment.with { env in
            let wrong = try await env.login(username: "admin", password: "not the password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.setCookie("yq_session") == nil)
            #expect(wrong.headers[.contentType]?.hasPrefix("text/html") == true)
            let unknown = try await env.login(username: "nobody", password: APIEnvironment.password)
            #expect(unknown.status == .unauthorized)
            #expect(unknown.setCookie("yq_session") == nil)

            let noCookie = try await env.login(username: "admin", password: APIEnvironment.password, csrfCookie: nil)
            #expect(noCookie.status == .forbidden)
            #expect(noCookie.error?.field == "_csrf")
            #expect(noCookie.setCookie("yq_session") == nil)
            let noField = try await env.login(username: "admin", password: APIEnvironment.password, csrfField: nil)
            #expect(noField.status == .forbidden)
            let mismatch = try await env.login(username: "admin", password: APIEnvironment.password, csrfCookie: "a", csrfField: "b")
            #expect(mismatch.status == .forbidden)
            #expect(mismatch.error?.field == "_csrf")
            // The log names the user name, never the password.
            #expect(env.logs.text.contains("console login failed"))
            #expect(!env.logs.text.contains("not the password"))
            #expect(!env.logs.text.contains(APIEnvironment.password))
        }
    }

    @Test func failedLoginsAreThrottled() async throws {
        try await APIEnvironment.with { env in
            for _ in 0..<5 {
                #expect(try await env.login(username: "admin", password: "guess").status == .unauthorized)
            }
            // Even the right password waits now.
            let throttled = try await env.login(username: "admin", password: APIEnvironment.password)
            #expect(throttled.status == .tooManyRequests)
            let retryAfter = try #require(throttled.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter > 0 && retryAfter <= 15 * 60)
            #expect(throttled.setCookie("yq_session") == nil)
            // Per user name: another admin may still sign in.
            #expect(try await env.login(username: "bob", password: APIEnvironment.password).status == .seeOther)
        }
    }

    @Test func nextOnlyLeadsToPathsOfTheBridge() async throws {
        try await APIEnvironment.with { env in
            let cases = [
                ("/console/apps?id=3", "/console/apps?id=3"),
                ("//evil.com", "/console"),
                ("https://evil.com/", "/console"),
                ("/\\evil.com", "/console"),
                ("evil.com", "/console"),
                ("", "/console"),
            ]
            for (next, expected) in cases {
                let answer = try await env.login(username: "admin", password: APIEnvironment.password, next: next)
                #expect(answer.status == .seeOther)
                #expect(answer.headers[.location] == expected, "next=\(next)")
            }
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            guard case .session(let cookie, let csrf?) = session.credentials else { Issue.record("not a session"); return }
            let withoutCSRF = APICaller(client: env.client, credentials: .session(cookie: cookie, csrf: nil))
            let refused = try await withoutCSRF.call(.post, "/logout")
            #expect(refused.status == .forbidden)
            #expect(refused.error?.field == "_csrf")
            #expect(try await session.get("me").status == .ok)

            let answer = try await withoutCSRF.call(.post, "/logout", body: formBody([("_csrf", csrf)]),
                                                    headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/login")
            #expect(answer.setCookie("yq_session") != nil)
            #expect(try await session.get("me").status == .unauthorized)
            // Without a session: just the redirect.
            #expect(try await env.anonymous.call(.post, "/logout").status == .seeOther)
        }
    }

    @Test func tenantsSeeOnlyTheirOwnEntries() async throws {
        try await APIEnvironment.with { env in
            let enterprise = try await env.api.post("enterprises", #"{"name":"甲企业"}"#).decode(EnterpriseView.self)
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps", #"{"appID":"cli_tenant_a","appSecret":"tenant-a-secret"}"#)
                .decode(AppView.self)
            let homepage = try await env.api.post("homepage-apps", #"{"name":"门户","url":"/spa/portal"}"#).decode(HomepageAppView.self)
            _ = try await env.api.put("settings", #"{"externalDomain":"https://a.example.com"}"#)

            let other = env.otherAPI
            #expect(try await other.get("enterprises").items(EnterpriseView.self).isEmpty)
            #expect(try await other.get("homepage-apps").items(HomepageAppView.self).isEmpty)
            #expect(try await other.get("settings").decode(SettingsView.self).externalDomain == nil)
            let hidden = [
                try await other.get("enterprises/\(enterprise.id)"),
                try await other.put("enterprises/\(enterprise.id)", #"{"name":"抢走"}"#),
                try await other.delete("enterprises/\(enterprise.id)"),
                try await other.get("enterprises/\(enterprise.id)/apps"),
                try await other.post("enterprises/\(enterprise.id)/apps", #"{"appID":"cli_b","appSecret":"b"}"#),
                try await other.get("apps/\(app.id)"),
                try await other.put("apps/\(app.id)", #"{"appID":"cli_b"}"#),
                try await other.post("apps/\(app.id)/test-credentials"),
                try await other.delete("apps/\(app.id)"),
                try await other.get("homepage-apps/\(homepage.id)"),
                try await other.put("homepage-apps/\(homepage.id)", #"{"name":"x","url":"/x"}"#),
                try await other.delete("homepage-apps/\(homepage.id)"),
                try await other.get("enterprises/\(enterprise.id)/departments"),
                try await other.get("enterprises/\(enterprise.id)/users"),
                try await other.get("enterprises/\(enterprise.id)/users/on_x"),
                try await other.post("enterprises/\(enterprise.id)/sync"),
                try await other.get("enterprises/\(enterprise.id)/sync-runs"),
                try await other.post("settings/check-network", #"{"enterpriseId":\#(enterprise.id)}"#),
            ]
            for answer in hidden { #expect(answer.status == .notFound, "\(answer)") }
            // Choosing another tenant's homepage app is refused.
            let enterpriseB = try await other.post("enterprises", #"{"name":"乙企业"}"#).decode(EnterpriseView.self)
            let borrowed = try await other.post("enterprises/\(enterpriseB.id)/apps",
                                                #"{"appID":"cli_b","appSecret":"b-secret","homepageKind":"oaApp","homepageAppId":\#(homepage.id)}"#)
            #expect(borrowed.status == .badRequest)
            #expect(borrowed.error?.field == "homepageAppId")
            // Names are per tenant; the audit logs are separate.
            #expect(try await other.post("enterprises", #"{"name":"甲企业"}"#).status == .created)
            let audit = try await other.get("audit").items(AuditEntry.self)
            #expect(audit.allSatisfy { $0.actor == "token:bob-ci" || $0.actor == "system" })
            #expect(!audit.contains { $0.target.contains("甲企业") && $0.actor != "token:bob-ci" })
            // A console session of the other tenant too.
            let bob = try await env.session(username: "bob")
            #expect(try await bob.get("enterprises/\(enterprise.id)").status == .notFound)
            #expect(try await bob.get("enterprises").items(EnterpriseView.self).map(\.name).sorted() == ["乙企业", "甲企业"])
            #expect(try await env.api.get("enterprises/\(enterprise.id)").decode(EnterpriseView.self).name == "甲企业")
        }
    }

    @Test func healthNeedsNoSignIn() async throws {
        try await APIEnvironment.with { env in
            let answer = try await env.anonymous.get("/healthz")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(answer.text == #"{"status":"ok"}"#)
            let root = try await env.anonymous.get("/")
            #expect(root.status == .found)
            #expect(root.headers[.location] == "/console")
            let unknown = try await env.anonymous.get("/api/admin/v1/nothing-here")
            #expect(unknown.status == .unauthorized || unknown.status == .notFound)
        }
    }
}
