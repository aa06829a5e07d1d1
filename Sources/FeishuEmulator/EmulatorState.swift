import Foundation

/// Faults an operator (or a test) injects, at start or at run time through `/_emulator/faults`.
public struct EmulatorFaults: Sendable, Equatable {
    public enum ErrorKind: String, Sendable, CaseIterable {
        /// HTTP 503 with a text/plain body, as a failing gateway answers.
        case http5xx = "http_5xx"
        /// HTTP 500 with the envelope and an internal code (55001, 1500, 5000 …: "call less often").
        case internalCode = "internal_code"
        /// Either of the above, at random.
        case mixed
    }

    /// Extra delay on every answer, on top of the configured latency.
    public var latencyMs = 0
    /// Fraction (0…1) of business calls answered with an error of `errorKind`.
    public var errorRate = 0.0
    public var errorKind = ErrorKind.mixed
    /// Only these APIs fail (names as in `/_emulator/state` counters); empty = every business API.
    public var errorAPIs: Set<String> = []
    /// The next N business calls are answered 429 whatever the real rate.
    public var rateLimitBurst = 0
    /// Injected errors hit after the call was applied (a write is done, its answer is lost), as a timeout or a
    /// gateway error after the backend acted does: a client retrying without an idempotency key duplicates.
    public var errorAfterApply = false

    public init() {}
}

/// The kinds of bearer token: tenant and app tokens from app credentials, user tokens from the OAuth code flow.
enum TokenKind: String, Sendable, Hashable {
    case tenant, app, user
}

