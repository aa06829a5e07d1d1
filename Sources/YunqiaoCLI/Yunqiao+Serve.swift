import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore

extension Yunqiao {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the bridge: admin console, admin API and background work.",
            discussion: """
                Settings come from a JSON file (--config, or $YUNQIAO_CONFIG; see yunqiao.example.json) and are
                overridden by environment variables: YUNQIAO_HTTP_HOST, YUNQIAO_HTTP_PORT, YUNQIAO_DATABASE,
                YUNQIAO_TENANT, YUNQIAO_ADMIN_USERNAME, YUNQIAO_SESSION_HOURS, YUNQIAO_COOKIES_SECURE (auto|always|never),
                YUNQIAO_LOGIN_MAX_FAILURES, YUNQIAO_LOGIN_WINDOW_MINUTES, YUNQIAO_SHUTDOWN_GRACE_SECONDS,
                YUNQIAO_HTTP_TRUSTED_PROXIES (comma-separated addresses or networks of the reverse proxies).
                On first start an admin account is created and its password printed once to the log.
                """)

        @Option(help: "JSON configuration file.")
        var config: String?

        @Option(help: "Port (overrides the configuration).")
        var port: Int?

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .info)
            let logger = Logger(label: "yunqiao")
            var configuration = try await ServerConfiguration.load(file: config ?? ProcessInfo.processInfo.environment["YUNQIAO_CONFIG"])
            if let port { configuration.port = port }
            let metrics = Yunqiao.bootstrapMetrics()
            let database = try YunqiaoDatabase.open(path: configuration.database)
            if let password = try await BridgeServer.ensureAdmin(database: database, configuration: configuration) {
                logger.warning("""
                    admin account created — user: \(configuration.adminUsername)  password: \(password)
                    (shown once; change it with `yunqiao admin set-password --username \(configuration.adminUsername)`)
                    """)
            }
            let host = configuration.host
            try await BridgeServer.run(configuration: configuration, database: database, metrics: metrics, logger: logger) { port in
                say("listening on http://\(host):\(port)  (console: http://\(host):\(port)/console)")
            }
        }
    }

    /// Metrics of the whole process go to one Prometheus registry, printed by `/metrics`.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage console admins.", subcommands: [SetPassword.self])

        struct SetPassword: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set-password",
                abstract: "Set an admin's password (creates the admin when missing). Reads it from standard input, "
                    + "or generates one with --generate.")

            @OptionGroup var database: DatabaseOptions

            @Option(help: "Admin user name.")
            var username = "admin"

            @Option(help: "Tenant of a new admin.")
            var tenant = "default"

            @Flag(help: "Generate a random password and print it.")
            var generate = false

            func run() async throws {
                Yunqiao.bootstrapLogging(default: .warning)
                let password: String
                if generate {
                    password = Passwords.generate()
                } else {
                    note("new password for \(username) (one line on standard input, at least 10 characters):")
                    guard let line = readLine(strippingNewline: true), line.count >= 10 else {
                        throw ValidationError("the password must have at least 10 characters")
                    }
                    password = line
                }
                let store = try YunqiaoDatabase.open(path: database.path)
                let tenant = try await store.integration.tenant(named: tenant)
                try await store.admins.setAdminPassword(tenantId: tenant.id ?? 0, username: username,
                                                        passwordHash: try await Passwords.hash(password), by: .cli)
                say(generate ? "password of \(username) set: \(password)" : "password of \(username) set")
            }
        }
    }
}
