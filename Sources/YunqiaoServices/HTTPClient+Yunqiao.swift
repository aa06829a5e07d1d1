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

extension HTTPClient {
    /// The client for downloads on behalf of others (a message's image): the bridge's settings, redirects off, so that
    /// the caller follows each redirect itself after checking where it leads (``ImageDownload``). One for the process,
    /// like `HTTPClient.shared`, never shut down.
    static let downloads = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .yunqiao)
}

/// Runs `body` with one HTTP client for the whole process and shuts it down afterwards (one-shot commands).
public func withYunqiaoHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    try await HTTPClient.withHTTPClient(configuration: .yunqiao) { client in try await body(client) }
}
