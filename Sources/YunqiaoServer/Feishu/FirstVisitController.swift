import Foundation
import HTTPTypes
import Hummingbird
import Logging
import YunqiaoServices
import YunqiaoCore

/// The browser side of the first visit (issue #6; the use case is ``FirstVisitFlow``): the app's homepage URL, the
/// OAuth callback and the OA login form. Browser pages, no admin sign-in: a refusal or failure is a page, never JSON.
struct FirstVisitController {
    let flow: FirstVisitFlow
    let database: any BridgeStore
    let renderer: ConsoleRenderer
    /// The proxies whose forwarded client address counts for the OA form's throttle.
    let trustedProxies: TrustedProxies
    /// Sign-ins that continue into an OIDC authorization end there (a code for the OA) instead of the homepage.
    let oidc: OIDCProvider
    /// Sign-ins that continue into a CAS login end at the service with a ticket.
    let cas: CASServer
    /// 扫码登录: OIDC and CAS sign-ins outside the Feishu client go to the QR page when the tenant enables it.
    let qrLogin: QRLogin

    static let stateCookie = "yq_oauth_state"

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

    /// An app and the words of its pages.
    struct Page {
        var visit: FirstVisitFlow.Visit
        var strings: [String: String]
    }

    /// `GET /feishu/apps/:id/home`: to Feishu's authorize page with a fresh state.
    private func home(_ request: Request, _ context: AppRequestContext, _ page: Page) async throws -> Response {
        try await signIn(page.visit, continuation: nil)
    }

    /// To Feishu's authorize page with a fresh state (and its cookie); `continuation` says where the sign-in ends.
    func signIn(_ visit: FirstVisitFlow.Visit, continuation: String?) async throws -> Response {
        let (url, state) = try await flow.start(visit, continuation: continuation)
        var response = Response.redirect(to: url, type: .found)
        response.headers[.cacheControl] = "no-store"
        response.setCookie(Self.stateCookie(appId: visit.appId, value: state, maxAge: Int(FirstVisitFlow.lifetime)))
        return response
    }