/// Everything the emulator knows, owned by one actor: the org, apps, tokens, rate windows, faults and counters.
/// Each API call runs to completion inside the actor, so calls are atomic like single database transactions.
public actor EmulatorState {
    struct AppRecord: Sendable {
        var config: EmulatorConfiguration.App
        var currentTenantToken: String?
        var currentAppToken: String?
    }

    struct TokenRecord: Sendable {
        var appID: String
        var expiresAt: Double
        var kind: TokenKind = .tenant
    }

    /// Who is calling a business API: the app, and for a user token also the user.
    struct Caller: Sendable {
        var appID: String
        var kind: TokenKind
        var userKey: Int?
    }

    struct RateWindow: Sendable {
        var second: Int64 = -1
        var secondCount = 0
        var minute: Int64 = -1
        var minuteCount = 0
    }

    struct Counters: Sendable {
        var calls: [String: Int] = [:]
        var rateLimited: [String: Int] = [:]
        var faults: [String: Int] = [:]
        var errors: [String: Int] = [:]
        var tokensIssued = 0
        var authorizationCodesIssued = 0
        var userTokensIssued = 0
    }

    static let perSecondLimit = 50
    static let perMinuteLimit = 1000

    let configuration: EmulatorConfiguration
    var org: Org
    var apps: [String: AppRecord] = [:]
    var tokens: [String: TokenRecord] = [:]
    /// Authorization codes, user tokens and refresh tokens of the OAuth flow (`EmulatorState+OAuth.swift`).
    var oauth = OAuthStore()
    var rateWindows: [String: RateWindow] = [:]
    var counters = Counters()
    var faults: EmulatorFaults
    var rateLimitEnabled: Bool
    /// Seconds added to the wall clock (`/_emulator/clock`), so tests can age tokens without waiting.
    var clockOffset = 0.0
    var faultRandom: SplitMix64
    private var cachedCounts: (version: Int, all: [String: Int], primary: [String: Int])?
    /// Answers of write calls by `client_token`, so a retried create is answered once and applied once.
    private var idempotentAnswers: [String: JSON] = [:]
    /// Messages, chats, images and card callbacks (`EmulatorState+IM.swift`).
    var im = IMStore()

    public init(configuration: EmulatorConfiguration, faults: EmulatorFaults = EmulatorFaults()) {
        self.configuration = configuration
        self.org = OrgBuilder.build(configuration)
        self.faults = faults
        self.rateLimitEnabled = configuration.rateLimit
        self.faultRandom = SplitMix64(seed: configuration.seed &+ 7)
        for app in configuration.apps { apps[app.appID] = AppRecord(config: app) }
    }

    /// When set (`/_emulator/clock/freeze`), the emulator's clock stands still at this wall-clock time.
    var frozenAt: Double?
    var now: Double { (frozenAt ?? Date().timeIntervalSince1970) + clockOffset }

    // MARK: entry point

    func handle(_ call: APICall) -> EmulatorResponse {
        let api = call.endpoint.rawValue
        counters.calls[api, default: 0] += 1
        if call.endpoint.isTokenEndpoint { return issueToken(call) }
        if call.endpoint.isOAuthPage { return authorizePage(call) }
        if call.endpoint == .oauthToken { return oauthToken(call) }

        let caller: Caller
        switch authenticate(call.headers["authorization"], accepted: call.endpoint.acceptedTokens) {
        case .success(let found): caller = found
        case .failure(let error): return failure(error, call: call)
        }
        if let limited = rateLimit(appID: caller.appID, call: call) { return limited }
        if !faults.errorAfterApply, let fault = injectFault(call) { return fault }
        let response: EmulatorResponse
        do {
            let data = try perform(call, caller: caller)
            var answer: [String: JSON] = ["code": 0, "msg": "success", "data": data]
            if call.endpoint.sendsMessageField { answer["message"] = "success" }
            response = EmulatorResponse(status: 200, body: .json(.object(answer)))
        } catch {
            response = failure(error, call: call)
        }
        if faults.errorAfterApply, let fault = injectFault(call) { return fault }
        return response
    }

    func failure(_ error: APIError, call: APICall) -> EmulatorResponse {
        counters.errors[call.endpoint.rawValue, default: 0] += 1
        var errorObject: [String: JSON] = [
            "log_id": .string(call.logID),
            "troubleshooter": .string("https://open.feishu.cn/search?from=openapi&code=\(error.code)&page_referer=emulator"),
        ]
        if !error.fieldViolations.isEmpty {
            errorObject["field_violations"] = .array(error.fieldViolations.map { violation in
                var item: [String: JSON] = ["field": .string(violation.field), "description": .string(violation.description)]
                if let value = violation.value { item["value"] = .string(value) }
                return .object(item)
            })
        }
        var answer: [String: JSON] = ["code": .int(error.code), "msg": .string(error.msg), "error": .object(errorObject)]
        if call.endpoint.sendsMessageField { answer["message"] = .string(error.msg) }
        return EmulatorResponse(status: error.httpStatus, body: .json(.object(answer)))
    }

    private func perform(_ call: APICall, caller: Caller) throws(APIError) -> JSON {
        let appID = caller.appID
        switch call.endpoint {
        case .tenantAccessToken, .appAccessToken: return [:]  // answered by issueToken
        case .authorize, .authorizeIndex, .oauthToken: return [:]  // answered by authorizePage / oauthToken
        case .oidcAccessToken: return try exchangeCodeV1(call, appID: appID, withProfile: false)
        case .legacyAccessToken: return try exchangeCodeV1(call, appID: appID, withProfile: true)
        case .oidcRefreshAccessToken: return try refreshV1(call, appID: appID, withProfile: false)
        case .legacyRefreshAccessToken: return try refreshV1(call, appID: appID, withProfile: true)
        case .userInfo: return try userInfo(caller)
        case .departmentGet: return try getDepartment(call, appID: appID)
        case .departmentBatch: return try batchDepartments(call, appID: appID)
        case .departmentChildren: return try departmentChildren(call, appID: appID)
        case .departmentParent: return try departmentParents(call, appID: appID)
        case .departmentCreate: return try createDepartment(call, appID: appID)
        case .departmentPatch: return try writeDepartment(call, appID: appID, full: false)
        case .departmentUpdate: return try writeDepartment(call, appID: appID, full: true)
        case .departmentDelete: return try deleteDepartment(call, appID: appID)
        case .departmentUpdateID: return try updateDepartmentID(call, appID: appID)
        case .userGet: return try getUser(call, appID: appID)
        case .userBatch: return try batchUsers(call, appID: appID)
        case .userFindByDepartment: return try findUsersByDepartment(call, appID: appID)
        case .userBatchGetID: return try batchGetUserIDs(call, appID: appID)
        case .userCreate: return try createUser(call, appID: appID)
        case .userPatch: return try writeUser(call, appID: appID, full: false)
        case .userUpdate: return try writeUser(call, appID: appID, full: true)
        case .userDelete: return try deleteUser(call, appID: appID)
        case .userResurrect: return try resurrectUser(call, appID: appID)
        case .userUpdateID: return try updateUserID(call, appID: appID)
        case .scopeList: return try listScopes(call, appID: appID)
        case .messageCreate: return try createMessage(call, appID: appID)
        case .messagePatch: return try patchMessage(call, appID: appID)
        case .messageGet: return try getMessage(call, appID: appID)
        case .imageCreate: return try uploadImage(call, appID: appID)
        }
    }

    // MARK: tokens

    private func issueToken(_ call: APICall) -> EmulatorResponse {
        // The SDK sends the body without a Content-Type header: parse it as JSON regardless.
        let body = call.json
        guard let appID = body?["app_id"]?.stringValue, let secret = body?["app_secret"]?.stringValue,
              var app = apps[appID], app.config.appSecret == secret
        else {
            counters.errors[call.endpoint.rawValue, default: 0] += 1
            return EmulatorResponse(status: 200, body: .json(["code": 10003, "msg": "invalid param", "data": [:]]))
        }
        let lifetime = Double(configuration.tokenLifetime)
        // Re-issue rule: the same token while it has ≥ 30 min (a quarter of its lifetime) left, a new one after.
        func current(_ token: String?) -> (String, Int)? {
            guard let token, let record = tokens[token] else { return nil }
            let left = record.expiresAt - now
            return left >= lifetime / 4 ? (token, Int(left.rounded(.down))) : nil
        }
        func mint(prefix: String) -> (String, Int) {
            let token = prefix + org.newHex(32)
            tokens[token] = TokenRecord(appID: appID, expiresAt: now + lifetime, kind: prefix == "a-" ? .app : .tenant)
            counters.tokensIssued += 1
            return (token, Int(lifetime))
        }
        let tenant = current(app.currentTenantToken) ?? mint(prefix: "t-")
        app.currentTenantToken = tenant.0
        var answer: [String: JSON] = ["code": 0, "msg": "ok", "tenant_access_token": .string(tenant.0), "expire": .int(tenant.1)]
        if call.endpoint == .appAccessToken {
            let appToken = current(app.currentAppToken) ?? mint(prefix: "a-")
            app.currentAppToken = appToken.0
            answer["app_access_token"] = .string(appToken.0)
            answer["expire"] = .int(appToken.1)
        }
        apps[appID] = app
        return EmulatorResponse(status: 200, body: .json(.object(answer)))
    }

    /// Checks `Authorization: Bearer …` against the token kinds the API takes (`feishu-api.md` §1.4–1.5):
    /// missing → 99991661; unknown or expired tenant/app token, or a tenant/app token where only user tokens are
    /// taken → 99991663; an app-token-only API given a tenant token → 99991664; unknown user token, or a user token
    /// where none is taken ("user access token not support") → 99991668; expired user token → 99991677.
    private func authenticate(_ header: String?, accepted: Set<TokenKind>) -> Result<Caller, APIError> {
        let invalid = "Invalid access token for authorization. Please make a request with token attached."
        guard let header, header.hasPrefix("Bearer "), case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces),
              !token.isEmpty
        else {
            return .failure(APIError(code: 99991661,
                                     msg: "Missing access token for authorization. Please make a request with token attached."))
        }
        if let record = tokens[token], record.expiresAt > now {
            if accepted.contains(record.kind) { return .success(Caller(appID: record.appID, kind: record.kind)) }
            if accepted == [.app] { return .failure(APIError(code: 99991664, msg: "invalid app_access_token")) }
            return .failure(APIError(code: 99991663, msg: invalid))
        }
        if let record = oauth.userTokens[token] {
            guard record.expiresAt > now else {
                return .failure(APIError(code: 99991677, msg: "user access token expired"))
            }
            guard accepted.contains(.user) else {
                return .failure(APIError(code: 99991668, msg: "user access token not support"))
            }
            return .success(Caller(appID: record.appID, kind: .user, userKey: record.userKey))
        }
        if token.hasPrefix("u-") || token.hasPrefix("eyJ") {
            return .failure(APIError(code: 99991668, msg: invalid))
        }
        return .failure(APIError(code: 99991663, msg: invalid))
    }

    // MARK: rate limits and faults

    private func rateLimitResponse(limit: Int, reset: Int, call: APICall) -> EmulatorResponse {
        counters.rateLimited[call.endpoint.rawValue, default: 0] += 1
        counters.errors[call.endpoint.rawValue, default: 0] += 1
        return EmulatorResponse(
            status: 429, body: .json(["code": 99991400, "msg": "request trigger frequency limit", "error": [
                "log_id": .string(call.logID),
                "troubleshooter": "https://open.feishu.cn/search?from=openapi&code=99991400&page_referer=emulator",
            ]]),
            headers: [("x-ogw-ratelimit-limit", String(limit)), ("x-ogw-ratelimit-reset", String(reset))])
    }

    /// A fixed-window quota: at most `perSecond` calls per second and `perMinute` per minute under `key`.
    struct Quota {
        var key: String
        var perSecond: Int
        var perMinute: Int
    }

    /// The quotas a call draws on: its API's 50/s and 1000/min per app, and for a PATCH user that changes
    /// `department_ids` or `is_frozen` also 1/s per app (`feishu-api.md` §3.3).
    private func quotas(appID: String, call: APICall) -> [Quota] {
        var quotas = [Quota(key: appID + " " + call.endpoint.rawValue, perSecond: Self.perSecondLimit, perMinute: Self.perMinuteLimit)]
        if call.endpoint == .userPatch, let body = call.json?.objectValue, body["department_ids"] != nil || body["is_frozen"] != nil {
            quotas.append(Quota(key: appID + " PATCH user department_ids/is_frozen", perSecond: 1, perMinute: .max))
        }
        return quotas
    }

    /// Answers 429 when any quota of the call is used up; a refused call uses no quota.
    func rateLimit(appID: String, call: APICall) -> EmulatorResponse? {
        if faults.rateLimitBurst > 0 {
            faults.rateLimitBurst -= 1
            return rateLimitResponse(limit: Self.perSecondLimit, reset: 1, call: call)
        }
        guard rateLimitEnabled else { return nil }
        if let exceeded = take(quotas(appID: appID, call: call)) {
            return rateLimitResponse(limit: exceeded.limit, reset: exceeded.reset, call: call)
        }
        return nil
    }

    /// Takes one call from every quota, or from none when one of them is used up: then answers that quota's limit
    /// and the seconds until it recovers. Shared by the per-API limits and the IM per-recipient/chat/message ones.
    func take(_ quotas: [Quota]) -> (limit: Int, reset: Int)? {
        let time = now
        let second = Int64(time.rounded(.down))
        let minute = second / 60
        var windows = quotas.map { quota in
            var window = rateWindows[quota.key] ?? RateWindow()
            if window.second != second { window.second = second; window.secondCount = 0 }
            if window.minute != minute { window.minute = minute; window.minuteCount = 0 }
            return window
        }
        for (quota, window) in zip(quotas, windows) {
            if window.minuteCount >= quota.perMinute {
                let reset = Int((Double((minute + 1) * 60) - time).rounded(.up))
                return (quota.perMinute, max(1, reset))
            }
            if window.secondCount >= quota.perSecond { return (quota.perSecond, 1) }
        }
        for index in windows.indices {
            windows[index].secondCount += 1
            windows[index].minuteCount += 1
            rateWindows[quotas[index].key] = windows[index]
        }
        return nil
    }

    func injectFault(_ call: APICall) -> EmulatorResponse? {
        let api = call.endpoint.rawValue
        guard faults.errorRate > 0, faults.errorAPIs.isEmpty || faults.errorAPIs.contains(api) else { return nil }
        let roll = Double(faultRandom.next() % 1_000_000) / 1_000_000
        guard roll < faults.errorRate else { return nil }
        counters.faults[api, default: 0] += 1
        counters.errors[api, default: 0] += 1
        let kind: EmulatorFaults.ErrorKind = switch faults.errorKind {
        case .mixed: faultRandom.next() % 2 == 0 ? .http5xx : .internalCode
        case let other: other
        }
        if kind == .http5xx { return EmulatorResponse(status: 503, body: .text("503 Service Temporarily Unavailable")) }
        if call.endpoint == .oauthToken {
            // The OAuth token endpoint answers RFC 6749-style: 20050 is its "server error, retry" (§2.4).
            return EmulatorResponse(status: 500, body: .json(["code": 20050, "error": "server_error",
                                                              "error_description": "Internal server error, please retry later."]))
        }
        let codes = [55001, 1500, 5000]
        let code = codes[Int(faultRandom.next() % UInt64(codes.count))]
        return EmulatorResponse(status: 500, body: .json(["code": .int(code), "msg": "internal error, please retry later",
                                                          "error": ["log_id": .string(call.logID), "troubleshooter": "https://open.feishu.cn/search"]]))
    }

    // MARK: shared helpers for endpoints

    func idTypes(_ call: APICall) throws(APIError) -> IDTypes {
        var types = IDTypes()
        if let raw = call.query("user_id_type") {
            guard let type = IDTypes.UserIDType(rawValue: raw) else {
                throw .validation("user_id_type", raw, "user_id_type must be one of open_id, union_id, user_id")
            }
            types.user = type
        }
        if let raw = call.query("department_id_type") {
            guard let type = IDTypes.DepartmentIDType(rawValue: raw) else {
                throw .validation("department_id_type", raw, "department_id_type must be one of open_department_id, department_id")
            }
            types.department = type
        }
        return types
    }

    /// Runs a create once per `client_token` (per app and API); a repeat gets the first answer.
    func idempotent(_ call: APICall, appID: String, _ body: () throws(APIError) -> JSON) throws(APIError) -> JSON {
        guard let token = call.query("client_token"), !token.isEmpty else { return try body() }
        let key = "\(appID)|\(call.endpoint.rawValue)|\(token)"
        if let answer = idempotentAnswers[key] { return answer }
        let answer = try body()
        idempotentAnswers[key] = answer
        return answer
    }

    func memberCounts() -> (all: [String: Int], primary: [String: Int]) {
        if let cached = cachedCounts, cached.version == org.version { return (cached.all, cached.primary) }
        let counts = org.memberCounts()
        cachedCounts = (org.version, counts.all, counts.primary)
        return counts
    }
}
