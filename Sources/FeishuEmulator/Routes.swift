import Foundation

/// Every API the emulator answers. The raw value is the API's name in counters and rate limits.
enum Endpoint: String, Sendable, CaseIterable {
    case tenantAccessToken = "POST /open-apis/auth/v3/tenant_access_token/internal"
    case appAccessToken = "POST /open-apis/auth/v3/app_access_token/internal"

    case departmentGet = "GET /open-apis/contact/v3/departments/:department_id"
    case departmentBatch = "GET /open-apis/contact/v3/departments/batch"
    case departmentChildren = "GET /open-apis/contact/v3/departments/:department_id/children"
    case departmentParent = "GET /open-apis/contact/v3/departments/parent"
    case departmentCreate = "POST /open-apis/contact/v3/departments"
    case departmentPatch = "PATCH /open-apis/contact/v3/departments/:department_id"
    case departmentUpdate = "PUT /open-apis/contact/v3/departments/:department_id"
    case departmentDelete = "DELETE /open-apis/contact/v3/departments/:department_id"
    case departmentUpdateID = "PATCH /open-apis/contact/v3/departments/:department_id/update_department_id"

    case userGet = "GET /open-apis/contact/v3/users/:user_id"
    case userBatch = "GET /open-apis/contact/v3/users/batch"
    case userFindByDepartment = "GET /open-apis/contact/v3/users/find_by_department"
    case userBatchGetID = "POST /open-apis/contact/v3/users/batch_get_id"
    case userCreate = "POST /open-apis/contact/v3/users"
    case userPatch = "PATCH /open-apis/contact/v3/users/:user_id"
    case userUpdate = "PUT /open-apis/contact/v3/users/:user_id"
    case userDelete = "DELETE /open-apis/contact/v3/users/:user_id"
    case userResurrect = "POST /open-apis/contact/v3/users/:user_id/resurrect"
    case userUpdateID = "PATCH /open-apis/contact/v3/users/:user_id/update_user_id"

    case scopeList = "GET /open-apis/contact/v3/scopes"

    // OAuth / user login (`feishu-api.md` §2.4–2.5).
    case authorize = "GET /open-apis/authen/v1/authorize"
    case authorizeIndex = "GET /open-apis/authen/v1/index"
    case passportAuthorize = "GET /suite/passport/oauth/authorize"
    case oauthToken = "POST /open-apis/authen/v2/oauth/token"
    case oidcAccessToken = "POST /open-apis/authen/v1/oidc/access_token"
    case oidcRefreshAccessToken = "POST /open-apis/authen/v1/oidc/refresh_access_token"
    case legacyAccessToken = "POST /open-apis/authen/v1/access_token"
    case legacyRefreshAccessToken = "POST /open-apis/authen/v1/refresh_access_token"
    case userInfo = "GET /open-apis/authen/v1/user_info"

    // QR login (`feishu-api.md` §2.7): the LarkSSOSDKWebQRCode script, its iframe and the iframe's poll, the "phone".
    case qrLoginScript = "GET /obj/feishu-static/lark/passport/qrcode/:file"
    case qrLoginFrame = "GET /suite/passport/sso/qr"
    case qrLoginPoll = "GET /suite/passport/sso/qr/poll"
    case qrLoginScan = "GET /suite/passport/sso/scan"
    case qrLoginConfirm = "POST /suite/passport/sso/scan"

    // IM (`feishu-api.md` §4): messages, card updates, images.
    case messageCreate = "POST /open-apis/im/v1/messages"
    case messagePatch = "PATCH /open-apis/im/v1/messages/:message_id"
    case messageGet = "GET /open-apis/im/v1/messages/:message_id"
    case imageCreate = "POST /open-apis/im/v1/images"

    // H5 JS SDK (`feishu-api.md` §2.6): the app's `jsapi_ticket` for JSAPI signatures.
    case jssdkTicket = "POST /open-apis/jssdk/ticket/get"

