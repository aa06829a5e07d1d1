/// A failed answer from the Feishu/Lark open platform: `code != 0` (success is only ever `code == 0`).
public struct FeishuAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct FieldViolation: Sendable, Equatable, Decodable {
        public var field: String?
        public var value: String?
        public var description: String?
    }

    public struct PermissionViolation: Sendable, Equatable, Decodable {
        public var type: String?
        public var subject: String?
        public var description: String?
    }

    public var code: Int
    public var msg: String
    /// `X-Tt-Logid` (or `error.log_id`): quote it to Feishu support.
    public var logID: String?
    public var httpStatus: Int
    public var fieldViolations: [FieldViolation]
    public var permissionViolations: [PermissionViolation]

    public init(code: Int, msg: String, logID: String? = nil, httpStatus: Int, fieldViolations: [FieldViolation] = [],
                permissionViolations: [PermissionViolation] = [])
    {
        self.code = code
        self.msg = msg
        self.logID = logID
        self.httpStatus = httpStatus
        self.fieldViolations = fieldViolations
        self.permissionViolations = permissionViolations
    }

    public var description: String {
        var text = "Feishu error \(code): \(msg)"
        let fields = fieldViolations.compactMap(\.field)
        if !fields.isEmpty { text += " (fields: \(fields.joined(separator: ", ")))" }
        if let logID { text += " [log_id \(logID)]" }
        return text
    }

    // Known codes (feishu-api.md §1.5, §3.6).
    public static let rateLimited = 99991400
    public static let missingToken = 99991661
    public static let invalidToken = 99991663
    public static let invalidAppToken = 99991664
    public static let invalidTenantToken = 99991665
    public static let invalidUserToken = 99991668
    public static let scopeRequired = 99991672
    public static let userScopeRequired = 99991679
    public static let validationFailed = 99992402
    public static let noDepartmentAuthority = 40004
    public static let noUserAuthority = 41050

    /// The token was refused: drop it, fetch a new one, retry once.
    public var isTokenRejected: Bool {
        [Self.invalidToken, Self.invalidAppToken, Self.invalidTenantToken].contains(code)
    }

    /// Internal errors and "call less often" codes: retry with back-off. Never permission or validation codes.
    public var isRetryable: Bool {
        code == Self.rateLimited || [1500, 2200, 5000, 55001, 10101, 11232, 11233, 230020].contains(code)
            || (httpStatus >= 500 && !isPermanent)
    }

    /// Outside the app's contact scope (通讯录权限范围).
    public var isOutsideScope: Bool { code == Self.noDepartmentAuthority || code == Self.noUserAuthority }

    private var isPermanent: Bool {
        [Self.scopeRequired, Self.userScopeRequired, Self.validationFailed, 40004, 41050, 230013].contains(code)
    }
}

/// Failures that are not platform answers.
public enum FeishuClientError: Error, Sendable, CustomStringConvertible {
    /// The token endpoint refused the app id/secret (e.g. code 10003).
    case tokenRefused(code: Int, msg: String)
    /// An answer that is not the platform's JSON (a gateway page, a 404 text/plain …).
    case unexpectedResponse(status: Int, contentType: String?, bodyPrefix: String)
    /// The JSON did not decode into the expected shape.
    case decoding(api: String, detail: String)
    /// Gave up after retrying.
    case retriesExhausted(api: String, attempts: Int, last: String)

    public var description: String {
        switch self {
        case .tokenRefused(let code, let msg): "token request refused: code \(code) \(msg) (check app id and secret)"
        case .unexpectedResponse(let status, let type, let prefix):
            "unexpected HTTP \(status) (\(type ?? "no content-type")): \(prefix)"
        case .decoding(let api, let detail): "cannot decode the answer of \(api): \(detail)"
        case .retriesExhausted(let api, let attempts, let last): "\(api) failed after \(attempts) attempts: \(last)"
        }
    }
}
