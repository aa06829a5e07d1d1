import Configuration
import Foundation
import SystemPackage
import YunqiaoCore
import YunqiaoServices

/// `yunqiao serve` settings: a JSON file (see `yunqiao.example.json`) overridden by `YUNQIAO_…` environment variables
/// (`http.port` ⇄ `YUNQIAO_HTTP_PORT`, `database` ⇄ `YUNQIAO_DATABASE`; camelCase keys get an underscore:
/// `login.maxFailures` ⇄ `YUNQIAO_LOGIN_MAX_FAILURES`).
public struct ServerConfiguration: Sendable, Equatable {
    public enum SecureCookies: String, Sendable {
        /// Secure when the request came over https (directly or `X-Forwarded-Proto: https` from the proxy).
        case auto
        case always
        case never
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// SQLite file of the embedded store.
    public var database = "yunqiao.sqlite"
    /// The tenant (团队) the first admin belongs to.
    public var tenant = "default"
    /// The admin account created on first start.
    public var adminUsername = "admin"
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    public var secureCookies: SecureCookies = .auto
    /// Failed logins allowed per user name (and 4× per client address) within `loginWindow` before logins are refused.
    public var loginMaxFailures = 5
    public var loginWindow: Duration = .seconds(15 * 60)
    /// The reverse proxies whose `X-Forwarded-For` / `Forwarded` give the client address (for the login throttle and
    /// the logs); none by default: the peer's address counts.
    public var trustedProxies = TrustedProxies.none
    /// Upper bound on how long a graceful shutdown waits for running syncs.
    public var shutdownGrace: Duration = .seconds(60)
    /// How long a new connection may take to send its first request head (`http.headerTimeoutSeconds`).
    public var headerTimeout: Duration = .seconds(20)
    /// How long a connection may stay silent — between requests, or part-way through a head or a body — before it is
    /// closed (`http.idleTimeoutSeconds`).
    public var idleTimeout: Duration = .seconds(60)

    public init() {}

    /// Reads every setting from `reader`, keeping the defaults for missing keys.
    public init(reader: ConfigReader) throws {
        host = try Self.string(reader, "http.host", default: host)
        port = try Self.int(reader, "http.port", default: port)
        database = try Self.string(reader, "database", default: database)
        tenant = try Self.string(reader, "tenant", default: tenant)
        adminUsername = try Self.string(reader, "admin.username", default: adminUsername)
        sessionLifetime = .seconds(try Self.int(reader, "session.hours", default: 12) * 3600)
        let secure = try Self.string(reader, "cookies.secure", default: secureCookies.rawValue)
        guard let secureCookies = SecureCookies(rawValue: secure) else {
            throw ConfigurationError.invalid(key: "cookies.secure", message: "auto, always or never (got \(secure))")
        }
        self.secureCookies = secureCookies
        loginMaxFailures = try Self.int(reader, "login.maxFailures", default: loginMaxFailures)
        loginWindow = .seconds(try Self.int(reader, "login.windowMinutes", default: 15) * 60)
        trustedProxies = try Self.trustedProxies(reader)
        shutdownGrace = .seconds(try Self.int(reader, "shutdown.graceSeconds", default: 60))
        headerTimeout = .seconds(try Self.int(reader, "http.headerTimeoutSeconds", default: 20))
        idleTimeout = .seconds(try Self.int(reader, "http.idleTimeoutSeconds", default: 60))
        for (key, value) in [("http.headerTimeoutSeconds", headerTimeout), ("http.idleTimeoutSeconds", idleTimeout)] {
            guard (Duration.seconds(1)...Duration.seconds(3600)).contains(value) else {
                throw ConfigurationError.invalid(key: key, message: "1…3600 seconds (got \(value.components.seconds))")
            }
        }
        guard (0...65535).contains(port) else { throw ConfigurationError.invalid(key: "http.port", message: "0…65535 (got \(port))") }
        guard loginMaxFailures > 0 else { throw ConfigurationError.invalid(key: "login.maxFailures", message: "at least 1") }
    }

    /// A value that is present but of the wrong type is an error, not a silent default.
    private static func int(_ reader: ConfigReader, _ key: String, default value: Int) throws -> Int {
        if let found = try? reader.requiredInt(forKey: ConfigKey(key)) { return found }
        guard !isPresent(reader, key) else { throw ConfigurationError.invalid(key: key, message: "must be an integer") }
        return value
    }

    private static func string(_ reader: ConfigReader, _ key: String, default value: String) throws -> String {
        if let found = try? reader.requiredString(forKey: ConfigKey(key)) { return found }
        guard !isPresent(reader, key) else { throw ConfigurationError.invalid(key: key, message: "must be a string") }
        return value
    }

    /// `http.trustedProxies`: a JSON array, or a comma-separated list in `YUNQIAO_HTTP_TRUSTED_PROXIES`.
    private static func trustedProxies(_ reader: ConfigReader) throws -> TrustedProxies {
        let key = "http.trustedProxies"
        let entries: [String]
        if let found = try? reader.requiredStringArray(forKey: ConfigKey(key)) {
            entries = found.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else if isPresent(reader, key) {
            throw ConfigurationError.invalid(key: key, message: "must be a list of IP addresses or networks (10.0.0.0/8)")
        } else {
            return .none
        }
        do { return try TrustedProxies(entries) } catch {
            throw ConfigurationError.invalid(key: key, message: "not an IP address or network: \(error.entry)")
        }
    }

    private static func isPresent(_ reader: ConfigReader, _ key: String) -> Bool {
        let key = ConfigKey(key)
        return (try? reader.requiredString(forKey: key)) != nil || (try? reader.requiredInt(forKey: key)) != nil
            || (try? reader.requiredDouble(forKey: key)) != nil || (try? reader.requiredBool(forKey: key)) != nil
    }

    /// Environment variables first, then the JSON file (when given; it must exist), then the defaults.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws
        -> ServerConfiguration
    {
        let env = EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "yunqiao")
        if let file {
            let json = try await FileProvider<JSONSnapshot>(filePath: FilePath(file))
            return try ServerConfiguration(reader: ConfigReader(providers: [env, json]))
        }
        return try ServerConfiguration(reader: ConfigReader(providers: [env]))
    }

    public enum ConfigurationError: Error, CustomStringConvertible {
        case invalid(key: String, message: String)
        public var description: String {
            switch self {
            case .invalid(let key, let message): "configuration \(key): \(message)"
            }
        }
    }
}
