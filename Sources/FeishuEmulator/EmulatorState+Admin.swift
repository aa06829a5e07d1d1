import Foundation

/// The operator's side door, `/_emulator/...`: read the org and counters, inject faults, age tokens.
/// Documented in the README; never used by the bridge itself.
extension EmulatorState {
    func handleAdmin(method: String, path: String, query: [String: [String]], body: Data) async -> EmulatorResponse {
        let json = JSON.parse(body)
        // Messages, chats, card callback settings and clicks (`EmulatorState+IMAdmin.swift`).
        if let answer = await handleIMAdmin(method: method, path: path, query: query, json: json) { return answer }
        switch (method, path) {
        case ("GET", "/_emulator/state"):
            return ok(stateJSON(includeOrg: query["org"]?.last != "false"))
        case ("GET", "/_emulator/faults"):
            return ok(faultsJSON)
        case ("PUT", "/_emulator/faults"), ("POST", "/_emulator/faults"), ("PATCH", "/_emulator/faults"):
            guard let fields = json?.objectValue else { return adminError("body", "a JSON object is required") }
            var updated = method == "PUT" ? EmulatorFaults() : faults
            if let value = fields["latency_ms"] {
                guard let ms = value.intValue, ms >= 0, ms <= 60_000 else { return adminError("latency_ms", "0…60000") }
                updated.latencyMs = ms
            }
            if let value = fields["error_rate"] {
                guard case let rate?? = Optional(value.stringValue.flatMap(Double.init)), (0...1).contains(rate) else {
                    return adminError("error_rate", "a fraction between 0 and 1")
                }
                updated.errorRate = rate
            }
            if let value = fields["error_kind"] {
                guard let kind = value.stringValue.flatMap(EmulatorFaults.ErrorKind.init(rawValue:)) else {
                    return adminError("error_kind", "one of http_5xx, internal_code, mixed")
                }
                updated.errorKind = kind
            }
            if let value = fields["error_apis"] {
                guard let names = value.arrayValue?.compactMap(\.stringValue) else { return adminError("error_apis", "a list of API names") }
                let known = Set(Endpoint.allCases.map(\.rawValue))
                if let unknown = names.first(where: { !known.contains($0) }) {
                    return adminError("error_apis", "unknown API \(unknown); names look like \(Endpoint.userGet.rawValue)")
                }
                updated.errorAPIs = Set(names)
            }
            if let value = fields["error_after_apply"] {
                guard let flag = value.boolValue else { return adminError("error_after_apply", "true or false") }
                updated.errorAfterApply = flag
            }
            if let value = fields["rate_limit_burst"] {
                guard let count = value.intValue, count >= 0 else { return adminError("rate_limit_burst", "a count ≥ 0") }
                updated.rateLimitBurst = count
            }
            faults = updated
            return ok(faultsJSON)
        case ("DELETE", "/_emulator/faults"):
            faults = EmulatorFaults()
            return ok(faultsJSON)
        case ("PUT", "/_emulator/rate-limit"), ("POST", "/_emulator/rate-limit"):
            guard let enabled = json?["enabled"]?.boolValue else { return adminError("enabled", "true or false") }
            rateLimitEnabled = enabled
            return ok(["enabled": .bool(enabled)])
        case ("POST", "/_emulator/tokens/expire"):
            expireAllTokens()
            return ok(["expired": .int(tokens.count + oauth.userTokens.count)])
        case ("POST", "/_emulator/clock/advance"):
            guard let seconds = json?["seconds"]?.intValue, seconds >= 0 else { return adminError("seconds", "a number of seconds ≥ 0") }
            clockOffset += Double(seconds)
            return ok(["offset_seconds": .int(Int(clockOffset))])
        case ("POST", "/_emulator/clock/freeze"):
            guard let frozen = json?["frozen"]?.boolValue else { return adminError("frozen", "true or false") }
            frozenAt = frozen ? (frozenAt ?? Date().timeIntervalSince1970) : nil
            return ok(["frozen": .bool(frozen), "offset_seconds": .int(Int(clockOffset))])
        case ("POST", "/_emulator/counters/reset"):
            counters = Counters()
            return ok([:])
        default:
            return .notFound
        }
    }

