import Foundation

/// The kinds of bearer token: tenant and app tokens from app credentials, user tokens from the OAuth code flow.
enum TokenKind: String, Sendable, Hashable {
    case tenant, app, user
}

/// The platform's side of the emulator: the apps and their tenant/app tokens, the clock, rate windows, injected
/// faults and the call counters. Every area reads the clock and draws on the rate windows through it.
struct AdminState: Sendable {
    /// An app as configured (or changed at run time), and the tenant/app tokens it currently gets.
    struct AppRecord: Sendable {
        var config: EmulatorConfiguration.App
        var currentTenantToken: String?
        var currentAppToken: String?
    }

    /// A tenant or app access token: whose, and until when.
    struct TokenRecord: Sendable {
        var appID: String
        var expiresAt: Double
        var kind: TokenKind = .tenant
    }

    /// What `/_emulator/state` counts, per API and in total.
    struct Counters: Sendable {
        var calls: [String: Int] = [:]
        var rateLimited: [String: Int] = [:]
        var faults: [String: Int] = [:]
        var errors: [String: Int] = [:]
        var tokensIssued = 0
        var authorizationCodesIssued = 0
        var userTokensIssued = 0
    }

    var apps: [String: AppRecord] = [:]
    var tokens: [String: TokenRecord] = [:]
    var rateWindows: [String: RateWindow] = [:]
    var counters = Counters()
    var faults: EmulatorFaults
    var rateLimitEnabled: Bool
    var faultRandom: SplitMix64
    /// Seconds added to the wall clock (`/_emulator/clock`), so tests can age tokens without waiting.
    var clockOffset = 0.0
    /// When set (`/_emulator/clock/freeze`), the emulator's clock stands still at this wall-clock time.
    var frozenAt: Double?

    init(configuration: EmulatorConfiguration, faults: EmulatorFaults) {
        self.faults = faults
        self.rateLimitEnabled = configuration.rateLimit
        self.faultRandom = SplitMix64(seed: configuration.seed &+ 7)
        for app in configuration.apps { apps[app.appID] = AppRecord(config: app) }
    }

    var now: Double { (frozenAt ?? Date().timeIntervalSince1970) + clockOffset }

    /// Counts a refused call of `call`'s API.
    mutating func countError(_ call: APICall) {
        counters.errors[call.endpoint.rawValue, default: 0] += 1
    }

    // MARK: tenant and app tokens

    /// `POST /open-apis/auth/v3/{tenant,app}_access_token/internal`: the same token while it has ≥ 30 min (a quarter
    /// of its lifetime) left, a new one after. New tokens draw their ids from `org`.
    mutating func issueToken(_ call: APICall, lifetime: Double, org: inout Org) -> EmulatorResponse {
        // The SDK sends the body without a Content-Type header: parse it as JSON regardless.
        let body = call.json
        guard let appID = body?["app_id"]?.stringValue, let secret = body?["app_secret"]?.stringValue,
              var app = apps[appID], app.config.appSecret == secret
        else {
            countError(call)
            return EmulatorResponse(status: 200, body: .json(["code": 10003, "msg": "invalid param", "data": [:]]))
        }
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

    /// Ends every tenant and app token still valid at `now`.
    mutating func expireTokens(now: Double) {
        for (key, record) in tokens where record.expiresAt > now { tokens[key]?.expiresAt = now }
    }

    // MARK: operator views

    /// The apps as `/_emulator/state` shows them: id, contact scope and withheld fields.
    var appsJSON: JSON {
        .array(apps.keys.sorted().map { id in
            let config = apps[id]?.config
            let scope: JSON = switch config?.scope {
            case .limited(let departments, let users)?:
                ["departments": .array(departments.map(JSON.string)), "users": .array(users.map(JSON.string))]
            default: "all"
            }
            return ["app_id": .string(id), "scope": scope,
                    "withheld_fields": .array((config?.withheldFields ?? []).sorted().map(JSON.string))]
        })
    }

    var countersJSON: JSON {
        func dictionary(_ values: [String: Int]) -> JSON { .object(values.mapValues { .int($0) }) }
        return [
            "calls": dictionary(counters.calls),
            "rate_limited": dictionary(counters.rateLimited),
            "faults": dictionary(counters.faults),
            "errors": dictionary(counters.errors),
            "tokens_issued": .int(counters.tokensIssued),
            "authorization_codes_issued": .int(counters.authorizationCodesIssued),
            "user_tokens_issued": .int(counters.userTokensIssued),
            "total_calls": .int(counters.calls.values.reduce(0, +)),
            "total_rate_limited": .int(counters.rateLimited.values.reduce(0, +)),
        ]
    }
}
