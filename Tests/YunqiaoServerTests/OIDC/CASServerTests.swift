import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The bridge as a CAS server (issue #16): a registered service gets a ticket after the Feishu sign-in (bind on first
/// visit), validates it once (CAS 2.0 and 3.0 with attributes), for its own service URL only; unregistered services
/// never get a redirect.
@Suite(.timeLimit(.minutes(2)))
struct CASServerTests {
    typealias Visit = FirstVisitTests
    static let service = "https://oa.example/oidc/callback?return=%2Fhome"

    static func login(_ env: APIEnvironment, app: Int64, service: String = service) async throws -> Answer {
        let encoded = service.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let login = try await env.anonymous.get("/cas/\(env.tenantId)/login?service=\(encoded)")
        #expect(login.status == .found, "\(login.text)")
        let back = try await Visit.authorize(try #require(login.headers[.location]), as: "root1")
        return try await Visit.callback(env, try Visit.callbackPath(try #require(back.location), app: app), cookie: login.cookie("yq_oauth_state"))
    }

    static func ticket(_ answer: Answer) throws -> String {
        let location = try #require(answer.headers[.location])
        #expect(location.hasPrefix(service + "&ticket=ST-"), "\(location)")
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "ticket" }?.value)
    }

    static func validate(_ env: APIEnvironment, _ ticket: String, service: String = service, version: String = "p3/") async throws -> String {
        let encoded = service.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let answer = try await env.anonymous.get("/cas/\(env.tenantId)/\(version)serviceValidate?service=\(encoded)&ticket=\(ticket)")
        #expect(answer.status == .ok && answer.headers[.contentType]?.hasPrefix("application/xml") == true)
        return answer.text
    }

    @Test func aServiceGetsATicketValidOnceForItself() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            _ = try await OIDCProviderTests.register(env, app: setup.app.id)

            let form = try await Self.login(env, app: setup.app.id)
            #expect(form.status == .ok && form.text.contains("name=\"token\""))
            let bound = try await Visit.bind(env, app: setup.app.id, token: try Visit.token(in: form), loginID: "zhang", password: Visit.oaPassword)
            let ticket = try Self.ticket(bound)
            let success = try await Self.validate(env, ticket)
            #expect(success.contains("<cas:user>zhang</cas:user>") && success.contains("<cas:oaUserID>2001</cas:oaUserID>")
                && success.contains("<cas:name>张三</cas:name>"), "\(success)")
            #expect(try await Self.validate(env, ticket).contains(#"<cas:authenticationFailure code="INVALID_TICKET">"#))

            // Bound now: straight back with a ticket; CAS 2.0 has no attributes; another service cannot use it.
            let second = try Self.ticket(try await Self.login(env, app: setup.app.id))
            #expect(try await Self.validate(env, second, service: "https://oa.example/oidc/callback?return=%2Fother")
                .contains(#"code="INVALID_SERVICE""#))
            let third = try Self.ticket(try await Self.login(env, app: setup.app.id))
            let plain = try await Self.validate(env, third, version: "")
            #expect(plain.contains("<cas:user>zhang</cas:user>") && !plain.contains("cas:attributes"))
            #expect(try await Self.validate(env, "forged").contains(#"code="INVALID_TICKET""#))
            #expect(try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.action == "cas.login" }.count == 3)
        }
    }

    @Test func unregisteredServicesNeverGetARedirect() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            _ = try await OIDCProviderTests.register(env, app: setup.app.id)
            for service in ["https://evil.example/", "https://oa.example/oidc/callbackevil", "https://oa.example/", "javascript:alert(1)", ""] {
                let encoded = service.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let answer = try await env.anonymous.get("/cas/\(env.tenantId)/login?service=\(encoded)")
                #expect(answer.status == .badRequest && answer.headers[.location] == nil, "\(service)")
                let logout = try await env.anonymous.get("/cas/\(env.tenantId)/logout?service=\(encoded)")
                #expect(logout.headers[.location] == nil, "\(service)")
            }
            let logout = try await env.anonymous.get("/cas/\(env.tenantId)/logout?service=https%3A%2F%2Foa.example%2Foidc%2Fcallback")
            #expect(logout.status == .found && logout.headers[.location] == "https://oa.example/oidc/callback")
        }
    }

    @Test func theConsoleRegistersAnOAAndShowsItsSecretOnce() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let browser = try await ConsoleOAToFeishuTests.Browser.signIn(env)
            let page = try await browser.get("/console/sso")
            #expect(page.status == .ok && page.text.contains("单点登录") && page.text.contains("\(Visit.domain)/oidc/\(env.tenantId)")
                && page.text.contains("\(Visit.domain)/cas/\(env.tenantId)"))
            let refused = try await browser.post("/console/sso", [("name", "OA"), ("appId", "\(setup.app.id)"), ("redirectURIs", "ftp://x")])
            #expect(refused.status == .badRequest && refused.text.contains("第 1 个回调地址"), "\(refused.text)")
            let created = try await browser.post("/console/sso", [("name", "示例 OA"), ("appId", "\(setup.app.id)"),
                                                                  ("redirectURIs", "https://oa.example/cb\nhttps://oa.example/cb2")])
            #expect(created.status == .created && created.text.contains("id=\"sso-secret\" class=\"secret\">yqs_"))
            let client = try #require(try await env.database.oidc.oidcClients(tenantId: env.tenantId).first)
            #expect(client.redirectURIs == ["https://oa.example/cb", "https://oa.example/cb2"])
            #expect(!(try await browser.get("/console/sso").text.contains("yqs_")))
            let rotated = try await browser.post("/console/sso/\(client.id ?? 0)/secret")
            #expect(rotated.text.contains("yqs_") && rotated.text.contains(client.clientID))
            #expect(try await browser.post("/console/sso/\(client.id ?? 0)/delete").status == .seeOther)
            #expect(try await env.database.oidc.oidcClients(tenantId: env.tenantId).isEmpty)
        }
    }
}