    func ok(_ json: JSON) -> EmulatorResponse { EmulatorResponse(status: 200, body: .json(json)) }

    func adminError(_ field: String, _ message: String) -> EmulatorResponse {
        EmulatorResponse(status: 400, body: .json(["error": ["field": .string(field), "message": .string(message)]]))
    }

    var faultsJSON: JSON {
        ["latency_ms": .int(faults.latencyMs), "error_rate": .double(faults.errorRate), "error_kind": .string(faults.errorKind.rawValue),
         "error_apis": .array(faults.errorAPIs.sorted().map(JSON.string)), "rate_limit_burst": .int(faults.rateLimitBurst),
         "error_after_apply": .bool(faults.errorAfterApply)]
    }

    /// Counters and (optionally) the whole org with every id, for tests to assert on.
    func stateJSON(includeOrg: Bool) -> JSON {
        func dictionary(_ values: [String: Int]) -> JSON { .object(values.mapValues { .int($0) }) }
        var state: [String: JSON] = [
            "tenant": ["name": .string(org.tenantName), "tenant_key": .string(org.tenantKey),
                       "brand": .string(configuration.brand.rawValue)],
            "apps": .array(apps.keys.sorted().map { id in
                let config = apps[id]?.config
                let scope: JSON = switch config?.scope {
                case .limited(let departments, let users)?:
                    ["departments": .array(departments.map(JSON.string)), "users": .array(users.map(JSON.string))]
                default: "all"
                }
                return ["app_id": .string(id), "scope": scope,
                        "withheld_fields": .array((config?.withheldFields ?? []).sorted().map(JSON.string))]
            }),
            "rate_limit": .bool(rateLimitEnabled),
            "faults": faultsJSON,
            "im": ["messages": .int(im.messages.count), "images": .int(im.images.count),
                   "group_chats": .int(im.chats.values.filter { $0.p2pApp == nil }.count), "callbacks": .int(im.callbacks.count)],
            "counters": [
                "calls": dictionary(counters.calls),
                "rate_limited": dictionary(counters.rateLimited),
                "faults": dictionary(counters.faults),
                "errors": dictionary(counters.errors),
                "tokens_issued": .int(counters.tokensIssued),
                "authorization_codes_issued": .int(counters.authorizationCodesIssued),
                "user_tokens_issued": .int(counters.userTokensIssued),
                "total_calls": .int(counters.calls.values.reduce(0, +)),
                "total_rate_limited": .int(counters.rateLimited.values.reduce(0, +)),
            ],
        ]
        if includeOrg {
            let departments = org.departments.values.sorted { $0.sequence < $1.sequence }.map { department -> JSON in
                var item: [String: JSON] = [
                    "open_department_id": .string(department.openID), "department_id": .string(department.customID),
                    "name": .string(department.name), "parent_open_department_id": .string(department.parent),
                    "order": .string(String(department.order)),
                ]
                if let leader = department.leaderUserKey, let user = org.users[leader] { item["leader_user_id"] = .string(user.userID) }
                return .object(item)
            }
            let users = org.users.values.sorted { $0.sequence < $1.sequence }.map { user -> JSON in
                [
                    "user_id": .string(user.userID), "union_id": .string(user.unionID),
                    "open_ids": .object(org.allOpenIDs(of: user.key).mapValues(JSON.string)),
                    "name": .string(user.name), "mobile": .string(user.mobile), "email": .string(user.email),
                    "employee_no": .string(user.employeeNo),
                    "open_department_ids": .array(user.departments.map(JSON.string)),
                    "is_frozen": .bool(user.status.isFrozen), "is_resigned": .bool(user.status.isResigned),
                ]
            }
            state["org"] = ["departments": .array(departments), "users": .array(users)]
        }
        return .object(state)
    }
}
