import Configuration
import Foundation
import SystemPackage

/// `yunqiao serve` settings: a JSON file (see `yunqiao.example.json`) overridden by `YUNQIAO_…` environment variables
/// (`http.port` ⇄ `YUNQIAO_HTTP_PORT`, `database` ⇄ `YUNQIAO_DATABASE`).
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
    /// Upper bound on how long a graceful shutdown waits for running syncs.
    public var shutdownGrace: Duration = .seconds(60)

    public init() {}

    /// Reads every setting from `reader`, keeping the defaults for missing keys.
    public init(reader: ConfigReader) throws {
        host = reader.string(forKey: "http.host", default: host)
        port = reader.int(forKey: "http.port", default: port)
        database = reader.string(forKey: "database", default: database)
        tenant = reader.string(forKey: "tenant", default: tenant)
        adminUsername = reader.string(forKey: "admin.username", default: adminUsername)
        sessionLifetime = .seconds(reader.int(forKey: "session.hours", default: 12) * 3600)
        let secure = reader.string(forKey: "cookies.secure", default: secureCookies.rawValue)
        guard let secureCookies = SecureCookies(rawValue: secure) else {
            throw ConfigurationError.invalid(key: "cookies.secure", message: "auto, always or never (got \(secure))")
        }
        self.secureCookies = secureCookies
        loginMaxFailures = reader.int(forKey: "login.maxFailures", default: loginMaxFailures)
        loginWindow = .seconds(reader.int(forKey: "login.windowMinutes", default: 15) * 60)
        shutdownGrace = .seconds(reader.int(forKey: "shutdown.graceSeconds", default: 60))
        guard (0...65535).contains(port) else { throw ConfigurationError.invalid(key: "http.port", message: "0…65535 (got \(port))") }
        guard loginMaxFailures > 0 else { throw ConfigurationError.invalid(key: "login.maxFailures", message: "at least 1") }
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
