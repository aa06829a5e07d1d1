import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import YunqiaoServices
import YunqiaoCore

/// Console sign-in and sign-out. The login form is protected by a double-submit CSRF token (a cookie and a hidden
/// field); failed logins are throttled per user name and per client address (the forwarded one behind a trusted
/// proxy), each attempt reserved before its password is checked; an unknown user name costs a check of a dummy hash.
struct SessionController {
    let database: any BridgeStore
    let renderer: ConsoleRenderer
    let throttle: LoginThrottle
    let passwords: PasswordVerifier
    let trustedProxies: TrustedProxies
    let sessionLifetime: Duration

    static let loginCookie = "yq_login"

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("login") { request, context in loginPage(request, context, error: nil, status: .ok) }
        router.post("login") { request, context in try await login(request, context) }
        router.post("logout") { request, context in try await logout(request, context) }
    }

    private func loginPage(_ request: Request, _ context: AppRequestContext, error: String?, status: HTTPResponse.Status,
                           username: String = "") -> Response
    {
        let token = Passwords.token(bytes: 16)
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        var response = renderer.page("login", ["loginCsrf": token, "next": next, "error": error ?? false, "username": username],
                                     context: context, request: request, status: status)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/login", httpOnly: true, sameSite: .strict))
        return response
    }

    private func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(within: 64 * 1024)
        let form = FormFields(String(buffer: body))
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
        guard let cookie = request.cookies[Self.loginCookie]?.value, let given = form["_csrf"], Passwords.constantTimeEquals(cookie, given) else {
            throw APIError(.forbidden, field: "_csrf", message: "the login form expired; reload the page and try again")
        }
        let address = trustedProxies.clientAddress(request, context: context)
        let attempt: LoginThrottle.Attempt
        switch await throttle.reserve(username: username, address: address) {
        case .refused(let wait):
            var response = loginPage(request, context, error: strings["login_throttled"], status: .tooManyRequests, username: username)
            response.headers[.retryAfter] = "\(max(1, wait.components.seconds))"
            return response
        case .admitted(let admitted):
            attempt = admitted
        }
        let found = try await database.admins.admin(username: username)
        guard try await passwords.check(password, against: found?.passwordHash), let admin = found, let adminId = admin.id else {
            await throttle.failed(attempt)
            context.logger.warning("console login failed", metadata: ["admin.username": "\(username)", "client": "\(address)"])
            return loginPage(request, context, error: strings["login_failed"], status: .unauthorized, username: username)
        }
        await throttle.succeeded(attempt)
        // A new session id at every login (no fixation): createSession always creates a new session.
        context.sessions.createSession(AdminSession(adminId: adminId, csrfToken: Passwords.token(bytes: 24)), expiresIn: sessionLifetime)
        try await database.admins.audit(tenantId: admin.tenantId, AuditActor(admin.username), "admin.login", target: "admin \(admin.username)",
                                        details: ["client": address])
        var response = Response.redirect(to: Self.safeNext(form["next"]), type: .normal)
        response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/login", httpOnly: true, sameSite: .strict))
        return response
    }

    private func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        if let session = context.sessions.session {
            let given = try await RequireAdminMiddleware.csrfToken(of: &request, context: context)
            guard let given, Passwords.constantTimeEquals(given, session.csrfToken) else {
                throw APIError(.forbidden, field: "_csrf", message: "missing or wrong CSRF token; reload the page and try again")
            }
            context.sessions.clearSession()
        }
        return Response.redirect(to: "/login", type: .normal)
    }

    /// Only a same-origin path (`/console/…`): never an absolute or protocol-relative URL, and none that a browser
    /// would make one of — browsers drop tabs and line breaks and read `\` as `/`, so `/\t/host` and `/\host` are
    /// `//host` to them. Anything else is `/console`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 2048,
              !next.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else { return "/console" }
        return next
    }
}
