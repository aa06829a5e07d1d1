import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// An error answer of the bridge: `{"error":{"field":"…","message":"…"}}` with a 4xx/5xx status.
/// `field` names the input that is wrong, when one is.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var field: String?
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, field: String? = nil, message: String) {
        self.status = status
        self.field = field
        self.message = message
    }

    public static func invalid(_ field: String, _ message: String) -> APIError { APIError(.badRequest, field: field, message: message) }

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
        let data = try encoder.encode(Body(error: .init(field: field, message: message)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The answer for a known error of the bridge's layers, or nil for an unexpected one.
    public static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: return error
        case let error as YunqiaoError:
            switch error {
            case .invalid(let field, let message): return APIError(.badRequest, field: field, message: message)
            case .notFound(let what): return APIError(.notFound, message: "\(what) not found")
            case .duplicate(let what): return APIError(.conflict, message: "\(what) already exists")
            case .inUse(let message): return APIError(.conflict, message: message)
            case .conflict(let field, let message): return APIError(.conflict, field: field, message: message)
            case .unavailable(let message): return APIError(.serviceUnavailable, message: message)
            case .forbidden(let message): return APIError(.forbidden, message: message)
            }
        case let error as DecodingError: return decoding(error)
        case let error as HTTPError:
            var answer = APIError(error.status, message: error.body ?? error.status.reasonPhrase)
            answer.headers = error.headers
            return answer
        case let error as FeishuDirectorySync.SyncError: return APIError(.conflict, message: error.description)
        default: return nil
        }
    }

    static func decoding(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { $0.intValue.map { "\($0)" } ?? $0.stringValue }
            return keys.isEmpty ? nil : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return .invalid(parent.map { "\($0).\(key.stringValue)" } ?? key.stringValue, "required")
        case .typeMismatch(let type, let context):
            return APIError(.badRequest, field: path(context), message: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return APIError(.badRequest, field: path(context), message: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            return APIError(.badRequest, field: path(context),
                            message: path(context) == nil ? "the body is not valid JSON" : "invalid value: \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, message: "the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
