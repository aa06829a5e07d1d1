import AsyncHTTPClient
import FeishuEmulator
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import Prometheus
import Synchronization
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore

/// The bridge's HTTP app on an in-memory database, driven through the router (no sockets): tenant `default` with the
/// admin `admin` and an API token, tenant `other` with the admin `bob` and its own token; optionally a Feishu
/// emulator (small exact org, app ``EmulatorConfiguration/defaultApp``) to point enterprises at.
struct APIEnvironment: Sendable {
    let database: YunqiaoDatabase
    let dependencies: ServerDependencies
    let client: any TestClientProtocol
    /// Every route of the router, as `METHOD /path/{param}`.
    let routes: [String]
    let tenantId: Int64
    let otherTenantId: Int64
    /// Plaintext API token of tenant `default` (named `ci`), and of tenant `other` (named `bob-ci`).
    let token: String
    let otherToken: String
    let logs: LogCapture
    let emulator: RunningEmulator?

    static let password = "correct horse battery staple"
    /// One bcrypt hash (cost 12, ≈ 0.25 s) for the whole test process.
    static let passwordHash = Task { try await Passwords.hash(password) }
    static let emulatorApp = EmulatorConfiguration.defaultApp

    /// - Parameter passwords: how passwords are checked (a counting verifier tells which logins spent a check).
    static func with(emulator withEmulator: Bool = false, latency: Duration = .zero, configuration: ServerConfiguration = ServerConfiguration(),
                     metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), passwords: PasswordVerifier = .bcrypt,
                     _ body: @Sendable (APIEnvironment) async throws -> Void) async throws
    {
        guard withEmulator else {
            try await run(emulator: nil, configuration: configuration, metrics: metrics, passwords: passwords, body)
            return
        }
        let fixture = try EmulatorFixture.parse(Data(standardFixture(bigDepartmentMembers: 3).utf8))
        let emulatorConfiguration = EmulatorConfiguration(apps: [emulatorApp], org: .fixture(fixture), rateLimit: false,
                                                      latency: latency)
        try await Emulator.withRunning(emulatorConfiguration) { emulator in
            try await run(emulator: emulator, configuration: configuration, metrics: metrics, passwords: passwords, body)
        }
    }

    private static func run(emulator: RunningEmulator?, configuration: ServerConfiguration, metrics: PrometheusCollectorRegistry,
                            passwords: PasswordVerifier, _ body: @Sendable (APIEnvironment) async throws -> Void) async throws
    {
        let database = try YunqiaoDatabase.inMemory()
        let hash = try await passwordHash.value
        let tenant = try await database.integration.tenant(named: "default")
        let other = try await database.integration.tenant(named: "other")
        let tenantId = try required(tenant.id), otherTenantId = try required(other.id)
        try await database.admins.setAdminPassword(tenantId: tenantId, username: "admin", passwordHash: hash, by: .system)
        try await database.admins.setAdminPassword(tenantId: otherTenantId, username: "bob", passwordHash: hash, by: .system)
        let token = Passwords.token(prefix: "yq_"), otherToken = Passwords.token(prefix: "yq_")
        _ = try await database.admins.createAPIToken(tenantId: tenantId, name: "ci", token: token, by: .system)
        _ = try await database.admins.createAPIToken(tenantId: otherTenantId, name: "bob-ci", token: otherToken, by: .system)

        let logs = LogCapture()
        let logger = Logger(label: "yunqiao-test") { _ in CapturingLogHandler(capture: logs) }
        let dependencies = try await ServerDependencies(configuration: configuration, database: database, httpClient: .shared,
                                                        metrics: metrics, logger: logger, passwords: passwords)
        let router = buildRouter(dependencies)
        let routes = router.routes.map { "\($0.method) \($0.path)" }
        var app = Application(router: router, logger: logger)
        app.addServices(dependencies.coordinator)
        try await app.test(.router) { client in
            try await body(APIEnvironment(database: database, dependencies: dependencies, client: client, routes: routes,
                                          tenantId: tenantId, otherTenantId: otherTenantId, token: token, otherToken: otherToken,
                                          logs: logs, emulator: emulator))
        }
    }

    // MARK: callers

    /// Calls with the tenant's API token.
    var api: APICaller { APICaller(client: client, credentials: .token(token)) }
    /// Calls with tenant `other`'s API token.
    var otherAPI: APICaller { APICaller(client: client, credentials: .token(otherToken)) }
    /// Calls without credentials.
    var anonymous: APICaller { APICaller(client: client, credentials: .none) }

    /// Signs `admin` in through `POST /login` and calls with its session cookie (and its CSRF token unless `csrf` is false).
    func session(username: String = "admin", csrf: Bool = true) async throws -> APICaller {
        let answer = try await login(username: username, password: Self.password)
        try check(answer.status == .seeOther)
        let cookie = try required(answer.cookie("yq_session"))
        let stored = try required(try await database.admins.persistedValue(key: "hbs." + cookie))
        let session = try JSONDecoder().decode(AdminSession.self, from: stored.value)
        return APICaller(client: client, credentials: .session(cookie: cookie, csrf: csrf ? session.csrfToken : nil))
    }

    /// `POST /login` with a matching `yq_login` cookie and `_csrf` field (unless overridden).
    func login(username: String, password: String, next: String? = nil, csrfCookie: String? = "login-csrf-token",
               csrfField: String? = "login-csrf-token", headers: HTTPFields = [:]) async throws -> Answer
    {
        var fields = [("username", username), ("password", password)]
        if let csrfField { fields.append(("_csrf", csrfField)) }
        if let next { fields.append(("next", next)) }
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        if let csrfCookie { headers[.cookie] = "yq_login=\(csrfCookie)" }
        return try await anonymous.call(.post, "/login", body: formBody(fields), headers: headers)
    }
}