    // Third-party approval (`feishu-api.md` §5.1–5.4): definitions, instances with their tasks, freshness, task status.
    case externalApprovalCreate = "POST /open-apis/approval/v4/external_approvals"
    case externalApprovalGet = "GET /open-apis/approval/v4/external_approvals/:approval_code"
    case externalInstanceCreate = "POST /open-apis/approval/v4/external_instances"
    case externalInstanceCheck = "POST /open-apis/approval/v4/external_instances/check"
    case externalTaskList = "GET /open-apis/approval/v4/external_tasks"

    var method: String { String(rawValue.prefix { $0 != " " }) }
    var pattern: [Substring] { rawValue.drop { $0 != " " }.dropFirst().split(separator: "/") }

    /// Token endpoints take app credentials in the body; everything else needs `Authorization: Bearer`.
    var isTokenEndpoint: Bool { self == .tenantAccessToken || self == .appAccessToken }

    /// The HTML login page (`authorize`, the historic `index` and the passport path the QR login's `goto` uses): no
    /// token, answers HTML or a redirect.
    var isOAuthPage: Bool { self == .authorize || self == .authorizeIndex || self == .passportAuthorize }

    /// The QR login's script and pages: no token, no app to count against until a session names one.
    var isQRLoginPage: Bool {
        switch self {
        case .qrLoginScript, .qrLoginFrame, .qrLoginPoll, .qrLoginScan, .qrLoginConfirm: true
        default: false
        }
    }

    /// Which bearer tokens an API takes: `user_info` only user tokens, the v1 code exchanges only app tokens
    /// (the SDK sends `AccessTokenType.APP`), everything else tenant or app tokens.
    var acceptedTokens: Set<TokenKind> {
        switch self {
        case .userInfo: [.user]
        case .oidcAccessToken, .oidcRefreshAccessToken, .legacyAccessToken, .legacyRefreshAccessToken: [.app]
        // The platform also takes user tokens here (a user sending as themselves); the emulator sends as the app's
        // bot only, so a user token is refused like on a tenant-only API.
        case .messageCreate, .messagePatch, .messageGet, .imageCreate: [.tenant]
        // The SDK sends a tenant token to the approval APIs (`AccessTokenType.TENANT` only).
        case .externalApprovalCreate, .externalApprovalGet, .externalInstanceCreate, .externalInstanceCheck, .externalTaskList:
            [.tenant]
        default: [.tenant, .app]
        }
    }

    /// The `msg` of a success: `ok` on the JS SDK ticket (as documented), `success` on every other business API.
    var successMessage: String { self == .jssdkTicket ? "ok" : "success" }

    /// The `authen/v1/oidc/*` pages document the text field as `message`; those answers carry `msg` and `message`.
    var sendsMessageField: Bool { self == .oidcAccessToken || self == .oidcRefreshAccessToken }

    /// The platform tolerates a trailing slash on the token endpoints.
    var allowsTrailingSlash: Bool { isTokenEndpoint }

    /// Per app per API: 1000/min and 50/s (`feishu-api.md` §7), the OAuth page and token endpoints included (keyed
    /// by `client_id`). The tenant/app token endpoints state no limit, nor do the QR login's script and pages (its
    /// iframe polls every second).
    var isRateLimited: Bool { !isTokenEndpoint && !isQRLoginPage }
}

/// A matched request handed to ``EmulatorState``.
struct APICall: Sendable {
    var endpoint: Endpoint
    var pathParameters: [String: String]
    var query: [String: [String]]
    /// The query exactly as sent (still percent-encoded), for endpoints that read it with form rules (`+` = space).
    var rawQuery: String? = nil
    /// `Host` as the client sent it (`127.0.0.1:8080`), for pages that must know their own origin.
    var authority: String? = nil
    var headers: [String: String]
    var body: Data
    /// Also sent as `X-Tt-Logid`; failures repeat it as `error.log_id`.
    var logID: String

