import Foundation

/// Words for a person — an error, a warning, a step of a check — carried as a **key** and the parts that vary, so
/// that each edge shows them in its reader's language: the console looks the key up in its strings files
/// (`msg.<key>` in `Resources/strings/<language>/`), the API and the logs show the English.
///
/// The key is the English sentence with `{}` where a part varies, built by the compiler from the literal parts of a
/// string literal, as SwiftUI's `LocalizedStringKey` is: `"enterprise \(id) not found"` carries the key
/// `enterprise {} not found` and the argument `id`. Nothing is ever matched against finished English text.
///
/// In JSON it is its English (what the API answers); an encoder made by `JSONEncoder.keepingKeys()` (the store's, for
/// reports kept with a run) writes `{"key":…,"arguments":[…]}` instead, and decoding takes either.
public struct LocalizedText: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// The English sentence with `{}` for each argument.
    public var key: String
    /// The parts that vary, in order, already in words (names, ids, numbers).
    public var arguments: [String]

    public init(key: String, arguments: [String] = []) {
        self.key = key
        self.arguments = arguments
    }

    /// Text from outside (a Feishu or OA answer, a file's error): shown as it is, never translated.
    public init(verbatim text: String) { self.init(key: "{}", arguments: [text]) }

    public init(stringLiteral value: String) { self.init(key: Self.escaped(value)) }

    public init(stringInterpolation: Interpolation) { self.init(key: stringInterpolation.key, arguments: stringInterpolation.arguments) }

    private enum CodingKeys: String, CodingKey { case key, arguments }

    /// The `userInfo` entry that makes an encoder keep the key and arguments.
    public static let keepKeys = CodingUserInfoKey(rawValue: "yunqiao.localizedText.keepKeys")!

    public init(from decoder: any Decoder) throws {
        if let english = try? decoder.singleValueContainer().decode(String.self) {
            self.init(verbatim: english)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(key: try container.decode(String.self, forKey: .key),
                  arguments: try container.decodeIfPresent([String].self, forKey: .arguments) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[Self.keepKeys] as? Bool == true {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
            if !arguments.isEmpty { try container.encode(arguments, forKey: .arguments) }
        } else {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    /// Two texts are equal when they say the same in English, however they were put together.
    public static func == (lhs: LocalizedText, rhs: LocalizedText) -> Bool { lhs.description == rhs.description }

    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// The English: the key with its arguments in place.
    public var description: String { Self.fill(key, arguments) }

    /// `template` with `arguments` in place of its `{}`s, in order (a missing argument leaves nothing).
    public static func fill(_ template: String, _ arguments: [String]) -> String {
        var result = ""
        var remaining = arguments[...]
        for (index, literal) in template.components(separatedBy: "{}").enumerated() {
            if index > 0, let argument = remaining.popFirst() { result += argument }
            result += literal
        }
        return result
    }

    /// The words before and after, keyed: `prefix` + this + `suffix` (e.g. "\(what) not found").
    public func wrapped(prefix: String = "", suffix: String = "") -> LocalizedText {
        LocalizedText(key: Self.escaped(prefix) + key + Self.escaped(suffix), arguments: arguments)
    }

    /// A literal `{}` in English cannot stand in a key; literals never contain one, but a literal brace pair would
    /// shift the arguments, so it is kept apart.
    private static func escaped(_ literal: String) -> String { literal.replacingOccurrences(of: "{}", with: "{ }") }

    public struct Interpolation: StringInterpolationProtocol, Sendable {
        var key = ""
        var arguments: [String] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            key.reserveCapacity(literalCapacity + 2 * interpolationCount)
            arguments.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { key += LocalizedText.escaped(literal) }

        /// A part that varies: its words become an argument.
        public mutating func appendInterpolation<Value>(_ value: Value) {
            key += "{}"
            arguments.append(String(describing: value))
        }

        /// Keyed words inside keyed words ("must be \(kind)") join the key, so both are translated together.
        public mutating func appendInterpolation(_ text: LocalizedText) {
            key += text.key
            arguments += text.arguments
        }

        /// A part that varies and may be absent.
        public mutating func appendInterpolation<Value>(_ value: Value?) {
            key += "{}"
            arguments.append(value.map { String(describing: $0) } ?? "")
        }
    }
}

extension JSONEncoder {
    /// An encoder that writes `LocalizedText` as its key and arguments, for what is stored and shown again later.
    public static func keepingKeys() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.userInfo[LocalizedText.keepKeys] = true
        return encoder
    }
}
