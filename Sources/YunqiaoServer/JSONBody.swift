import Foundation
import Hummingbird
import NIOCore
import YunqiaoCore

/// Every JSON body the bridge reads goes through here: nesting measured before parsing (``JSONNesting``), errors that
/// name the field (`fields[0].label`, a number the field cannot hold included) and never a Swift type, and — for the
/// admin API — unknown fields refused.
enum JSONBody {
    /// Decodes `buffer` (already read within its endpoint's size limit).
    /// - Parameters:
    ///   - refuseUnknownFields: a key that `T` has no property for is a 400 naming it (admin API bodies), instead of
    ///     being ignored.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer, refuseUnknownFields: Bool = false) throws -> T {
        let data = Data(buffer.readableBytesView)
        guard JSONNesting.isWithin(JSONNesting.maxDepth, data) else {
            throw APIError.invalid("body", "JSON nested deeper than \(JSONNesting.maxDepth) levels")
        }
        let value: T
        do {
            value = try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let field = misfitNumber(type, in: data) {
                throw APIError.invalid(field, "must be an integer from \(Int64.min) to \(Int64.max)")
            }
            throw APIError.decoding(error)
        }
        if refuseUnknownFields, let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
           let field = unknownField(in: json, for: value, path: "")
        {
            throw APIError.invalid(field, "unknown field")
        }
        return value
    }

    /// The first key of `json` (in key order) that `value` has no stored property for, as a field path; nil when
    /// there is none. Free-form values (dictionaries) take any key.
    static func unknownField(in json: Any, for value: Any, path: String) -> String? {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return nil }
            return unknownField(in: json, for: wrapped, path: path)
        case .struct, .class:
            guard let object = json as? [String: Any] else { return nil }
            var properties: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label { properties[label] = child.value }
            }
            for (key, element) in object.sorted(by: { $0.key < $1.key }) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard let property = properties[key] else { return field }
                if let found = unknownField(in: element, for: property, path: field) { return found }
            }
            return nil
        case .collection:
            guard let array = json as? [Any] else { return nil }
            for (index, (element, child)) in zip(array, mirror.children).enumerated() {
                if let found = unknownField(in: element, for: child.value, path: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// `2 MB`, `256 KB`, `64 MB`: a limit as the answers and the OpenAPI document write it.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1_048_576, bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576) MB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024) KB" }
        return "\(bytes) bytes"
    }
}

extension APIError {
    /// 413 naming the limit.
    static func tooLarge(limit: Int?) -> APIError {
        APIError(.contentTooLarge, field: "body", message: limit.map { "the body is larger than \(JSONBody.size($0))" } ?? "the body is too large")
    }
}

extension Request {
    /// The body, read up to `limit` bytes and kept readable: more is a 413 naming the limit (NIO's error says only how
    /// many bytes were left when it gave up).
    mutating func collectBody(within limit: Int) async throws -> ByteBuffer {
        do { return try await collectBody(upTo: limit) } catch is NIOTooManyBytesError { throw APIError.tooLarge(limit: limit) }
    }
}

extension RequestBody {
    /// The body, read up to `limit` bytes: more is a 413 naming the limit.
    func collect(within limit: Int) async throws -> ByteBuffer {
        do { return try await collect(upTo: limit) } catch is NIOTooManyBytesError { throw APIError.tooLarge(limit: limit) }
    }
}

/// Marks the admin API's requests: their JSON bodies may carry only known fields (``JSONBody/decode(_:from:refuseUnknownFields:)``).
struct RefuseUnknownFieldsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.refusesUnknownFields = true
        return try await next(request, context)
    }
}
