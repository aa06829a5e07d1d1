import FeishuKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import YunqiaoCore
import YunqiaoStore

/// A Feishu user opens an app (issue #6, manual bind on first visit): the app's homepage URL sends them through Feishu's
/// OAuth code flow; back at the callback a bound user goes straight to the homepage target, an unbound one is bound
/// automatically (when the enterprise enables it) or logs in to the OA once with the bridge's OA login form.
///
/// Browser pages, no admin sign-in. CSRF: the OAuth `state` is random, kept 10 minutes in the store (spent once) and in
/// a cookie of the browser that started the flow; the OA form carries a one-time token that ties it to the Feishu user
/// the callback saw. Codes are spent by Feishu at the exchange.
struct FirstVisitController {
    let database: YunqiaoDatabase
    let clients: FeishuClients
    let renderer: ConsoleRenderer
    let throttle: LoginThrottle
    /// Checks OA logins with the external OA when the tenant's connector says `external` (else the bridge's hashes).
    var oaLogin: OALoginVerifier? = nil

    static let stateCookie = "yq_oauth_state"
    /// How long a started sign-in (state) and an OA login form (token) stay usable.
    static let lifetime: TimeInterval = 600
    static let statePrefix = "oauth.state."
    static let ticketPrefix = "oauth.bind."

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("feishu/apps/:id/home") { request, context in await guarded(request, context) { try await home(request, context, $0) } }
        router.get("feishu/apps/:id/oauth/callback") { request, context in
            var response = await guarded(request, context) { try await callback(request, context, $0) }
            // The state is spent whatever happened: the browser forgets it too.
            if let id = Self.appId(context) { response.setCookie(Self.stateCookie(appId: id, value: "", maxAge: 0)) }
            return response
        }
        router.post("feishu/apps/:id/bind") { request, context in await guarded(request, context) { try await bind(request, context, $0) } }
    }

    // MARK: what the store keeps

    /// A started sign-in, under `oauth.state.<state>`.
    struct PendingState: Codable {
        var appId: Int64
    }

    /// The Feishu user an OA login form is for, under `oauth.bind.<token>`.
    struct BindTicket: Codable {
        var appId: Int64
        var enterpriseId: Int64
        var unionID: String
        var openID: String?
        var userID: String?
        var name: String
    }

    /// An app and what its pages need.
    struct Visit {
        var app: AppRecord
        var enterprise: EnterpriseRecord
        var appId: Int64
        var externalDomain: String?
        var strings: [String: String]
    }

    /// A page that ends the flow: its status and the string key of its message.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var message: String

        init(_ status: HTTPResponse.Status, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    // MARK: routes

    /// `GET /feishu/apps/:id/home`: to Feishu's authorize page with a fresh state.
    private func home(_ request: Request, _ context: AppRequestContext, _ visit: Visit) async throws -> Response {
        guard let redirectURI = Self.redirectURI(visit) else { throw Refusal(.serviceUnavailable, "fv_domain_unset") }
        let state = Passwords.token(bytes: 24)
        try await database.persist(key: Self.statePrefix + state, value: JSONEncoder().encode(PendingState(appId: visit.appId)),
                                   expiresAt: Date(timeIntervalSinceNow: Self.lifetime))
        let query = ConsoleFormat.query(["client_id": visit.app.appID, "response_type": "code", "redirect_uri": redirectURI, "state": state])
        var response = Response.redirect(to: Self.authorizeBase(visit.enterprise.baseURL) + "/open-apis/authen/v1/authorize" + query,
                                         type: .found)
        response.headers[.cacheControl] = "no-store"
        response.setCookie(Self.stateCookie(appId: visit.appId, value: state, maxAge: Int(Self.lifetime)))
        return response
    }

    /// `GET /feishu/apps/:id/oauth/callback?code=&state=`: checks and spends the state, exchanges the code, finds the
    /// user's binding (or makes one automatically), else shows the OA login form.
    private func callback(_ request: Request, _ context: AppRequestContext, _ visit: Visit) async throws -> Response {
        let query = request.uri.queryParameters
        guard let state = query.get("state")?.nilIfEmpty, let cookie = request.cookies[Self.stateCookie]?.value,
              constantTimeEquals(cookie, state),
              let stored = try await database.takePersisted(key: Self.statePrefix + state),
              let pending = try? JSONDecoder().decode(PendingState.self, from: stored), pending.appId == visit.appId
        else { throw Refusal(.badRequest, "fv_state_expired") }
        if query.get("error") != nil { throw Refusal(.badRequest, "fv_denied") }
        guard let code = query.get("code")?.nilIfEmpty else { throw Refusal(.badRequest, "fv_state_expired") }
        guard let redirectURI = Self.redirectURI(visit) else { throw Refusal(.serviceUnavailable, "fv_domain_unset") }

        let client = try await clients.client(enterprise: visit.enterprise, app: visit.app, database: database)
        let info: FeishuUserInfo
        do {
            let token = try await client.userAccessToken(code: code, redirectURI: redirectURI)
            info = try await client.userInfo(userAccessToken: token.accessToken)
        } catch let error as FeishuOAuthError where error.isCodeSpent {
            context.logger.info("first visit: code refused", metadata: ["app": "\(visit.appId)", "feishu.code": "\(error.code)"])
            throw Refusal(.badRequest, "fv_code_spent")
        } catch let error as FeishuOAuthError {
            context.logger.warning("first visit: code exchange refused", metadata: ["app": "\(visit.appId)", "error": "\(error)"])
            throw Refusal(.badGateway, "fv_feishu_failed")
        } catch let error where !(error is CancellationError) {
            context.logger.warning("first visit: Feishu sign-in failed", metadata: ["app": "\(visit.appId)", "error": "\(error)"])
            throw Refusal(.badGateway, "fv_feishu_failed")
        }

        let enterpriseId = visit.app.enterpriseId
        if let binding = try await database.binding(enterpriseId: enterpriseId, unionID: info.unionID) {
            return try await arrive(request, context, visit, binding)
        }
        let settings = try await database.bindingSettings(tenantId: visit.enterprise.tenantId, enterpriseId: enterpriseId)
        if settings.autoBindEnabled,
           let binding = try await database.autoBindUser(tenantId: visit.enterprise.tenantId, enterpriseId: enterpriseId, unionID: info.unionID,
                                                         fields: settings.fields, by: AuditActor("feishu:\(info.unionID)"))
        {
            context.logger.info("first visit: bound automatically",
                                metadata: ["app": "\(visit.appId)", "feishu.union_id": "\(info.unionID)", "oa.user": "\(binding.oaUserID)"])
            return try await arrive(request, context, visit, binding)
        }

        // The mirror's view of the user when it has them (its ids are the sync app's), else what the login told.
        let listed = try await database.mirrorUser(enterpriseId: enterpriseId, id: info.unionID)?.user
        let ticket = BindTicket(appId: visit.appId, enterpriseId: enterpriseId, unionID: info.unionID, openID: listed?.openID ?? info.openID,
                                userID: listed?.userID ?? info.userID, name: listed?.name ?? info.name)
        let token = Passwords.token(bytes: 24)
        try await database.persist(key: Self.ticketPrefix + token, value: JSONEncoder().encode(ticket),
                                   expiresAt: Date(timeIntervalSinceNow: Self.lifetime))
        return try await loginForm(request, context, visit, token: token, ticket: ticket, error: nil, status: .ok)
    }

    /// `POST /feishu/apps/:id/bind` (token, loginID, password): checks the OA login and binds.
    private func bind(_ request: Request, _ context: AppRequestContext, _ visit: Visit) async throws -> Response {
        var request = request
        let form = FormFields(String(buffer: try await request.collectBody(upTo: 64 * 1024)))
        guard let token = form["token"]?.nilIfEmpty,
              let stored = try await database.persistedValue(key: Self.ticketPrefix + token),
              let ticket = try? JSONDecoder().decode(BindTicket.self, from: stored.value), ticket.appId == visit.appId
        else { throw Refusal(.badRequest, "fv_form_expired") }
        let loginID = (form["loginID"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = form["password"] ?? ""
        func again(_ message: String, _ status: HTTPResponse.Status) async throws -> Response {
            try await loginForm(request, context, visit, token: token, ticket: ticket, error: visit.strings[message] ?? message, status: status,
                                loginID: loginID)
        }

        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let throttleName = "oa:\(visit.enterprise.tenantId):" + loginID
        if let wait = await throttle.retryAfter(username: throttleName, address: address) {
            var response = try await again("fv_throttled", .tooManyRequests)
            response.headers[.retryAfter] = "\(max(1, wait.components.seconds))"
            return response
        }
        let tenantId = visit.enterprise.tenantId
        let user: OAUserRecord?
        switch try await oaLogin?.check(tenantId: tenantId, loginID: loginID, password: password) ?? .embedded {
        case .embedded:
            let found = loginID.isEmpty ? nil : try await database.oaUser(tenantId: tenantId, loginID: loginID)
            if let found, found.status == "active", let hash = found.passwordHash, try await Passwords.verify(password, hash: hash) {
                user = found
            } else {
                user = nil
            }
        case .valid(let oaUserID):
            // The OA vouches for the login; the user must be an active user of the bridge's OA directory.
            guard let found = try await database.oaUser(tenantId: tenantId, oaID: oaUserID), found.status == "active" else {
                await throttle.succeeded(username: throttleName)
                context.logger.warning("first visit: the OA accepted a login the OA directory does not hold",
                                       metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "oa.user": "\(oaUserID)"])
                return try await again("oac_fv_unknown_user", .forbidden)
            }
            user = found
        case .invalid:
            user = nil
        case .unavailable(let reason):
            context.logger.warning("first visit: OA login check unavailable",
                                   metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "error": "\(reason)"])
            return try await again("oac_fv_unavailable", .serviceUnavailable)
        }
        guard let user else {
            await throttle.failed(username: throttleName, address: address)
            context.logger.warning("first visit: OA login failed",
                                   metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "client": "\(address)"])
            return try await again("fv_login_failed", .unauthorized)
        }
        await throttle.succeeded(username: throttleName)

        let binding: BindingRecord
        do {
            binding = try await database.bind(tenantId: tenantId, enterpriseId: ticket.enterpriseId, oaUserID: user.oaID, unionID: ticket.unionID,
                                              method: "manual",
                                              signedIn: SignedInFeishuUser(openID: ticket.openID, userID: ticket.userID, name: ticket.name),
                                              by: AuditActor("oa:\(user.loginID)"))
        } catch YunqiaoDatabase.StoreError.invalid(let field, _) {
            // Bound meanwhile (another tab, auto-bind): that binding counts. Else the OA account is someone else's.
            if let existing = try await database.binding(enterpriseId: ticket.enterpriseId, unionID: ticket.unionID) {
                try await database.removePersisted(key: Self.ticketPrefix + token)
                return try await arrive(request, context, visit, existing, after: .normal)
            }
            return try await again(field == "oaUserID" ? "fv_oa_taken" : "fv_bind_failed", .conflict)
        }
        try await database.removePersisted(key: Self.ticketPrefix + token)
        context.logger.info("first visit: bound by OA login",
                            metadata: ["app": "\(visit.appId)", "feishu.union_id": "\(ticket.unionID)", "oa.user": "\(user.oaID)"])
        return try await arrive(request, context, visit, binding, after: .normal)
    }

    // MARK: pages

    /// A bound user: to the homepage target, or a page saying who they are bound as when the app has none.
    private func arrive(_ request: Request, _ context: AppRequestContext, _ visit: Visit, _ binding: BindingRecord,
                        after redirect: Response.RedirectType = .found) async throws -> Response
    {
        if let target = try await target(visit) {
            var response = Response.redirect(to: target, type: redirect)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        let user = try await database.oaUser(tenantId: visit.enterprise.tenantId, oaID: binding.oaUserID)
        return renderer.page("first-visit-bound", ["appName": visit.app.name, "oaName": user?.name ?? binding.oaUserID,
                                                   "oaLogin": user?.loginID ?? ""],
                             context: context, request: request)
    }

    private func loginForm(_ request: Request, _ context: AppRequestContext, _ visit: Visit, token: String, ticket: BindTicket,
                           error: String?, status: HTTPResponse.Status, loginID: String = "") async throws -> Response
    {
        var response = renderer.page("oa-login", ["appId": visit.appId, "appName": visit.app.name, "token": token, "feishuName": ticket.name,
                                                  "loginID": loginID, "error": error ?? false],
                                     context: context, request: request, status: status)
        // Browsers apply form-action to the redirect that follows the form too: the homepage target must be allowed.
        var sources = ["'self'"]
        if let target = try await target(visit), let origin = Self.origin(of: target) { sources.append(origin) }
        if let domain = visit.externalDomain, let origin = Self.origin(of: domain), !sources.contains(origin) { sources.append(origin) }
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action "
            + sources.joined(separator: " ")
        return response
    }

    /// Runs a route for an app; a refusal or failure becomes a page (these are browser pages, never JSON).
    private func guarded(_ request: Request, _ context: AppRequestContext, _ body: (Visit) async throws -> Response) async -> Response {
        let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
        do {
            guard let id = Self.appId(context) else { throw Refusal(.notFound, "fv_app_not_found") }
            let (app, enterprise): (AppRecord, EnterpriseRecord)
            do { (app, enterprise) = try await database.app(id: id) } catch YunqiaoDatabase.StoreError.notFound {
                throw Refusal(.notFound, "fv_app_not_found")
            }
            let domain = try await database.externalDomain(tenantId: enterprise.tenantId)
            return try await body(Visit(app: app, enterprise: enterprise, appId: id, externalDomain: domain, strings: strings))
        } catch let refusal as Refusal {
            return errorPage(request, context, refusal, strings)
        } catch {
            context.logger.error("first visit failed", metadata: ["error": "\(String(reflecting: error))"])
            return errorPage(request, context, Refusal(.internalServerError, "fv_internal"), strings)
        }
    }

    private func errorPage(_ request: Request, _ context: AppRequestContext, _ refusal: Refusal, _ strings: [String: String]) -> Response {
        renderer.page("first-visit-error", ["status": Int(refusal.status.code), "message": strings[refusal.message] ?? refusal.message,
                                            "code": refusal.message],
                      context: context, request: request, status: refusal.status)
    }

    // MARK: URLs

    private static func appId(_ context: AppRequestContext) -> Int64? {
        context.parameters.get("id").flatMap { Int64($0) }
    }

    private static func stateCookie(appId: Int64, value: String, maxAge: Int) -> Cookie {
        Cookie(name: stateCookie, value: value, maxAge: maxAge, path: "/feishu/apps/\(appId)/oauth", httpOnly: true, sameSite: .lax)
    }

    /// `<external domain>/feishu/apps/{id}/oauth/callback` (the app's 重定向 URL), or nil while the domain is unset.
    static func redirectURI(_ visit: Visit) -> String? {
        visit.externalDomain.map { "\($0)/feishu/apps/\(visit.appId)/oauth/callback" }
    }

    /// Where the authorize page lives: Feishu's and Lark's public platforms serve it from their accounts host; any
    /// other API base (a private deployment, an emulator) serves it itself.
    static func authorizeBase(_ baseURL: String) -> String {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        switch URL(string: base)?.host?.lowercased() {
        case "open.feishu.cn": return "https://accounts.feishu.cn"
        case "open.larksuite.com": return "https://accounts.larksuite.com"
        default: return base
        }
    }

    /// The app's homepage target: the OA homepage app's URL (a path is taken on the external domain: no OA base URL
    /// yet), or the custom URL; nil when the app has none.
    private func target(_ visit: Visit) async throws -> String? {
        switch visit.app.homepage {
        case .none: return nil
        case .custom(let url): return url
        case .oaApp(let id):
            guard let entry = try? await database.homepageApp(tenantId: visit.enterprise.tenantId, id: id) else { return nil }
            if entry.url.hasPrefix("/"), !entry.url.hasPrefix("//"), let domain = visit.externalDomain { return domain + entry.url }
            return entry.url
        }
    }

    /// `scheme://host[:port]` of an absolute URL.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
