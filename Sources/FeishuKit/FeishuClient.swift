import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import YunqiaoCore
import NIOCore
import NIOHTTP1

/// Where an enterprise's open platform lives.
public enum FeishuBrand: String, Sendable, Codable, CaseIterable {
    case feishu, lark

    /// The API base a brand uses unless the admin sets another one.
    public var defaultBaseURL: String {
        switch self {
        case .feishu: "https://open.feishu.cn"
        case .lark: "https://open.larksuite.com"
        }
    }
}

/// App credentials of a self-built app (企业自建应用).
public struct FeishuCredentials: Sendable, Equatable {
    public var appID: String
    public var appSecret: String

    public init(appID: String, appSecret: String) {
        self.appID = appID
        self.appSecret = appSecret
    }
}

/// One call to the platform, before it is sent.
public struct FeishuRequest: Sendable {
    public var method: HTTPMethod
    /// The concrete path, e.g. `/open-apis/contact/v3/departments/od-1/children`.
    public var path: String
    /// The API's name for rate limits and counters: method and path pattern, e.g.
    /// `GET /open-apis/contact/v3/departments/:department_id/children`.
    public var api: String
    public var query: [(String, String)]
    public var body: Data?
    /// The body's media type: JSON unless a call says otherwise (image uploads are `multipart/form-data`).
    public var contentType = "application/json; charset=utf-8"
    /// A stricter limit the call also keeps, by name: Feishu allows a user patch that changes `department_ids` or
    /// `is_frozen` once per second per app (`FeishuClient.oneQPS`).
    public var oneQPS: String?

    public init(_ method: HTTPMethod, _ path: String, api: String? = nil, query: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.path = path
        self.api = api ?? "\(method.rawValue) \(path)"
        self.query = query
        self.body = body
    }
}

/// The Feishu/Lark open-platform client used by every Yunqiao feature: tenant tokens, rate limiting, retries,
/// typed endpoints and pagination. A `Sendable` value: copies share the token and ticket caches, limiter and counters.
public struct FeishuClient: Sendable {
    public let baseURL: String
    public let credentials: FeishuCredentials
    public let retry: RetryPolicy
    public private(set) var recorder: CallRecorder
    let httpClient: HTTPClient
    let tokens: ExpiringValueCache
    /// The app's `jsapi_ticket` (H5 JSAPI signatures), shared by copies like `tokens`.
    let jsapiTickets: ExpiringValueCache
    let limiter: RateLimiter
    /// The 1-per-second limits (`FeishuRequest.oneQPS`), shared by copies like `limiter`.
    let strictLimiter: RateLimiter
    let permits: RequestPermits
    let logger: Logger

    /// - Parameters:
    ///   - baseURL: the API origin (`https://open.feishu.cn`, `https://open.larksuite.com`, or an emulator).
    ///   - httpClient: the process's shared client; its owner shuts it down.
    ///   - limiter: share one limiter between clients of the same app.
    ///   - maxConcurrentRequests: requests in flight at once; at most the HTTP client's connections per host
    ///     (AsyncHTTPClient's default is 8). At Feishu's 50/s this hides round trips up to 160 ms.
    public init(baseURL: String, credentials: FeishuCredentials, httpClient: HTTPClient, limiter: RateLimiter = RateLimiter(),
                retry: RetryPolicy = RetryPolicy(), recorder: CallRecorder = CallRecorder(), maxConcurrentRequests: Int = 8,
                logger: Logger)
    {
        self.permits = RequestPermits(maxConcurrentRequests)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.httpClient = httpClient
        self.limiter = limiter
        self.strictLimiter = RateLimiter(limits: .init(perSecond: 1, perMinute: 60, margin: .milliseconds(50)))
        self.retry = retry
        self.recorder = recorder
        self.tokens = ExpiringValueCache()
        self.jsapiTickets = ExpiringValueCache()
        self.logger = logger
    }

    // MARK: tokens

    /// A tenant access token from the cache, fetched when missing or about to expire.
    public func tenantAccessToken() async throws -> String {
        try await tokens.get { [self] in
            try await Self.counted("POST /open-apis/auth/v3/tenant_access_token/internal") { try await self.fetchTenantToken() }
        }
    }

    private struct TokenAnswer: Decodable {
        var code: Int
        var msg: String?
        var tenantAccessToken: String?
        var expire: Int?

        enum CodingKeys: String, CodingKey {
            case code, msg, expire
            case tenantAccessToken = "tenant_access_token"
        }
    }