    /// An OIDC or CAS sign-in (`continuation`) of the tenant: to the QR page when the tenant enables QR login and the
    /// browser is not the Feishu client, else to Feishu's authorize page for `visit` (the client's app).
    func signIn(_ visit: FirstVisitFlow.Visit, continuation: String, tenantId: Int64, request: Request) async throws -> Response {
        guard try await qrLogin.offered(tenantId: tenantId, userAgent: request.headers[.userAgent]) else {
            return try await signIn(visit, continuation: continuation)
        }
        let handle = try await qrLogin.park(QRLogin.Flow(tenantId: tenantId, continuation: continuation))
        var response = Response.redirect(to: "/qr-login/\(tenantId)?flow=\(handle)", type: .found)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// `GET /feishu/apps/:id/oauth/callback?code=&state=`.
    private func callback(_ request: Request, _ context: AppRequestContext, _ page: Page) async throws -> Response {
        let query = request.uri.queryParameters
        let (arrival, continuation) = try await flow.callback(page.visit, state: query.get("state"),
                                                              cookieState: request.cookies[Self.stateCookie]?.value, code: query.get("code"),
                                                              denied: query.get("error") != nil, logger: context.logger)
        switch arrival {
        case .bound(let binding): return try await arrive(request, context, page, binding, continuation: continuation)
        case .loginForm(let token, let ticket): return try await loginForm(request, context, page, token: token, ticket: ticket, error: nil, status: .ok)
        }
    }

    /// `POST /feishu/apps/:id/bind` (token, loginID, password): checks the OA login and binds.
    private func bind(_ request: Request, _ context: AppRequestContext, _ page: Page) async throws -> Response {
        var request = request
        let form = FormFields(String(buffer: try await request.collectBody(within: 64 * 1024)))
        let ticket = try await flow.ticket(page.visit, token: form["token"])
        let token = form["token"] ?? ""
        let loginID = (form["loginID"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let outcome = try await flow.bind(page.visit, token: token, ticket: ticket, loginID: loginID, password: form["password"] ?? "",
                                          address: trustedProxies.clientAddress(request, context: context), logger: context.logger)
        switch outcome {
        case .bound(let binding):
            return try await arrive(request, context, page, binding, continuation: ticket.continuation, after: .normal)
        case .again(let key, let status, let retryAfter):
            var response = try await loginForm(request, context, page, token: token, ticket: ticket, error: page.strings[key] ?? key,
                                               status: HTTPResponse.Status(code: status), loginID: loginID)
            if let retryAfter { response.headers[.retryAfter] = "\(retryAfter)" }
            return response
        }
    }

    // MARK: pages

    /// A bound user: to the homepage target, or a page saying who they are bound as when the app has none.
    private func arrive(_ request: Request, _ context: AppRequestContext, _ page: Page, _ binding: BindingRecord, continuation: String?,
                        after redirect: Response.RedirectType = .found) async throws -> Response
    {
        if let continuation {
            // An OIDC authorization or a CAS login: back to the OA with a code or a ticket (or its refusal).
            let completed = continuation.hasPrefix(CASServer.continuationPrefix)
                ? try await cas.complete(continuation: continuation, binding: binding)
                : try await oidc.complete(continuation: continuation, binding: binding)
            guard let target = completed else {
                throw FirstVisitFlow.Refusal(400, "oidc_expired")
            }
            var response = Response.redirect(to: target, type: redirect)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        if let target = try await flow.target(page.visit) {
            var response = Response.redirect(to: target, type: redirect)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        let user = try await database.oaDirectory.oaUser(tenantId: page.visit.enterprise.tenantId, oaID: binding.oaUserID)
        return renderer.page("first-visit-bound", ["appName": page.visit.app.name, "oaName": user?.name ?? binding.oaUserID,
                                                   "oaLogin": user?.loginID ?? ""],
                             context: context, request: request)
    }

    private func loginForm(_ request: Request, _ context: AppRequestContext, _ page: Page, token: String, ticket: FirstVisitFlow.BindTicket,
                           error: String?, status: HTTPResponse.Status, loginID: String = "") async throws -> Response
    {
        let visit = page.visit
        var response = renderer.page("oa-login", ["appId": visit.appId, "appName": visit.app.name, "token": token, "feishuName": ticket.name,
                                                  "loginID": loginID, "error": error ?? false],
                                     context: context, request: request, status: status)
        // Browsers apply form-action to the redirect that follows the form too: the homepage target must be allowed.
        var sources = ["'self'"]
        if let target = try await flow.target(visit), let origin = WebOrigin.of(target) { sources.append(origin) }
        if let continuation = ticket.continuation,
           let target = continuation.hasPrefix(CASServer.continuationPrefix)
               ? try await cas.serviceTarget(continuation: continuation) : try await oidc.redirectTarget(continuation: continuation),
           let origin = WebOrigin.of(target), !sources.contains(origin)
        {
            sources.append(origin)
        }
        if let domain = visit.externalDomain, let origin = WebOrigin.of(domain), !sources.contains(origin) { sources.append(origin) }
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action "
            + sources.joined(separator: " ")
        return response
    }

    /// Runs a route for an app; a refusal or failure becomes a page (these are browser pages, never JSON).
    private func guarded(_ request: Request, _ context: AppRequestContext, _ body: (Page) async throws -> Response) async -> Response {
        let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
        do {
            let visit = try await flow.visit(appId: Self.appId(context))
            return try await body(Page(visit: visit, strings: strings))
        } catch let refusal as FirstVisitFlow.Refusal {
            return errorPage(request, context, refusal, strings)
        } catch {
            context.logger.error("first visit failed", metadata: ["error": "\(String(reflecting: error))"])
            return errorPage(request, context, FirstVisitFlow.Refusal(500, "fv_internal"), strings)
        }
    }

    private func errorPage(_ request: Request, _ context: AppRequestContext, _ refusal: FirstVisitFlow.Refusal,
                           _ strings: [String: String]) -> Response
    {
        renderer.page("first-visit-error", ["status": refusal.status, "message": strings[refusal.key] ?? refusal.key, "code": refusal.key],
                      context: context, request: request, status: HTTPResponse.Status(code: refusal.status))
    }

    // MARK: URLs

    private static func appId(_ context: AppRequestContext) -> Int64? {
        context.parameters.get("id").flatMap { Int64($0) }
    }

    static func stateCookie(appId: Int64, value: String, maxAge: Int) -> Cookie {
        Cookie(name: stateCookie, value: value, maxAge: maxAge, path: "/feishu/apps/\(appId)/oauth", httpOnly: true, sameSite: .lax)
    }
}
