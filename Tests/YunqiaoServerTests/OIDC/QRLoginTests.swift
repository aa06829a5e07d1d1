import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// 扫码登录 (seed 五, issue #16): the setting's rules, OIDC and CAS sign-ins outside the Feishu client sent to the QR
/// page, the enterprise choice, the QR page's state and Content-Security-Policy, and the settings page.
@Suite(.timeLimit(.minutes(2)))
struct QRLoginTests {
    typealias Visit = FirstVisitTests

    struct Setting: Decodable {
        var enabled: Bool
        var appIds: [Int64]
        var pageURL: String?
        var embedScriptURL: String?
    }

    static func enable(_ env: APIEnvironment, _ apps: [Int64]) async throws {
        let saved = try await env.api.put("qr-login", #"{"enabled":true,"appIds":[\#(apps.map(String.init).joined(separator: ","))]}"#)
        #expect(saved.status == .ok, "\(saved.text)")
    }

    @Test func theSettingNamesTheTenantsAppsOnePerEnterprise() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let off = try await env.api.get("qr-login").decode(Setting.self)
            #expect(!off.enabled && off.appIds.isEmpty && off.pageURL == "\(Visit.domain)/qr-login/\(env.tenantId)")
            #expect(off.embedScriptURL == "\(Visit.domain)/static/qr-login-embed.js")

            let refusals = [
                (#"{"enabled":true}"#, "appIds"), (#"{"enabled":true,"appIds":[9999]}"#, "appIds[0]"),
                (#"{"enabled":true,"appIds":[\#(setup.app.id),\#(setup.app.id)]}"#, "appIds"), (#"{"appIds":[]}"#, "enabled"),
                (#"{"enabled":true,"appIds":[\#(setup.app.id)],"apps":[]}"#, "apps"),
            ]
            for (body, field) in refusals {
                let refused = try await env.api.put("qr-login", body)
                #expect(refused.status == .badRequest && refused.text.contains(#""field":"\#(field)""#), "\(body): \(refused.text)")
            }
            // A second app of the same enterprise is refused: one QR code per enterprise.
            let second = try await env.api.post("enterprises/\(setup.enterpriseId)/apps", #"{"appID":"cli_second","appSecret":"secret-2"}"#)
                .decode(AppView.self)
            let twice = try await env.api.put("qr-login", #"{"enabled":true,"appIds":[\#(setup.app.id),\#(second.id)]}"#)
            #expect(twice.status == .badRequest && twice.text.contains(#""field":"appIds[1]""#), "\(twice.text)")

            try await Self.enable(env, [setup.app.id])
            #expect(try await env.api.get("qr-login").decode(Setting.self).appIds == [setup.app.id])
            let audit = try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.action == "settings.update" && $0.target == "qrLogin" }
            #expect(audit.count == 1)
            try await Self.enable(env, [setup.app.id])  // the same again: nothing written
            #expect(try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.target == "qrLogin" }.count == 1)
            // Deleting the app takes it out of the setting.
            #expect(try await env.api.delete("apps/\(setup.app.id)").status == .noContent)
            #expect(try await env.api.get("qr-login").decode(Setting.self).appIds.isEmpty)
        }
    }

    @Test func aCASSignInScansTheQRCodeThenBindsAndGetsItsTicket() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            _ = try await OIDCProviderTests.register(env, app: setup.app.id)
            let emulator = try #require(env.emulator?.baseURL)
            let service = CASServerTests.service.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""

            // Off: straight to Feishu's authorize page, as before.
            let plain = try await env.anonymous.get("/cas/\(env.tenantId)/login?service=\(service)")
            #expect(plain.headers[.location]?.hasPrefix(emulator + "/open-apis/authen/v1/authorize?") == true)

            try await Self.enable(env, [setup.app.id])
            // Inside the Feishu client there is nothing to scan.
            let inClient = try await env.anonymous.call(.get, "/cas/\(env.tenantId)/login?service=\(service)",
                                                        headers: [.userAgent: "Mozilla/5.0 (iPhone) Lark/7.20.0 LarkLocale/zh_CN"])
            #expect(inClient.headers[.location]?.hasPrefix(emulator + "/open-apis/authen/v1/authorize?") == true)

            let login = try await env.anonymous.get("/cas/\(env.tenantId)/login?service=\(service)")
            let qrPath = try #require(login.headers[.location])
            #expect(login.status == .found && qrPath.hasPrefix("/qr-login/\(env.tenantId)?flow="), "\(qrPath)")
            let page = try await env.anonymous.call(.get, qrPath, headers: [.accept: "text/html"])
            #expect(page.status == .ok && page.text.contains("飞书扫码登录") && page.text.contains("id=\"qr-box\""), "\(page.text)")
            #expect(page.text.contains("<script src=\"\(emulator)/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js\""))
            let csp = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("script-src 'self' \(emulator)") && csp.contains("frame-src \(emulator)") && csp.contains("frame-ancestors 'none'"))
            let goto = try #require(page.text.firstMatch(of: /data-goto="([^"]+)"/)).1.replacingOccurrences(of: "&amp;", with: "&")
            #expect(goto.hasPrefix(emulator + "/suite/passport/oauth/authorize?client_id="), "\(goto)")
            let state = try #require(URLComponents(string: goto)?.queryItems?.first { $0.name == "state" }?.value)
            #expect(page.cookie("yq_oauth_state") == state)

            // The web sign-in link of the page carries the same state: Feishu answers at the callback, the user binds.
            let web = try #require(page.text.firstMatch(of: /id="qr-web-login"/) != nil ? page.text.firstMatch(of: /href="([^"]+)" id="qr-web-login"/) : nil)
            let back = try await Visit.authorize(String(web.1).replacingOccurrences(of: "&amp;", with: "&"), as: "root1")
            let form = try await Visit.callback(env, try Visit.callbackPath(try #require(back.location), app: setup.app.id), cookie: state)
            #expect(form.status == .ok && form.text.contains("name=\"token\""), "\(form.text)")
            let bound = try await Visit.bind(env, app: setup.app.id, token: try Visit.token(in: form), loginID: "zhang", password: Visit.oaPassword)
            let ticket = try CASServerTests.ticket(bound)
            #expect(try await CASServerTests.validate(env, ticket).contains("<cas:user>zhang</cas:user>"))

            // The page can be reloaded while the sign-in waits; a forged or foreign handle is refused.
            #expect(try await env.anonymous.call(.get, qrPath, headers: [.accept: "text/html"]).status == .ok)
            let forged = try await env.anonymous.call(.get, "/qr-login/\(env.tenantId)?flow=forged", headers: [.accept: "text/html"])
            #expect(forged.status == .badRequest && forged.text.contains("登录已过期"))
            let otherTenant = try await env.anonymous.call(.get, "/qr-login/999?flow=x", headers: [.accept: "text/html"])
            #expect(otherTenant.status == .notFound && otherTenant.text.contains("扫码登录未开启"))
        }
    }

    @Test func withTwoEnterprisesTheUserChoosesFirst() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let other = try await env.api.post("enterprises", #"{"name":"子公司"}"#).decode(EnterpriseView.self)
            let otherApp = try await env.api.post("enterprises/\(other.id)/apps", #"{"name":"子公司 OA","appID":"cli_sub","appSecret":"secret-3"}"#)
                .decode(AppView.self)
            try await Self.enable(env, [setup.app.id, otherApp.id])
            let choice = try await env.anonymous.call(.get, "/qr-login/\(env.tenantId)", headers: [.accept: "text/html"])
            #expect(choice.status == .ok && choice.text.contains("请选择您所在的企业") && choice.text.contains("子公司")
                && !choice.text.contains("qr-box") && choice.cookie("yq_oauth_state") == nil, "\(choice.text)")
            let chosen = try await env.anonymous.call(.get, "/qr-login/\(env.tenantId)?app=\(otherApp.id)", headers: [.accept: "text/html"])
            #expect(chosen.status == .ok && chosen.text.contains("id=\"qr-enterprise\">子公司<") && chosen.text.contains("client_id=cli_sub")
                && chosen.text.contains("id=\"qr-switch\""))
            // The brand's own hosts for Feishu: the CDN script and the passport authorize page.
            #expect(chosen.text.contains("https://lf-package-cn.feishucdn.com/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js"))
            #expect(chosen.text.contains("data-goto=\"https://passport.feishu.cn/suite/passport/oauth/authorize?client_id=cli_sub"))
            // An app that is not offered is not chosen: the choice again.
            let foreign = try await env.anonymous.call(.get, "/qr-login/\(env.tenantId)?app=9999", headers: [.accept: "text/html"])
            #expect(foreign.text.contains("请选择您所在的企业"))
        }
    }