    private func fetchTenantToken() async throws -> (String, Int) {
        let api = "POST /open-apis/auth/v3/tenant_access_token/internal"
        await recorder.record(api) { $0.calls += 1 }
        let body = try JSONEncoder().encode(["app_id": credentials.appID, "app_secret": credentials.appSecret])
        var attempt = 0
        while true {
            attempt += 1
            await recorder.record(api) { $0.attempts += 1 }
            do {
                let (status, headers, bytes) = try await send(FeishuRequest(.POST, "/open-apis/auth/v3/tenant_access_token/internal",
                                                                            body: body), token: nil)
                if status >= 500 || status == 429 { throw RetryableStatus(status: status, reset: Self.resetSeconds(headers)) }
                try Self.requireJSON(status: status, headers: headers, body: bytes)
                let answer: TokenAnswer
                do { answer = try JSONDecoder().decode(TokenAnswer.self, from: bytes) } catch {
                    throw FeishuClientError.decoding(api: api, detail: "\(error)")
                }
                guard answer.code == 0, let token = answer.tenantAccessToken else {
                    await recorder.record(api) { $0.failures += 1 }
                    throw FeishuClientError.tokenRefused(code: answer.code, msg: answer.msg ?? "")
                }
                return (token, answer.expire ?? 7200)
            } catch let error where Self.isTransient(error) && attempt < retry.maxAttempts {
                await recorder.record(api) { $0.retries += 1 }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
            }
        }
    }

    // MARK: calls

    private struct Envelope<T: Decodable>: Decodable {
        var code: Int
        var msg: String
        var data: T?
        var error: ErrorDetail?

        struct ErrorDetail: Decodable {
            var logID: String?
            var fieldViolations: [FeishuAPIError.FieldViolation]?
            var permissionViolations: [FeishuAPIError.PermissionViolation]?
            enum CodingKeys: String, CodingKey {
                case logID = "log_id"
                case fieldViolations = "field_violations"
                case permissionViolations = "permission_violations"
            }
        }