/// `application/x-www-form-urlencoded` text.
func formBody(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map { name, value in
        "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
    }.joined(separator: "&")
}

enum Credentials: Sendable {
    case none
    case token(String)
    case session(cookie: String, csrf: String?)
}

/// Sends requests to the router; a path without a leading `/` is under `/api/admin/v1/`.
struct APICaller: Sendable {
    let client: any TestClientProtocol
    var credentials: Credentials

    func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers: HTTPFields = [:]) async throws -> Answer {
        var headers = headers
        switch credentials {
        case .none: break
        case .token(let token): headers[.authorization] = "Bearer \(token)"
        case .session(let cookie, let csrf):
            headers[.cookie] = [headers[.cookie], "yq_session=\(cookie)"].compactMap { $0 }.joined(separator: "; ")
            if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let uri = path.hasPrefix("/") ? path : "/api/admin/v1/" + path
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func get(_ path: String) async throws -> Answer { try await call(.get, path) }
    func post(_ path: String, _ json: String = "{}") async throws -> Answer { try await call(.post, path, body: json) }
    func put(_ path: String, _ json: String) async throws -> Answer { try await call(.put, path, body: json) }
    func delete(_ path: String) async throws -> Answer { try await call(.delete, path) }
}

/// A response of the bridge.
struct Answer: Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var description: String { "\(status.code) \(text)" }

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(text.utf8))
    }

    /// `{"items": [...]}`.
    func items<T: Decodable>(_ type: T.Type = T.self) throws -> [T] { try decode(ItemList<T>.self).items }

    /// The `{"error":{...}}` answer.
    var error: ErrorBody.Detail? { try? decode(ErrorBody.self).error }

    /// The parsed JSON (objects, arrays, strings, numbers).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// The value of a cookie set by this answer.
    func cookie(_ name: String) -> String? { setCookie(name).flatMap { $0.split(separator: ";").first }.map { String($0.dropFirst(name.count + 1)) } }

    /// The whole `Set-Cookie` line of a cookie.
    func setCookie(_ name: String) -> String? { headers[values: .setCookie].first { $0.hasPrefix(name + "=") } }
}

struct ItemList<T: Decodable>: Decodable { var items: [T] }

struct ErrorBody: Decodable {
    struct Detail: Decodable, Equatable {
        var field: String?
        var message: String
    }
    var error: Detail
}

/// Audit entries as the API answers them.
struct AuditEntry: Decodable {
    var id: Int64
    var actor: String
    var action: String
    var target: String
    var before: [String: String]?
    var after: [String: String]?
    var at: Date
}

// MARK: logs

/// Every log line of a test's app, with its metadata.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
    }
}

// MARK: metrics

/// `MetricsSystem` can be bootstrapped once per process: the registry of the tests that read `/metrics`.
enum SharedMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
