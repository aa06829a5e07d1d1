import Foundation

/// One fixed window of a quota: calls counted in the current second and minute.
struct RateWindow: Sendable {
    var second: Int64 = -1
    var secondCount = 0
    var minute: Int64 = -1
    var minuteCount = 0
}

/// Rate limits (`feishu-api.md` §7) and injected faults: what may answer a call before (or instead of) its API.
extension AdminState {
    /// A fixed-window quota: at most `perSecond` calls per second and `perMinute` per minute under `key`.
    struct Quota {
        var key: String
        var perSecond: Int
        var perMinute: Int
    }

    static let perSecondLimit = 50
    static let perMinuteLimit = 1000

    private mutating func rateLimitResponse(limit: Int, reset: Int, call: APICall) -> EmulatorResponse {
        counters.rateLimited[call.endpoint.rawValue, default: 0] += 1
        countError(call)
        return EmulatorResponse(
            status: 429, body: .json(["code": 99991400, "msg": "request trigger frequency limit", "error": [
                "log_id": .string(call.logID),
                "troubleshooter": "https://open.feishu.cn/search?from=openapi&code=99991400&page_referer=emulator",
            ]]),
            headers: [("x-ogw-ratelimit-limit", String(limit)), ("x-ogw-ratelimit-reset", String(reset))])
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
    mutating func rateLimit(appID: String, call: APICall) -> EmulatorResponse? {
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

    /// Whether an API's own limit refuses a call (IM's per recipient, chat and message limits): when rate limits are on
    /// and `quota` is used up, the call is counted as rate limited and `true` answered.
    mutating func throttles(_ call: APICall, _ quota: Quota) -> Bool {
        guard rateLimitEnabled, take([quota]) != nil else { return false }
        counters.rateLimited[call.endpoint.rawValue, default: 0] += 1
        return true
    }

    /// Takes one call from every quota, or from none when one of them is used up: then answers that quota's limit
    /// and the seconds until it recovers. Shared by the per-API limits and the IM per-recipient/chat/message ones.
    mutating func take(_ quotas: [Quota]) -> (limit: Int, reset: Int)? {
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

    /// An injected error for the call, at the configured rate and kind; `nil` lets it through.
    mutating func injectFault(_ call: APICall) -> EmulatorResponse? {
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
}
