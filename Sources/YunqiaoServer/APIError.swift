import Foundation
import Hummingbird
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// An error answer of the bridge: `{"error":{"field":"…","message":"…"}}` with a 4xx/5xx status.
/// `field` names the input that is wrong, when one is. The message is keyed: the API answers its English, the console
/// its reader's language.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var field: String?
    public var message: LocalizedText
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, field: String? = nil, message: LocalizedText) {
        self.status = status
        self.field = field
        self.message = message
    }

    public static func invalid(_ field: String, _ message: LocalizedText) -> APIError { APIError(.badRequest, field: field, message: message) }

    struct Body: Encodable {
        struct Detail: Encodable {
            var field: String?
            var message: String
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let data = try encoder.encode(Body(error: .init(field: field, message: message.description)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The answer for a known error of the bridge's layers, or nil for an unexpected one.
    public static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: return error
        case let error as YunqiaoError:
            let status: HTTPResponse.Status = switch error {
            case .invalid: .badRequest
            case .notFound: .notFound
            case .duplicate, .inUse, .conflict: .conflict
            case .unavailable: .serviceUnavailable
            case .forbidden: .forbidden
            }
            return APIError(status, field: error.field, message: error.text)
        case let error as DecodingError: return decoding(error)
        case let error as NIOTooManyBytesError: return tooLarge(limit: error.maxBytes)
        case let error as HTTPError:
            var answer = APIError(error.status, message: LocalizedText(verbatim: error.body ?? error.status.reasonPhrase))
            answer.headers = error.headers
            return answer
        case let error as FeishuDirectorySync.SyncError: return APIError(.conflict, message: error.text)
        default: return nil
        }
    }

    /// A body that does not decode, as a 400 naming the field the way every answer does (`fields[0].label`,
    /// `links.pc`) and saying what the value must be in words, never in Swift types.
    static func decoding(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(fieldPath(context.codingPath + [key]) ?? key.stringValue, "required")
        case .typeMismatch(let type, let context):
            return APIError(.badRequest, field: fieldPath(context.codingPath) ?? "body", message: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return APIError(.badRequest, field: fieldPath(context.codingPath) ?? "body", message: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            let field = fieldPath(context.codingPath)
            return APIError(.badRequest, field: field ?? "body", message: field == nil ? "the body is not valid JSON" : "invalid value")
        @unknown default:
            return APIError(.badRequest, field: "body", message: "the body could not be read")
        }
    }

    /// `fields[0].label`: keys joined with dots, array positions in brackets.
    static func fieldPath(_ keys: [any CodingKey]) -> String? {
        var path = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? nil : path
    }

    /// What a value of `type` is, in words.
    private static func describe(_ type: Any.Type) -> LocalizedText {
        switch type {
        case is String.Type, is Substring.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type, is Decimal.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") || name.hasPrefix("KeyedDecodingContainer") { return "an object" }
            if name.hasPrefix("Array") || name.hasPrefix("UnkeyedDecodingContainer") { return "an array" }
            return "a value of another type"
        }
    }
}
