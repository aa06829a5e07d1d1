import AsyncHTTPClient
import NIOCore
import YunqiaoCore

extension HTTPClient.Configuration {
    /// The bridge's outgoing HTTP settings: enough pooled connections per host for concurrent sync workers,
    /// bounded connect/read timeouts, redirects off (an API never redirects).
    public static var yunqiao: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        return configuration
    }
}

/// Runs `body` with one HTTP client for the whole process and shuts it down afterwards (one-shot commands).
public func withYunqiaoHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    try await HTTPClient.withHTTPClient(configuration: .yunqiao) { client in try await body(client) }
}
