import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import YunqiaoCore

/// Headers on every answer, errors included: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and
/// `Strict-Transport-Security` when the bridge is reached over https — the request came over https (directly or
/// `X-Forwarded-Proto: https` from the proxy), or its `Host` is the host of an external domain set to https.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// One year, the usual HSTS lifetime; no `includeSubDomains` (other hosts of the domain are not the bridge's).
    static var strictTransportSecurity: String { "max-age=31536000" }

    let httpsHosts: HTTPSHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        if await isHTTPS(request) { response.headers[.strictTransportSecurity] = Self.strictTransportSecurity }
        return response
    }

    private func isHTTPS(_ request: Request) async -> Bool {
        if request.uri.scheme == .https || request.headers[.forwardedProto]?.lowercased() == "https" { return true }
        guard let host = request.head.authority else { return false }
        return await httpsHosts.contains(host)
    }
}

/// The hosts (`bridge.example.com`, with `:port` when one is given) of the tenants' https external domains, read from
/// the store at most every few seconds.
final class HTTPSHosts: Sendable {
    private let database: any BridgeStore
    private let refresh: Duration
    private let cache = Mutex<(hosts: Set<String>, until: ContinuousClock.Instant)?>(nil)

    init(database: any BridgeStore, refresh: Duration = .seconds(5)) {
        self.database = database
        self.refresh = refresh
    }

    func contains(_ host: String) async -> Bool {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0 }), cached.until > now { return cached.hosts.contains(host.lowercased()) }
        // A store that cannot be read adds no header this time (the next request tries again).
        guard let domains = try? await database.integration.externalDomains() else { return false }
        let hosts = Set(domains.compactMap { domain -> String? in
            guard let url = URL(string: domain), url.scheme?.lowercased() == "https", let host = url.host?.lowercased() else { return nil }
            return url.port.map { "\(host):\($0)" } ?? host
        })
        cache.withLock { $0 = (hosts, now + refresh) }
        return hosts.contains(host.lowercased())
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}
