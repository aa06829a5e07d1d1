import Foundation

/// A side-door request refused: the field at fault and what it should be.
struct AdminRefusal: Error, Sendable {
    var field: String
    var message: String
}

extension EmulatorResponse {
    /// A side-door answer.
    static func ok(_ json: JSON) -> EmulatorResponse { EmulatorResponse(status: 200, body: .json(json)) }

    /// A side-door refusal: 400 `{"error": {"field", "message"}}`.
    static func adminError(_ field: String, _ message: String) -> EmulatorResponse {
        EmulatorResponse(status: 400, body: .json(["error": ["field": .string(field), "message": .string(message)]]))
    }

    static func adminError(_ refusal: AdminRefusal) -> EmulatorResponse { adminError(refusal.field, refusal.message) }
}

/// The operator's side door, `/_emulator/...`: read the org and counters, inject faults, age tokens.
/// Documented in the README; never used by the bridge itself.
extension EmulatorState {
    func handleAdmin(method: String, path: String, query: [String: [String]], body: Data) async -> EmulatorResponse {
        let json = JSON.parse(body)
        defer { publishContactEvents() }
        // Event request URLs, scope changes, the pushes' journal (`Events/EmulatorState+Events.swift`).
        if let answer = await handleEventsAdmin(method: method, path: path, query: query, json: json) { return answer }
        // Messages, chats, card callback settings and clicks (`IM/EmulatorState+IMAdmin.swift`).
        if let answer = await handleIMAdmin(method: method, path: path, query: query, json: json) { return answer }
        // Third-party approval: instances, Approval Center, quick-approval taps (`Approval/EmulatorState+ApprovalAdmin.swift`).
        if let answer = await handleApprovalAdmin(method: method, path: path, query: query, json: json) { return answer }
        // The JS SDK's page check (`JSSDK/EmulatorState+JSSDK.swift`).
        if let answer = handleJSSDKAdmin(method: method, path: path, json: json) { return answer }
        switch (method, path) {
        case ("GET", "/_emulator/state"):
            return .ok(stateJSON(includeOrg: query["org"]?.last != "false"))
        case ("GET", "/_emulator/faults"):
            return .ok(admin.faults.json)
        case ("PUT", "/_emulator/faults"), ("POST", "/_emulator/faults"), ("PATCH", "/_emulator/faults"):
            guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
            switch (method == "PUT" ? EmulatorFaults() : admin.faults).applying(fields) {
            case .success(let updated): admin.faults = updated
            case .failure(let refusal): return .adminError(refusal)
            }
            return .ok(admin.faults.json)
        case ("DELETE", "/_emulator/faults"):
            admin.faults = EmulatorFaults()
            return .ok(admin.faults.json)
        case ("PUT", "/_emulator/rate-limit"), ("POST", "/_emulator/rate-limit"):
            guard let enabled = json?["enabled"]?.boolValue else { return .adminError("enabled", "true or false") }
            admin.rateLimitEnabled = enabled
            return .ok(["enabled": .bool(enabled)])
        case ("POST", "/_emulator/tokens/expire"):
            expireAllTokens()
            return .ok(["expired": .int(admin.tokens.count + oauth.userTokens.count)])
        case ("POST", "/_emulator/clock/advance"):
            guard let seconds = json?["seconds"]?.intValue, seconds >= 0 else { return .adminError("seconds", "a number of seconds ≥ 0") }
            admin.clockOffset += Double(seconds)
            return .ok(["offset_seconds": .int(Int(admin.clockOffset))])
        case ("POST", "/_emulator/clock/freeze"):
            guard let frozen = json?["frozen"]?.boolValue else { return .adminError("frozen", "true or false") }
            admin.frozenAt = frozen ? (admin.frozenAt ?? Date().timeIntervalSince1970) : nil
            return .ok(["frozen": .bool(frozen), "offset_seconds": .int(Int(admin.clockOffset))])
        case ("PUT", "/_emulator/seats"), ("POST", "/_emulator/seats"):
            // {"seats": N} sets the licensed seats, {"seats": null} lifts the limit.
            guard let fields = json?.objectValue, let value = fields["seats"] else { return .adminError("seats", "a number ≥ 0, or null") }
            if case .null = value {
                contact.seats = nil
            } else {
                guard let seats = value.intValue, seats >= 0 else { return .adminError("seats", "a number ≥ 0, or null") }
                contact.seats = seats
            }
            return .ok(["seats": contact.seats.map { .int($0) } ?? .null, "taken": .int(contact.org.seatsTaken)])
        case ("POST", "/_emulator/counters/reset"):
            admin.counters = AdminState.Counters()
            return .ok([:])
        default:
            return .notFound
        }
    }

    /// Counters and (optionally) the whole org with every id, for tests to assert on.
    func stateJSON(includeOrg: Bool) -> JSON {
        let org = contact.org
        var state: [String: JSON] = [
            "tenant": ["name": .string(org.tenantName), "tenant_key": .string(org.tenantKey),
                       "brand": .string(configuration.brand.rawValue)],
            "apps": admin.appsJSON,
            "rate_limit": .bool(admin.rateLimitEnabled),
            "faults": admin.faults.json,
            "im": im.summaryJSON,
            "jssdk": jssdk.summaryJSON(now: admin.now),
            "approval": approval.summaryJSON,
            "qr_login": qrLogin.summaryJSON(now: admin.now),
            "counters": admin.countersJSON,
            "seats": ["limit": contact.seats.map { .int($0) } ?? .null, "taken": .int(contact.org.seatsTaken)],
        ]
        if includeOrg { state["org"] = org.operatorJSON }
        return .object(state)
    }
}
