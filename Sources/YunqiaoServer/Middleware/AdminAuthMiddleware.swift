import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import YunqiaoServices
import YunqiaoCore

/// Finds who is calling: an API bearer token, or a console login session. Does not refuse anyone by itself
/// (see ``RequireAdminMiddleware``), but a wrong bearer token is refused at once.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let database: any BridgeStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer "),
                  let token = try await database.admins.useAPIToken(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), at: Date()),
                  let id = token.id
            else { throw APIError(.unauthorized, field: "Authorization", message: "unknown, revoked or expired API token") }
            context.identity = AdminIdentity(tenantId: token.tenantId, name: "token:\(token.name)", via: .token(id: id), scope: token.scope,
                                             superAdmin: token.role == AdminRole.superAdmin.rawValue)
        } else if let session = context.sessions.session {
            if let admin = try await database.admins.admin(id: session.adminId), let id = admin.id {
                context.identity = AdminIdentity(tenantId: admin.tenantId, name: admin.username,
                                                 via: .session(adminId: id, csrfToken: session.csrfToken), superAdmin: admin.isSuperAdmin)
            } else {
                context.sessions.clearSession()
            }
        }
        return try await next(request, context)
    }
}

/// Lets only signed-in admins through. API requests get a JSON 401; browsers are sent to the login page.
/// Unsafe methods of a console session must carry its CSRF token (`X-CSRF-Token` header or `_csrf` form field); a
/// read-only API token may use only the safe ones (403 otherwise).
struct RequireAdminMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Browsers go to the login page instead of getting a 401.
    let redirectToLogin: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else {
            if redirectToLogin {
                let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/console"
                return Response.redirect(to: "/login?next=\(encoded)", type: .found)
            }
            throw APIError(.unauthorized, message: "sign in or send an API token (Authorization: Bearer …)")
        }
        let safe = [.get, .head, .options].contains(request.method)
        if identity.scope == .readOnly, !safe {
            throw APIError(.forbidden, field: "Authorization", message: "this API token is read-only: it may only read (GET)")
        }
        var request = request
        if let expected = identity.csrfToken, !safe {
            let given = try await Self.csrfToken(of: &request, context: context)
            guard let given, Passwords.constantTimeEquals(given, expected) else {
                throw APIError(.forbidden, field: "_csrf", message: "missing or wrong CSRF token; reload the page and try again")
            }
        }
        return try await next(request, context)
    }

    /// The CSRF token a request carries: the header, or the `_csrf` field of a form body — URL-encoded, or multipart
    /// (a form with a file) — the body stays readable.
    static func csrfToken(of request: inout Request, context: Context) async throws -> String? {
        if let header = request.headers[.csrfToken] { return header }
        let contentType = request.headers[.contentType]
        if MultipartForm.isMultipart(contentType) {
            let body = try await request.collectBody(within: MultipartForm.maxBodySize)
            return (try? MultipartForm(contentType: contentType, body: Data(body.readableBytesView)))?["_csrf"]
        }
        guard contentType?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return nil }
        let body = try await request.collectBody(within: context.maxUploadSize)
        return FormFields(String(buffer: body))["_csrf"]
    }
}

/// Adds `Secure` to the cookies the bridge sets when the admin reached it over https.
struct SecureCookieMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let mode: ServerConfiguration.SecureCookies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let secure = switch mode {
        case .always: true
        case .never: false
        case .auto: request.uri.scheme == .https || request.headers[.forwardedProto]?.lowercased() == "https"
        }
        guard secure else { return response }
        let cookies = response.headers[values: .setCookie]
        guard !cookies.isEmpty else { return response }
        response.headers[values: .setCookie] = cookies.map { $0.lowercased().contains("; secure") ? $0 : $0 + "; Secure" }
        return response
    }
}

/// The fields of an `application/x-www-form-urlencoded` body; the last value of a repeated name wins.
struct FormFields: Sendable {
    private(set) var values: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    subscript(name: String) -> String? { values[name] }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
    static let forwardedProto = Self("X-Forwarded-Proto")!
}
