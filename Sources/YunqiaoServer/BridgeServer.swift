import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals
import YunqiaoServices
import YunqiaoCore

/// Runs the bridge: store, outgoing HTTP client, background services and the HTTP app, in one service group that
/// shuts down gracefully on SIGTERM/SIGINT (running syncs finish first, then the HTTP client closes).
public enum BridgeServer {
    /// Creates the first admin when there is none. Returns the generated password (to print once) or nil.
    public static func ensureAdmin(database: any BridgeStore, configuration: ServerConfiguration) async throws -> String? {
        guard try await database.admins.adminCount() == 0 else { return nil }
        let tenant = try await database.integration.tenant(named: configuration.tenant)
        let password = Passwords.generate()
        try await database.admins.setAdminPassword(tenantId: tenant.id ?? 0, username: configuration.adminUsername,
                                                   passwordHash: try await Passwords.hash(password), by: .system)
        return password
    }

    /// Serves until a shutdown signal. `onListening` gets the bound port (useful with port 0).
    public static func run(configuration: ServerConfiguration, database: any BridgeStore, metrics: PrometheusCollectorRegistry,
                           logger: Logger, extraServices: [any Service] = [],
                           onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    {
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .yunqiao)
        let dependencies: ServerDependencies
        do {
            dependencies = try await ServerDependencies(configuration: configuration, database: database, httpClient: httpClient,
                                                        metrics: metrics, logger: logger)
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        let app = try await buildApplication(dependencies, onServerRunning: onListening)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: HTTPClientService(client: httpClient))] + extraServices.map { .init(service: $0) } + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// Owns the process's HTTP client: shuts it down after every service above it has stopped.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