    @Test func theSettingsPageSaysToAddFeishuFirstThenSaves() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let browser = try await ConsoleOADirectoryTests.Browser.signIn(env)
            let empty = try await browser.get("/console/qr-login")
            #expect(empty.status == .ok && empty.text.contains("请先添加飞书") && empty.text.contains("href=\"/console/enterprises\""))
            let setup = try await Visit.setUp(env)
            let page = try await browser.get("/console/qr-login")
            #expect(page.text.contains("name=\"app_\(setup.enterpriseId)\"") && page.text.contains("qr-login-embed.js"))
            let refused = try await browser.post("/console/qr-login", [("enabled", "on"), ("app_\(setup.enterpriseId)", "")])
            #expect(refused.status == .badRequest && refused.text.contains("请选择扫码登录使用的飞书应用"), "\(refused.text)")
            let saved = try await browser.post("/console/qr-login", [("enabled", "on"), ("app_\(setup.enterpriseId)", "\(setup.app.id)")])
            #expect(saved.status == .seeOther)
            let after = try await browser.get("/console/qr-login?saved=1")
            #expect(after.text.contains("id=\"qr-enabled\" checked") && after.text.contains("value=\"\(setup.app.id)\" selected"))
            #expect(try await browser.get("/console/sso").text.contains("id=\"sso-qr-status\">已开启<"))
        }
    }
}