        enum CodingKeys: String, CodingKey { case code, msg, data, error }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            code = container.lenientInt(.code) ?? -1
            msg = container.lenientString(.msg) ?? ""
            error = container.lenient(ErrorDetail.self, .error)
            // `data` is decoded strictly only on success: a failed answer's data is not ours to read.
            data = code == 0 ? try container.decodeIfPresent(T.self, forKey: .data) : nil
        }
    }

    /// An empty `data` object.
    public struct Empty: Decodable, Sendable {}

    /// Sends a request with the tenant token; returns the decoded `data` of a `code == 0` answer.
    /// Retries 429 (after exactly `x-ogw-ratelimit-reset` seconds), 5xx, transport errors and internal codes;
    /// refreshes the token once when it is refused; never retries permission or validation errors.
    public func call<T: Decodable & Sendable>(_ request: FeishuRequest, as type: T.Type = T.self) async throws -> T {
        try await Self.counted(request.api) { try await send(request, as: type) }
    }

    /// Counts a call's outcome in `feishu_api_calls_total{api, result, code}` (Prometheus via swift-metrics).
    static func counted<T>(_ api: String, _ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            Counter(label: "feishu_api_calls_total", dimensions: [("api", api), ("result", "success"), ("code", "0")]).increment()
            return value
        } catch {
            let code = switch error {
            case let error as FeishuAPIError: "\(error.code)"
            case FeishuClientError.tokenRefused(let code, _): "\(code)"
            case let error as FeishuOAuthError: "\(error.code)"
            default: "none"
            }
            Counter(label: "feishu_api_calls_total", dimensions: [("api", api), ("result", "failure"), ("code", code)]).increment()
            throw error
        }
    }

    /// A copy of this client that shares its token cache, limiter and connection permits but counts its calls
    /// in `recorder` (one sync run's report, say).
    public func recording(into recorder: CallRecorder) -> FeishuClient {
        var copy = self
        copy.recorder = recorder
        return copy
    }

    private func send<T: Decodable & Sendable>(_ request: FeishuRequest, as type: T.Type) async throws -> T {
        await recorder.record(request.api) { $0.calls += 1 }
        let limiterKey = credentials.appID + " " + request.api
        var attempt = 0
        var refreshedToken = false
        var lastProblem = ""
        while attempt < retry.maxAttempts {
            attempt += 1
            let token = try await tenantAccessToken()
            await permits.acquire()
            let exchange: Result<(Int, HTTPHeaders, Data), any Error>
            do {
                try await limiter.acquire(limiterKey)
                if let strict = request.oneQPS { try await strictLimiter.acquire(credentials.appID + " " + strict) }
                await recorder.record(request.api) { $0.attempts += 1 }
                exchange = .success(try await send(request, token: token))
            } catch {
                exchange = .failure(error)
            }
            await permits.release()
            let status: Int
            let headers: HTTPHeaders
            let bytes: Data
            do {
                (status, headers, bytes) = try exchange.get()
            } catch where Self.isTransient(error) {
                lastProblem = "\(error)"
                await recorder.record(request.api) { $0.retries += 1 }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
                continue
            }
            // Rate limited: HTTP 429, or code 99991400 with HTTP 400 on some older APIs. Everyone waits the reset.
            if status == 429 || status != 200 && Self.isJSON(headers) && Self.peekCode(bytes) == FeishuAPIError.rateLimited {
                let reset = Self.resetSeconds(headers) ?? 1
                lastProblem = "rate limited (HTTP \(status)), reset \(reset)s"
                await limiter.pause(limiterKey, for: .seconds(reset))
                await recorder.record(request.api) { $0.rateLimitWaits += 1; $0.retries += 1 }
                logger.debug("rate limited", metadata: ["feishu.api": "\(request.api)", "feishu.reset": "\(reset)"])
                try await Task.sleep(for: .seconds(reset))
                continue
            }
            let isJSON = Self.isJSON(headers)
            if status >= 500 && !isJSON {
                lastProblem = "HTTP \(status)"
                await recorder.record(request.api) { $0.retries += 1 }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
                continue
            }
            try Self.requireJSON(status: status, headers: headers, body: bytes)
            let envelope: Envelope<T>
            do { envelope = try JSONDecoder().decode(Envelope<T>.self, from: bytes) } catch {
                await recorder.record(request.api) { $0.failures += 1 }
                throw FeishuClientError.decoding(api: request.api, detail: Self.describe(error))
            }
            if envelope.code == 0 {
                if let data = envelope.data { return data }
                if let empty = Empty() as? T { return empty }
                throw FeishuClientError.decoding(api: request.api, detail: "success without data")
            }
            let apiError = FeishuAPIError(
                code: envelope.code, msg: envelope.msg, logID: envelope.error?.logID ?? headers.first(name: "x-tt-logid"),
                httpStatus: status, fieldViolations: envelope.error?.fieldViolations ?? [],
                permissionViolations: envelope.error?.permissionViolations ?? [])
            if apiError.isTokenRejected && !refreshedToken {
                refreshedToken = true
                await tokens.invalidate(token)
                await recorder.record(request.api) { $0.tokenRefreshes += 1; $0.retries += 1 }
                attempt -= 1  // a refused token is not the API's fault: it does not use up an attempt
                continue
            }
            if apiError.isRetryable {
                lastProblem = apiError.description
                await recorder.record(request.api) { $0.retries += 1 }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
                continue
            }
            await recorder.record(request.api) { $0.failures += 1 }
            throw apiError
        }
        await recorder.record(request.api) { $0.failures += 1 }
        throw FeishuClientError.retriesExhausted(api: request.api, attempts: attempt, last: lastProblem)
    }

    /// One HTTP exchange, with `token` (tenant or user) as the bearer when given. Headers are compared case-insensitively
    /// (HTTP/2 lower-cases them).
    func send(_ request: FeishuRequest, token: String?) async throws -> (Int, HTTPHeaders, Data) {
        var url = baseURL + request.path
        if !request.query.isEmpty {
            url += "?" + request.query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var http = HTTPClientRequest(url: url)
        http.method = request.method
        http.headers.add(name: "User-Agent", value: "yunqiao/0.1")
        if let token { http.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: request.contentType)
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = TimeAmount.nanoseconds(
            retry.requestTimeout.components.seconds * 1_000_000_000 + retry.requestTimeout.components.attoseconds / 1_000_000_000)
        let response = try await httpClient.execute(http, timeout: timeout, logger: logger)
        let buffer = try await response.body.collect(upTo: 32 * 1024 * 1024)
        return (Int(response.status.code), response.headers, Data(buffer.readableBytesView))
    }

    // MARK: helpers

    private struct RetryableStatus: Error {
        var status: Int
        var reset: Int?
    }

    static func isTransient(_ error: any Error) -> Bool {
        if error is RetryableStatus { return true }
        if error is CancellationError { return false }
        if error is FeishuAPIError || error is FeishuClientError { return false }
        return error is HTTPClientError || error is NIOCore.IOError || error is ChannelError
    }

    /// The envelope's `code` alone, without decoding `data`.
    static func peekCode(_ body: Data) -> Int? {
        struct Code: Decodable { var code: Int? }
        return (try? JSONDecoder().decode(Code.self, from: body))?.code
    }

    static func resetSeconds(_ headers: HTTPHeaders) -> Int? {
        headers.first(name: "x-ogw-ratelimit-reset").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { max(0, $0) }
    }

    static func isJSON(_ headers: HTTPHeaders) -> Bool {
        headers.first(name: "content-type")?.lowercased().hasPrefix("application/json") ?? false
    }

    static func requireJSON(status: Int, headers: HTTPHeaders, body: Data) throws {
        guard isJSON(headers) else {
            throw FeishuClientError.unexpectedResponse(status: status, contentType: headers.first(name: "content-type"),
                                                       bodyPrefix: String(decoding: body.prefix(200), as: UTF8.self))
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        let context: DecodingError.Context
        switch error {
        case .keyNotFound(_, let c), .valueNotFound(_, let c), .typeMismatch(_, let c), .dataCorrupted(let c): context = c
        @unknown default: return "\(error)"
        }
        return context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
    }

    private static let queryAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? text
    }
}

/// The HTTP method type of ``FeishuRequest``, re-exported so callers need not import NIO.
public typealias FeishuHTTPMethod = HTTPMethod
