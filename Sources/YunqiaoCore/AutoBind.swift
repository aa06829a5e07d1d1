import Foundation

/// A field two directories can be matched by (seed 4.2.4 自动绑定): the admin orders them by precedence.
public enum BindingField: String, Sendable, Codable, CaseIterable, Hashable {
    /// Employee number (工号).
    case employeeNo
    /// Mobile number, compared with its country code (+86 when none is given).
    case mobile
    /// Email, compared case-insensitively.
    case email
    /// Feishu `user_id` against the OA login id.
    case userID

    /// The comparable form of a value, or nil when it is empty or meaningless.
    public func normalize(_ value: String?) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        switch self {
        case .employeeNo: return trimmed.uppercased()
        case .email: return trimmed.lowercased()
        case .userID: return trimmed
        case .mobile: return Self.normalizeMobile(trimmed)
        }
    }

    /// `+86 138-0000-1008`, `0086 13800001008`, `8613800001008` and `13800001008` are all `+8613800001008`;
    /// other countries keep their code (`+1 415 555 0100` → `+14155550100`).
    static func normalizeMobile(_ value: String) -> String? {
        if let ascii = normalizeASCIIMobile(value) { return ascii.isEmpty ? nil : ascii }
        return normalizeAnyMobile(value)
    }

    /// ``normalizeMobile(_:)`` for any text, by characters.
    static func normalizeAnyMobile(_ value: String) -> String? {
        var text = Substring(value)
        var international = false
        if text.hasPrefix("+") {
            international = true
            text = text.dropFirst()
        } else if text.hasPrefix("00") {
            international = true
            text = text.dropFirst(2)
        }
        let digits = text.filter { $0.isASCII && $0.isNumber }
        // Anything but digits and the usual separators means it is not a phone number.
        guard !digits.isEmpty, text.allSatisfy({ $0.isNumber || " -().".contains($0) }) else { return nil }
        if international { return "+" + digits }
        if digits.count == 11 && digits.hasPrefix("1") { return "+86" + digits }
        if digits.count == 13 && digits.hasPrefix("861") { return "+" + digits }
        return "+86" + digits
    }
}

extension BindingField {
    /// ``normalizeMobile(_:)`` for ASCII text, on bytes (planning and matching read a mobile per user): the number,
    /// `""` when it is not a phone number, or nil when the text is not ASCII (the general path then decides).
    static func normalizeASCIIMobile(_ value: String) -> String? {
        var bytes = value.utf8[...]
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var international = false
        if bytes.first == UInt8(ascii: "+") {
            international = true
            bytes = bytes.dropFirst()
        } else if bytes.starts(with: "00".utf8) {
            international = true
            bytes = bytes.dropFirst(2)
        }
        var digits = ""
        digits.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."): continue
            default: return ""
            }
        }
        guard !digits.isEmpty else { return "" }
        if international { return "+" + digits }
        if digits.utf8.count == 11 && digits.hasPrefix("1") { return "+86" + digits }
        if digits.utf8.count == 13 && digits.hasPrefix("861") { return "+" + digits }
        return "+86" + digits
    }
}

/// One side's user as the matcher sees it: a key and the values of the fields.
public struct BindingCandidate: Sendable, Equatable {
    /// The Feishu union_id, or the OA user id.
    public var key: String
    public var values: [BindingField: String]

    public init(key: String, values: [BindingField: String]) {
        self.key = key
        self.values = values
    }
}

/// Why a Feishu user was not bound automatically. Nothing is guessed: the admin resolves these.
public struct BindingConflict: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// Several OA users have the value.
        case ambiguous
        /// The one OA user with the value is already bound to another Feishu user.
        case alreadyBound
        /// Several Feishu users match the same OA user.
        case contested
    }

    public var kind: Kind
    public var feishuKey: String
    public var field: BindingField
    public var value: String
    /// The OA users involved, sorted.
    public var oaKeys: [String]

    public init(kind: Kind, feishuKey: String, field: BindingField, value: String, oaKeys: [String]) {
        self.kind = kind
        self.feishuKey = feishuKey
        self.field = field
        self.value = value
        self.oaKeys = oaKeys
    }
}

/// The outcome of an auto-bind pass: new bindings (each with the field that matched) and conflicts.
public struct AutoBindPlan: Sendable, Equatable {
    public struct Match: Sendable, Equatable {
        public var feishuKey: String
        public var oaKey: String
        public var field: BindingField

        public init(feishuKey: String, oaKey: String, field: BindingField) {
            self.feishuKey = feishuKey
            self.oaKey = oaKey
            self.field = field
        }
    }

    public var matches: [Match] = []
    public var conflicts: [BindingConflict] = []
    /// Feishu users with no value matching any OA user.
    public var unmatched = 0

    public init() {}
}

/// Auto-bind by field (seed 4.2.4): for every unbound Feishu user, the fields in precedence order; the first field with
/// a value that some OA user has decides — exactly one free OA user binds, anything else is a conflict. A field with
/// no value on the Feishu side, or no OA user with that value, passes to the next field.
public enum AutoBinder {
    /// - Parameters:
    ///   - bound: the existing bindings, Feishu key → OA key (both sides are skipped / count as taken).
    public static func plan(feishu: [BindingCandidate], oa: [BindingCandidate], bound: [String: String],
                            fields: [BindingField]) -> AutoBindPlan
    {
        var plan = AutoBindPlan()
        let boundOA = Set(bound.values)
        var index: [BindingField: [String: [String]]] = [:]
        for field in fields {
            var byValue: [String: [String]] = [:]
            byValue.reserveCapacity(oa.count)
            for user in oa {
                if let value = field.normalize(user.values[field]) { byValue[value, default: []].append(user.key) }
            }
            index[field] = byValue
        }
        var tentative: [(match: AutoBindPlan.Match, value: String)] = []
        for user in feishu where bound[user.key] == nil {
            var decided = false
            for field in fields {
                guard let value = field.normalize(user.values[field]), let keys = index[field]?[value] else { continue }
                decided = true
                if keys.count > 1 {
                    plan.conflicts.append(BindingConflict(kind: .ambiguous, feishuKey: user.key, field: field, value: value, oaKeys: keys.sorted()))
                } else if boundOA.contains(keys[0]) {
                    plan.conflicts.append(BindingConflict(kind: .alreadyBound, feishuKey: user.key, field: field, value: value, oaKeys: keys))
                } else {
                    tentative.append((AutoBindPlan.Match(feishuKey: user.key, oaKey: keys[0], field: field), value))
                }
                break
            }
            if !decided { plan.unmatched += 1 }
        }
        let claims = Dictionary(grouping: tentative, by: \.match.oaKey)
        for (match, value) in tentative {
            if claims[match.oaKey, default: []].count > 1 {
                plan.conflicts.append(BindingConflict(kind: .contested, feishuKey: match.feishuKey, field: match.field, value: value,
                                                      oaKeys: [match.oaKey]))
            } else {
                plan.matches.append(match)
            }
        }
        return plan
    }
}
