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
    /// Fraction (0…1) of contact events never pushed (the platform lost them; a full sync finds what they changed).
    public var eventDropRate = 0.0
    /// Fraction (0…1) of contact events pushed twice with the same `event_id` (delivery is at least once).
    public var eventDuplicateRate = 0.0

    public init() {}
}

extension EmulatorFaults {
    /// The faults as `/_emulator/faults` shows them.
    var json: JSON {
        ["latency_ms": .int(latencyMs), "error_rate": .double(errorRate), "error_kind": .string(errorKind.rawValue),
         "error_apis": .array(errorAPIs.sorted().map(JSON.string)), "rate_limit_burst": .int(rateLimitBurst),
         "error_after_apply": .bool(errorAfterApply), "event_drop_rate": .double(eventDropRate),
         "event_duplicate_rate": .double(eventDuplicateRate)]
    }

    /// These faults with the fields of a `/_emulator/faults` body applied; a bad field is refused.
    func applying(_ fields: [String: JSON]) -> Result<EmulatorFaults, AdminRefusal> {
        func refuse(_ field: String, _ message: String) -> Result<EmulatorFaults, AdminRefusal> {
            .failure(AdminRefusal(field: field, message: message))
        }
        var updated = self
        if let value = fields["latency_ms"] {
            guard let ms = value.intValue, ms >= 0, ms <= 60_000 else { return refuse("latency_ms", "0…60000") }
            updated.latencyMs = ms
        }
        if let value = fields["error_rate"] {
            guard case let rate?? = Optional(value.stringValue.flatMap(Double.init)), (0...1).contains(rate) else {
                return refuse("error_rate", "a fraction between 0 and 1")
            }
            updated.errorRate = rate
        }
        for (field, path) in [("event_drop_rate", \EmulatorFaults.eventDropRate), ("event_duplicate_rate", \EmulatorFaults.eventDuplicateRate)] {
            guard let value = fields[field] else { continue }
            guard case let rate?? = Optional(value.stringValue.flatMap(Double.init)), (0...1).contains(rate) else {
                return refuse(field, "a fraction between 0 and 1")
            }
            updated[keyPath: path] = rate
        }
        if let value = fields["error_kind"] {
            guard let kind = value.stringValue.flatMap(EmulatorFaults.ErrorKind.init(rawValue:)) else {
                return refuse("error_kind", "one of http_5xx, internal_code, mixed")
            }
            updated.errorKind = kind
        }
        if let value = fields["error_apis"] {
            guard let names = value.arrayValue?.compactMap(\.stringValue) else { return refuse("error_apis", "a list of API names") }
            let known = Set(Endpoint.allCases.map(\.rawValue))
            if let unknown = names.first(where: { !known.contains($0) }) {
                return refuse("error_apis", "unknown API \(unknown); names look like \(Endpoint.userGet.rawValue)")
            }
            updated.errorAPIs = Set(names)
        }
        if let value = fields["error_after_apply"] {
            guard let flag = value.boolValue else { return refuse("error_after_apply", "true or false") }
            updated.errorAfterApply = flag
        }
        if let value = fields["rate_limit_burst"] {
            guard let count = value.intValue, count >= 0 else { return refuse("rate_limit_burst", "a count ≥ 0") }
            updated.rateLimitBurst = count
        }
        return .success(updated)
    }
}
