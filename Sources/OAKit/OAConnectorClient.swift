import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The two lists of the OA's directory the pull connector reads.
public enum OADirectoryList: String, Sendable, CaseIterable {
    case departments, users
}

/// The bridge's side of the contract an external OA implements for the pull connector (documented in `/openapi.json`
/// under `webhooks`): `GET {base}/departments` and `GET {base}/users` answer pages of
/// `{"items": […], "has_more": bool, "page_token": "…"}`; `POST {base}/verify-login` checks an OA password. Every call
/// sends `Authorization: Bearer <connector secret>`, has its own deadline and reads at most `maxResponseBytes`.
public struct OAConnectorClient: Sendable {
    public let baseURL: String
    public let secret: String
    public let httpClient: HTTPClient
    public var timeout: Duration
    public var maxResponseBytes: Int

    public init(baseURL: String, secret: String, httpClient: HTTPClient, timeout: Duration, maxResponseBytes: Int) {
        self.baseURL = baseURL
        self.secret = secret
        self.httpClient = httpClient
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Why a call to the OA failed. The descriptions are for admins (run history, check steps); none holds a password.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No HTTP answer within the deadline.
        case timedOut(host: String, after: String)
        /// No HTTP answer: the connection failed (why, in the HTTP client's words).
        case unreachable(host: String, reason: String)
        case cancelled
        /// 401 or 403: the OA does not accept the connector secret.
        case refused(status: UInt)
        /// Another answer than 2xx.
        case status(UInt)
        case tooLarge(bytes: Int)
        /// The answer is not the contract's JSON.
        case malformed(String)

        public var description: String {
            switch self {
            case .timedOut(let host, let after): "no answer from \(host) within \(after)"
            case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
            case .cancelled: "cancelled"
            case .refused(let status): "the OA refused the connector secret (HTTP \(status)): check the secret on both sides"
            case .status(let status): "the OA answered HTTP \(status)"
            case .tooLarge(let bytes): "the answer is larger than \(bytes / 1024 / 1024) MB"
            case .malformed(let reason): "the answer is not the contract's JSON: \(reason)"
            }
        }
    }

    /// One page of a list as the OA sent it.
    public struct Page: Sendable {
        public var items: [[String: OAConnectorValue]]
        public var hasMore: Bool
        public var pageToken: String?
    }

    /// `POST {base}/verify-login`'s answer.
    public enum Verdict: Sendable, Equatable {
        case valid(userID: String)
        case invalid
    }

    /// The path of a list on the OA.
    public static func path(_ list: OADirectoryList) -> String { "/" + list.rawValue }

    /// `GET {base}/{list}?page_size=&page_token=`.
    public func page(_ list: OADirectoryList, pageSize: Int, pageToken: String?) async throws(Failure) -> Page {
        var query = "?page_size=\(pageSize)"
        if let pageToken { query += "&page_token=" + (pageToken.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "") }
        let data = try await call(.GET, Self.path(list) + query, body: nil)
        do {
            let body = try JSONDecoder().decode(PageBody.self, from: data)
            return Page(items: body.items, hasMore: body.hasMore, pageToken: body.pageToken)
        } catch {
            throw .malformed(Self.describe(error))
        }
    }

    /// `POST {base}/verify-login` with `{"login_id","password"}`.
    public func verifyLogin(loginID: String, password: String) async throws(Failure) -> Verdict {
        let body: Data
        do { body = try JSONEncoder().encode(VerifyRequest(loginID: loginID, password: password)) } catch {
            throw .malformed("the login could not be encoded")
        }
        let data = try await call(.POST, "/verify-login", body: body)
        let answer: VerifyAnswer
        do { answer = try JSONDecoder().decode(VerifyAnswer.self, from: data) } catch { throw .malformed(Self.describe(error)) }
        guard answer.valid else { return .invalid }
        guard let userID = answer.userID?.trimmingCharacters(in: .whitespaces), !userID.isEmpty else {
            throw .malformed("user_id: required when valid is true")
        }
        return .valid(userID: userID)
    }

