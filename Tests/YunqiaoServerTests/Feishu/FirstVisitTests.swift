import AsyncHTTPClient
import FeishuEmulator
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// A Feishu user's first visit (issue #6): the app's homepage URL → Feishu OAuth (the emulator's authorize page) →
/// callback → homepage target when bound, else auto-bind or the OA login form.
@Suite(.timeLimit(.minutes(2)))
struct FirstVisitTests {
    static let domain = "http://bridge.test"
    static let oaPassword = "oa-secret-123"
    struct Binding: Decodable { var oaUserID: String; var unionID: String; var openID: String?; var method: String; var field: String? }

    /// A synced enterprise with the emulator's app, the external domain `http://bridge.test`, an OA homepage app at
    /// `/oa/portal` as the app's homepage, and the OA user `zhang` (password ``oaPassword``).
    struct Setup {
        var enterpriseId: Int64
        var app: AppView
        var users: [String: UserView]
    }

    static func setUp(_ env: APIEnvironment, homepage: String = #""homepageKind":"oaApp""#) async throws -> Setup {
        let (enterprise, created) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
        let app = try #require(created)
        let started = try await env.api.post("enterprises/\(enterprise.id)/sync").decode(AdminAPIFeishuTests.SyncStartBody.self)
        _ = try await AdminAPIFeishuTests.waitForRun(env, enterprise: enterprise.id, id: started.run.id)
        let page = try await env.api.get("enterprises/\(enterprise.id)/users?limit=200").decode(UserPage.self)
        let users = Dictionary(uniqueKeysWithValues: page.users.compactMap { user in user.userID.map { ($0, user) } })
        #expect(try await env.api.put("settings", #"{"externalDomain":"\#(domain)"}"#).status == .ok)
        let portal = try await env.api.post("homepage-apps", #"{"name":"OA 门户","url":"/oa/portal"}"#).decode(HomepageAppView.self)
        let homepageJSON = homepage == #""homepageKind":"oaApp""# ? #"\#(homepage),"homepageAppId":\#(portal.id)"# : homepage
        let updated = try await env.api.put("apps/\(app.id)", #"{"name":"\#(app.name)","appID":"\#(app.appID)",\#(homepageJSON)}"#)
        #expect(updated.status == .ok, "\(updated)")
        try await env.database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: env.tenantId, oaID: "2001", loginID: "zhang", name: "张三", passwordHash: try await Passwords.hash(oaPassword)),
            OAUserRecord(tenantId: env.tenantId, oaID: "2002", loginID: "gone", name: "离开者", status: "left",
                         passwordHash: try await Passwords.hash(oaPassword)),
        ])
        return Setup(enterpriseId: enterprise.id, app: try updated.decode(AppView.self), users: users)
    }

    // MARK: the browser's steps

    /// `GET /feishu/apps/{id}/home`: the authorize URL, its state and the state cookie.
    static func open(_ env: APIEnvironment, app: Int64) async throws -> (location: String, state: String, cookie: String) {
        let answer = try await env.anonymous.get("/feishu/apps/\(app)/home")
        #expect(answer.status == .found, "\(answer)")
        let location = try #require(answer.headers[.location])
        let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
        let cookie = try #require(answer.cookie("yq_oauth_state"))
        #expect(cookie == state)
        let line = try #require(answer.setCookie("yq_oauth_state"))
        #expect(line.contains("HttpOnly") && line.contains("SameSite=Lax") && line.contains("Path=/feishu/apps/\(app)/oauth"))
        return (location, state, cookie)
    }

    /// The emulator's authorize page with `login_as`: where it sends the browser back to (the callback with a code).
    static func authorize(_ location: String, as user: String) async throws -> (status: Int, location: String?) {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(HTTPClientRequest(url: location + "&login_as=" + user), timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), response.headers.first(name: "location"))
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    /// The callback the emulator redirected to, as a path on the bridge (the host is the external domain).
    static func callbackPath(_ location: String, app: Int64) throws -> String {
        let prefix = "\(domain)/feishu/apps/\(app)/oauth/callback?"
        #expect(location.hasPrefix(prefix), "\(location)")
        return String(location.dropFirst(domain.count))
    }

    static func callback(_ env: APIEnvironment, _ path: String, cookie: String?) async throws -> Answer {
        var headers: HTTPFields = [.accept: "text/html"]
        if let cookie { headers[.cookie] = "yq_oauth_state=\(cookie)" }
        return try await env.anonymous.call(.get, path, headers: headers)
    }

    /// Home → authorize as `user` → callback: the bridge's answer.
    static func visit(_ env: APIEnvironment, app: Int64, as user: String) async throws -> Answer {
        let started = try await open(env, app: app)
        let back = try await authorize(started.location, as: user)
        #expect(back.status == 302)
        return try await callback(env, try callbackPath(try #require(back.location), app: app), cookie: started.cookie)
    }

    static func token(in form: Answer) throws -> String {
        let match = try #require(form.text.firstMatch(of: /name="token" value="([^"]+)"/))
        return String(match.1)
    }

    static func bind(_ env: APIEnvironment, app: Int64, token: String, loginID: String, password: String) async throws -> Answer {
        let fields = [("token", token), ("loginID", loginID), ("password", password)]
        return try await env.anonymous.call(.post, "/feishu/apps/\(app)/bind", body: formBody(fields),
                                            headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    static func bindings(_ env: APIEnvironment, _ enterprise: Int64) async throws -> [Binding] {
        try await env.api.get("enterprises/\(enterprise)/bindings").items(Binding.self)
    }

    // MARK: tests

    @Test func manualBindOnFirstVisitThenStraightToTheHomepage() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Self.setUp(env)
            let app = setup.app.id
            let emulator = try #require(env.emulator?.baseURL)
            #expect(setup.app.homepageURL == "\(Self.domain)/feishu/apps/\(app)/home")

            // Home → the emulator's authorize page with the app id, the redirect URL and the state.
            let started = try await Self.open(env, app: app)
            let redirect = "\(Self.domain)/feishu/apps/\(app)/oauth/callback"
            let components = try #require(URLComponents(string: started.location))
            #expect(started.location.hasPrefix("\(emulator)/open-apis/authen/v1/authorize?"))
            let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(query == ["client_id": APIEnvironment.emulatorApp.appID, "response_type": "code", "redirect_uri": redirect,
                              "state": started.state])

            // Back with a code: not bound → the OA login form for this Feishu user.
            let back = try await Self.authorize(started.location, as: "root1")
            let path = try Self.callbackPath(try #require(back.location), app: app)
            let form = try await Self.callback(env, path, cookie: started.cookie)
            #expect(form.status == .ok, "\(form)")
            #expect(form.text.contains("id=\"bind-form\"") && form.text.contains("根成员一"))
            #expect(!form.text.contains("id=\"admin-name\""))
            #expect(form.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("form-action 'self' \(Self.domain)") == true)
            #expect(form.setCookie("yq_oauth_state")?.contains("Max-Age=0") == true)
            let token = try Self.token(in: form)

            // Wrong password, unknown login, a user who left: 401, the form again, nothing bound.
            let wrong = try await Self.bind(env, app: app, token: token, loginID: "zhang", password: "nope")
            #expect(wrong.status == .unauthorized && wrong.text.contains("账号或密码错误") && wrong.text.contains("value=\"zhang\""))
            #expect(try Self.token(in: wrong) == token)
            #expect(try await Self.bind(env, app: app, token: token, loginID: "nobody", password: Self.oaPassword).status == .unauthorized)
            #expect(try await Self.bind(env, app: app, token: token, loginID: "gone", password: Self.oaPassword).status == .unauthorized)
            #expect(try await Self.bindings(env, setup.enterpriseId).isEmpty)
            #expect(try await Self.bind(env, app: app, token: "forged", loginID: "zhang", password: Self.oaPassword).status == .badRequest)

            // The right one: bound by hand, on to the homepage target (a path of the OA homepage app: on the external domain).
            let done = try await Self.bind(env, app: app, token: token, loginID: "zhang", password: Self.oaPassword)
            #expect(done.status == .seeOther, "\(done)")
            #expect(done.headers[.location] == "\(Self.domain)/oa/portal")
            let bindings = try await Self.bindings(env, setup.enterpriseId)
            #expect(bindings.count == 1)
            #expect(bindings.first?.oaUserID == "2001" && bindings.first?.unionID == setup.users["root1"]?.unionID)
            #expect(bindings.first?.method == "manual" && bindings.first?.openID == setup.users["root1"]?.openID)
            let audit = try await env.api.get("audit?action=binding.bind").items(AuditEntry.self)
            #expect(audit.first?.actor == "oa:zhang")

            // The form's token is spent.
            #expect(try await Self.bind(env, app: app, token: token, loginID: "zhang", password: Self.oaPassword).status == .badRequest)

            // The next visit goes straight to the target.
            let again = try await Self.visit(env, app: app, as: "root1")
            #expect(again.status == .found && again.headers[.location] == "\(Self.domain)/oa/portal", "\(again)")

            // Another Feishu user cannot take the same OA account.
            let other = try await Self.visit(env, app: app, as: "root2")
            let taken = try await Self.bind(env, app: app, token: try Self.token(in: other), loginID: "zhang", password: Self.oaPassword)
            #expect(taken.status == .conflict && taken.text.contains("已绑定其他飞书账号"))
            #expect(try await Self.bindings(env, setup.enterpriseId).count == 1)
        }
    }

    @Test func stateAndCodeMisuseAreRefused() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Self.setUp(env)
            let app = setup.app.id
            let expired = "登录已过期，请从飞书重新打开应用"

            // No state at all.
            let bare = try await Self.callback(env, "/feishu/apps/\(app)/oauth/callback?code=abc", cookie: nil)
            #expect(bare.status == .badRequest && bare.text.contains(expired))

            // A state that is not the browser's, or not the one the bridge issued.
            let started = try await Self.open(env, app: app)
            let back = try await Self.authorize(started.location, as: "root1")
            let path = try Self.callbackPath(try #require(back.location), app: app)
            let forged = path.replacingOccurrences(of: "state=\(started.state)", with: "state=forged")
            #expect(try await Self.callback(env, forged, cookie: started.cookie).status == .badRequest)
            #expect(try await Self.callback(env, forged, cookie: "forged").status == .badRequest)
            #expect(try await Self.callback(env, path, cookie: nil).status == .badRequest)
            #expect(try await Self.callback(env, path, cookie: "another").status == .badRequest)
            // Another app's callback with this state.
            #expect(try await Self.callback(env, path.replacingOccurrences(of: "/apps/\(app)/", with: "/apps/999/"),
                                            cookie: started.cookie).status == .notFound)

            // The real one works once; replayed it is refused.
            let first = try await Self.callback(env, path, cookie: started.cookie)
            #expect(first.status == .ok && first.text.contains("bind-form"), "\(first)")
            let replay = try await Self.callback(env, path, cookie: started.cookie)
            #expect(replay.status == .badRequest && replay.text.contains(expired))

            // A used code with a fresh state: Feishu (the emulator) refuses it, the page says so.
            let fresh = try await Self.open(env, app: app)
            let code = try #require(URLComponents(string: path)?.queryItems?.first { $0.name == "code" }?.value)
            let reused = try await Self.callback(env, "/feishu/apps/\(app)/oauth/callback?code=\(code)&state=\(fresh.state)", cookie: fresh.cookie)
            #expect(reused.status == .badRequest && reused.text.contains("授权码已使用"), "\(reused)")

            // Declined on Feishu's page.
            let declined = try await Self.open(env, app: app)
            let denied = try await Self.callback(env, "/feishu/apps/\(app)/oauth/callback?error=access_denied&state=\(declined.state)",
                                                 cookie: declined.cookie)
            #expect(denied.status == .badRequest && denied.text.contains("飞书授权未完成"))

            // Unknown app; no external domain: clear pages, no redirect.
            let unknown = try await env.anonymous.get("/feishu/apps/999/home")
            #expect(unknown.status == .notFound && unknown.text.contains("应用不存在"))
            #expect(try await env.api.put("settings", #"{"externalDomain":""}"#).status == .ok)
            let unset = try await env.anonymous.get("/feishu/apps/\(app)/home")
            #expect(unset.status == .serviceUnavailable && unset.text.contains("云桥对外域名尚未设置"))
            #expect(unset.headers[.location] == nil)
        }
    }

    @Test func autoBindOnFirstVisitSkipsTheForm() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Self.setUp(env, homepage: #""homepageKind":"custom","homepageURL":"https://oa.example.com/portal?x=1""#)
            let app = setup.app.id
            try await env.database.oaDirectory.upsertOAUsers([
                OAUserRecord(tenantId: env.tenantId, oaID: "3001", loginID: "deep-oa", name: "最深处", mobile: "139 0000 0004"),
            ])
            // Disabled: the form.
            let form = try await Self.visit(env, app: app, as: "deep")
            #expect(form.status == .ok && form.text.contains("bind-form"))
            #expect(form.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("https://oa.example.com") == true)

            let settings = try await env.api.put("enterprises/\(setup.enterpriseId)/binding-settings",
                                                 #"{"autoBindEnabled":true,"fields":["mobile"]}"#)
            #expect(settings.status == .ok)
            let bound = try await Self.visit(env, app: app, as: "deep")
            #expect(bound.status == .found && bound.headers[.location] == "https://oa.example.com/portal?x=1", "\(bound)")
            let bindings = try await Self.bindings(env, setup.enterpriseId)
            #expect(bindings.count == 1)
            #expect(bindings.first?.oaUserID == "3001" && bindings.first?.method == "auto" && bindings.first?.field == "mobile")
            #expect(bindings.first?.unionID == setup.users["deep"]?.unionID)

            // No match (root1 has no OA user with its mobile): still the form.
            let unmatched = try await Self.visit(env, app: app, as: "root1")
            #expect(unmatched.status == .ok && unmatched.text.contains("bind-form"))
            #expect(try await Self.bindings(env, setup.enterpriseId).count == 1)
        }
    }

    /// Feishu's and Lark's public platforms have their authorize page on the accounts host; any other API base serves
    /// it itself.
    @Test(arguments: [
        (#""brand":"feishu""#, "https://accounts.feishu.cn/open-apis/authen/v1/authorize?"),
        (#""brand":"lark""#, "https://accounts.larksuite.com/open-apis/authen/v1/authorize?"),
        (#""baseURL":"https://feishu.corp.example/""#, "https://feishu.corp.example/open-apis/authen/v1/authorize?"),
    ])
    func authorizePageHost(enterprise: String, expected: String) async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("enterprises", #"{"name":"企业",\#(enterprise)}"#).decode(EnterpriseView.self)
            let app = try await env.api.post("enterprises/\(created.id)/apps", #"{"name":"应用","appID":"cli_a1b2c3","appSecret":"s3cret-0000"}"#)
                .decode(AppView.self)
            #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#).status == .ok)
            let answer = try await env.anonymous.get("/feishu/apps/\(app.id)/home")
            #expect(answer.status == .found)
            let location = try #require(answer.headers[.location])
            #expect(location.hasPrefix(expected), "\(location)")
            let redirect = "https%3A%2F%2Fbridge.example.com%2Ffeishu%2Fapps%2F\(app.id)%2Foauth%2Fcallback"
            #expect(location.contains("client_id=cli_a1b2c3&response_type=code&redirect_uri=\(redirect)&state="))
        }
    }

    @Test func withoutAHomepageTheUserSeesWhoTheyAreBoundAs() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Self.setUp(env, homepage: #""homepageKind":"none""#)
            let app = setup.app.id
            let form = try await Self.visit(env, app: app, as: "multi")
            let done = try await Self.bind(env, app: app, token: try Self.token(in: form), loginID: "zhang", password: Self.oaPassword)
            #expect(done.status == .ok && done.text.contains("张三") && done.text.contains("id=\"bound-as\""), "\(done)")
            let again = try await Self.visit(env, app: app, as: "multi")
            #expect(again.status == .ok && again.text.contains("张三"))
        }
    }
}