    func query(_ name: String) -> String? { query[name]?.last }
    func queryAll(_ name: String) -> [String] { query[name] ?? [] }
    var json: JSON? { JSON.parse(body) }

    /// The id types of `user_id_type` and `department_id_type` (open_id and open_department_id unless given).
    func idTypes() throws(APIError) -> IDTypes {
        var types = IDTypes()
        if let raw = query("user_id_type") {
            guard let type = IDTypes.UserIDType(rawValue: raw) else {
                throw .validation("user_id_type", raw, "user_id_type must be one of open_id, union_id, user_id")
            }
            types.user = type
        }
        if let raw = query("department_id_type") {
            guard let type = IDTypes.DepartmentIDType(rawValue: raw) else {
                throw .validation("department_id_type", raw, "department_id_type must be one of open_department_id, department_id")
            }
            types.department = type
        }
        return types
    }
}

/// A failed call: the platform's `{code, msg, error}` answer.
struct APIError: Error, Sendable {
    struct FieldViolation: Sendable {
        var field: String
        var value: String?
        var description: String
    }

    var httpStatus: Int = 400
    var code: Int
    var msg: String
    var fieldViolations: [FieldViolation] = []

    /// 99992402: framework-level parameter validation, naming the field.
    static func validation(_ field: String, _ value: String?, _ description: String) -> APIError {
        APIError(code: 99992402, msg: "field validation failed",
                 fieldViolations: [.init(field: field, value: value, description: description)])
    }

    /// A business error that still names the field it is about.
    static func contact(_ code: Int, _ msg: String, field: String? = nil, value: String? = nil) -> APIError {
        APIError(code: code, msg: msg, fieldViolations: field.map { [.init(field: $0, value: value, description: msg)] } ?? [])
    }
}

/// What the HTTP layer writes back.
struct EmulatorResponse: Sendable {
    enum Body: Sendable {
        case json(JSON)
        case text(String)
        case html(String)
        case javascript(String)
    }

    var status: Int
    var body: Body
    var headers: [(String, String)] = []
    var delay: Duration = .zero

    static let notFound = EmulatorResponse(status: 404, body: .text("404 page not found"))

    /// A 302 to `location`.
    static func redirect(_ location: String) -> EmulatorResponse {
        EmulatorResponse(status: 302, body: .html(""), headers: [("Location", location), ("Cache-Control", "no-store")])
    }
}

enum Router {
    private static let routes: [(endpoint: Endpoint, pattern: [Substring], literals: Int)] = Endpoint.allCases.map {
        ($0, $0.pattern, $0.pattern.filter { !$0.hasPrefix(":") }.count)
    }

    /// Finds the endpoint for a method and path; literal segments win over parameters (`users/batch` vs
    /// `users/:user_id`). Unknown paths and wrong methods both give `nil` (the platform answers both with a
    /// text/plain 404).
    static func match(method: String, path: String) -> (Endpoint, [String: String])? {
        let trailingSlash = path.count > 1 && path.hasSuffix("/")
        let segments = path.split(separator: "/")
        var best: (Endpoint, [String: String], Int)?
        for route in routes where route.endpoint.method == method && route.pattern.count == segments.count {
            if trailingSlash && !route.endpoint.allowsTrailingSlash { continue }
            var parameters: [String: String] = [:]
            var matched = true
            for (expected, actual) in zip(route.pattern, segments) {
                if expected.hasPrefix(":") {
                    parameters[String(expected.dropFirst())] = String(actual).removingPercentEncoding ?? String(actual)
                } else if expected != actual {
                    matched = false
                    break
                }
            }
            if matched && route.literals > (best?.2 ?? -1) { best = (route.endpoint, parameters, route.literals) }
        }
        return best.map { ($0.0, $0.1) }
    }
}