    // MARK: wire

    private struct PageBody: Decodable {
        var items: [[String: OAConnectorValue]]
        var hasMore: Bool
        var pageToken: String?

        enum CodingKeys: String, CodingKey {
            case items
            case hasMore = "has_more"
            case pageToken = "page_token"
        }
    }

    private struct VerifyRequest: Encodable {
        var loginID: String
        var password: String

        enum CodingKeys: String, CodingKey {
            case loginID = "login_id"
            case password
        }
    }

    private struct VerifyAnswer: Decodable {
        var valid: Bool
        var userID: String?

        enum CodingKeys: String, CodingKey {
            case valid
            case userID = "user_id"
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, body: Data?) async throws(Failure) -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "yunqiao-oa-connector")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.wholeNanoseconds)))
        } catch {
            throw unreachable(error)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw .tooLarge(bytes: maxResponseBytes)
        } catch {
            throw unreachable(error)
        }
        switch response.status.code {
        case 200..<300: return Data(buffer.readableBytesView)
        case 401, 403: throw .refused(status: response.status.code)
        default: throw .status(response.status.code)
        }
    }

    private func unreachable(_ error: any Error) -> Failure {
        let host = URL(string: baseURL)?.host ?? baseURL
        if let error = error as? HTTPClientError, [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            return .timedOut(host: host, after: timeout.shortText)
        }
        if error is CancellationError { return .cancelled }
        return .unreachable(host: host, reason: "\(error)")
    }

    /// A decoding error in a few words, naming the place: `has_more: required`, `items.3: must be an object`.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "\($0)" } ?? $0.stringValue }
            return keys.isEmpty ? "the body" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, key)): required"
        case .typeMismatch(let type, let context): return "\(path(context)): must be \(kind(type))"
        case .valueNotFound(let type, let context): return "\(path(context)): must be \(kind(type)), not null"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)): invalid value"
        @unknown default: return "not valid JSON"
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        case is [String: Any].Type, is [String: OAConnectorValue].Type: "an object"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }
}

/// A value of an item as the OA sent it. Items carry the columns of the OA directory import (`oa_id`, `name`,
/// `login_id`, …): strings, or numbers for ids and `order`; `null` is no value; `part_time_department_oa_ids` may also
/// be an array of strings. Anything else is reported as a bad item, not a failed page.
public enum OAConnectorValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([OAConnectorValue])
    case object

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number("\(value)")
        } else if let value = try? container.decode(Double.self) {
            self = .number("\(value)")
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([OAConnectorValue].self) {
            self = .array(value)
        } else {
            _ = try container.decode([String: OAConnectorValue].self)
            self = .object
        }
    }

    /// The value as a cell of the import (`nil` for no value), or why it cannot be one.
    public func cell(field: String) -> Result<String?, CellError> {
        switch self {
        case .null: return .success(nil)
        case .string(let text): return .success(text)
        case .number(let text): return .success(text)
        case .array(let values) where Self.listFields.contains(field.trimmingCharacters(in: .whitespaces).lowercased()):
            var ids: [String] = []
            for value in values {
                switch value {
                case .string(let text), .number(let text): ids.append(text)
                default: return .failure(CellError(message: "must be an array of department ids"))
                }
            }
            return .success(ids.joined(separator: ";"))
        case .bool, .array, .object: return .failure(CellError(message: "must be a string"))
        }
    }

    /// The fields that may be an array (the part-time departments, by any of the import's names for it).
    public static let listFields: Set<String> = ["part_time_department_oa_ids", "part-time-department-oa-ids", "兼职部门编号", "兼职部门"]

    public struct CellError: Error {
        public var message: String
    }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }

    /// `15 s`, `500 ms`.
    var shortText: String {
        wholeNanoseconds % 1_000_000_000 == 0 ? "\(components.seconds) s" : "\(wholeNanoseconds / 1_000_000) ms"
    }
}
