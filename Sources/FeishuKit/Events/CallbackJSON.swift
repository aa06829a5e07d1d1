import Foundation
import YunqiaoCore

/// A JSON value, for reading callback payloads whose `action.value`, `form_value` and event bodies are free-form.
enum CallbackJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int64)
    case string(String)
    case array([CallbackJSON])
    case object([String: CallbackJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([CallbackJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: CallbackJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value, or nil for a text that is not JSON or nests deeper than ``JSONNesting/maxDepth`` (checked first: the
    /// decoder's cost grows steeply with the depth).
    static func parse(_ data: Data) -> CallbackJSON? {
        guard JSONNesting.isWithin(JSONNesting.maxDepth, data) else { return nil }
        return try? JSONDecoder().decode(CallbackJSON.self, from: data)
    }

    subscript(key: String) -> CallbackJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A scalar as text: strings as they are, numbers and booleans written out.
    var text: String? {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        default: nil
        }
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var isNull: Bool { self == .null }

    /// Compact JSON with sorted keys and unescaped slashes.
    var data: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }
}
