import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing
@testable import YunqiaoTesting
@testable import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The console sign-in under attack (hardening issue #13): simultaneous guesses, user-name enumeration by timing,
/// the client address behind a reverse proxy, session ids at rest.
@Suite(.timeLimit(.minutes(2)))
struct LoginHardeningTests {
    static func configuration(maxFailures: Int, trustedProxies: [String] = []) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.loginMaxFailures = maxFailures
        configuration.trustedProxies = try TrustedProxies(trustedProxies)
        return configuration
    }

    @Test func simultaneousWrongPasswordsAreCheckedOneAtATime() async throws {
        let checks = PasswordChecks()
        try await APIEnvironment.with(configuration: try Self.configuration(maxFailures: 1), passwords: checks.verifier) { env in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for guess in 0..<6 { group.addTask { try await env.login(username: "admin", password: "guess-\(guess)").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The first guess reserved the only attempt before its check: the five others waited for nothing.
            #expect(statuses.filter { $0 == .unauthorized }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 5, "\(statuses)")
            #expect(checks.count == 1)
            // And the right password waits too.
            #expect(try await env.login(username: "admin", password: APIEnvironment.password).status == .tooManyRequests)
        }
    }

    @Test func anUnknownUserCostsAPasswordCheckToo() async throws {
        let checks = PasswordChecks()
        try await APIEnvironment.with(passwords: checks.verifier) { env in
            let unknown = try await env.login(username: "nobody", password: "guess")
            #expect(unknown.status == .unauthorized)
            #expect(checks.count == 1 && checks.againstDummy == 1)
            let known = try await env.login(username: "admin", password: "guess")
            #expect(known.status == .unauthorized)
            #expect(checks.count == 2 && checks.againstDummy == 1)
            // The dummy hash never lets anyone in, not even with its own password.
            let dummy = try await env.login(username: "nobody", password: PasswordVerifier.dummyPassword)
            #expect(dummy.status == .unauthorized)
            let right = try await env.login(username: "admin", password: APIEnvironment.password)
            #expect(right.status == .seeOther)
        }
    }

    @Test func theDummyHashIsARealHashOfTheSameCost() async throws {
        #expect(PasswordVerifier.dummyHash.hasPrefix("$2b$\(Passwords.cost)$"))
        // Well formed: bcrypt runs its full cost on it (it matches its own password).
        #expect(try await Passwords.verify(PasswordVerifier.dummyPassword, hash: PasswordVerifier.dummyHash))
        #expect(try await !PasswordVerifier.bcrypt.check(PasswordVerifier.dummyPassword, against: nil))
    }

    @Test func theSessionIdIsStoredAsItsHash() async throws {
        try await APIEnvironment.with { env in
            let answer = try await env.login(username: "admin", password: APIEnvironment.password)
            let cookie = try #require(answer.cookie("yq_session"))
            let keys = try await env.database.reader.read { db in try String.fetchAll(db, sql: #"SELECT "key" FROM persistEntry"#) }
            #expect(keys.contains(AdminRepository.tokenHash("hbs." + cookie)))
            #expect(!keys.contains { $0.contains(cookie) })
            // The session works.
            let me = try await APICaller(client: env.client, credentials: .session(cookie: cookie, csrf: nil)).get("me")
            #expect(me.status == .ok)
        }
    }

    // MARK: the client address behind a reverse proxy

    /// `POST /login` over a real connection (from 127.0.0.1) with the given `X-Forwarded-For`.
    static func login(_ client: some TestClientProtocol, username: String, forwardedFor: String) async throws -> HTTPResponse.Status {
        let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "yq_login=t",
                                   HTTPField.Name("X-Forwarded-For")!: forwardedFor]
        let body = formBody([("username", username), ("password", "guess"), ("_csrf", "t")])
        return try await client.execute(uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: body)).status
    }

    /// A live bridge with `trustedProxies`; the body gets its client.
    static func withLiveBridge(trustedProxies: [String], _ body: @Sendable (any TestClientProtocol, LogCapture) async throws -> Void)
        async throws
    {
        let database = try YunqiaoDatabase.inMemory()
        let logs = LogCapture()
        let logger = Logger(label: "yunqiao-test") { _ in CapturingLogHandler(capture: logs) }
        let dependencies = try await ServerDependencies(configuration: try configuration(maxFailures: 1, trustedProxies: trustedProxies),
                                                        database: database, httpClient: .shared, metrics: PrometheusCollectorRegistry(),
                                                        logger: logger)
        let app = Application(router: buildRouter(dependencies), logger: logger)
        try await app.test(.live) { client in try await body(client, logs) }
    }

    @Test func behindATrustedProxyTheForwardedAddressIsThrottled() async throws {
        try await Self.withLiveBridge(trustedProxies: ["127.0.0.1", "::1"]) { client, logs in
            // 1 failure per user name, 4 per address: four user names from one forwarded address use it up.
            for user in ["u1", "u2", "u3", "u4"] {
                let status = try await Self.login(client, username: user, forwardedFor: "198.51.100.9, 203.0.113.7")
                #expect(status == .unauthorized)
            }
            let fifth = try await Self.login(client, username: "u5", forwardedFor: "203.0.113.7")
            #expect(fifth == .tooManyRequests)
            // Another client behind the same proxy is not locked out.
            let other = try await Self.login(client, username: "u5", forwardedFor: "203.0.113.8")
            #expect(other == .unauthorized)
            #expect(logs.text.contains("203.0.113.7") && !logs.text.contains("198.51.100.9"))
        }
    }

    @Test func withoutTrustedProxiesForwardingHeadersAreIgnored() async throws {
        try await Self.withLiveBridge(trustedProxies: []) { client, _ in
            for user in ["u1", "u2", "u3", "u4"] {
                let status = try await Self.login(client, username: user, forwardedFor: "203.0.113.\(user.suffix(1))")
                #expect(status == .unauthorized)
            }
            // Every request came from 127.0.0.1, whatever the header claimed.
            let fifth = try await Self.login(client, username: "u5", forwardedFor: "203.0.113.99")
            #expect(fifth == .tooManyRequests)
        }
    }

    @Test func clientAddressFromTheHeadersOfTrustedProxiesOnly() throws {
        let proxies = try TrustedProxies(["10.0.0.0/8", "192.0.2.1", "fd00::/8"])
        #expect(proxies.isTrusted("10.1.2.3") && proxies.isTrusted("::ffff:10.9.9.9") && proxies.isTrusted("fd12::1"))
        #expect(!proxies.isTrusted("11.0.0.1") && !proxies.isTrusted("192.0.2.2") && !proxies.isTrusted("fe80::1") && !proxies.isTrusted("x"))
        // An untrusted peer: its own address, whatever it sends.
        #expect(proxies.clientAddress(peer: "203.0.113.5", forwardedFor: ["1.2.3.4"], forwarded: ["for=5.6.7.8"]) == "203.0.113.5")
        // A trusted peer: the nearest address that is not a trusted proxy; what the client put in front is ignored.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.5", "10.0.0.7"], forwarded: []) == "203.0.113.5")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: [], forwarded: [#"for=6.6.6.6, for="[2001:db8::1]:4711";proto=https"#])
                == "2001:db8::1")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: [], forwarded: ["for=192.0.2.43:47011;by=10.0.0.2"]) == "192.0.2.43")
        // No header, or only proxies: the farthest hop.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: [], forwarded: []) == "10.0.0.2")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["10.0.0.9, 10.0.0.8"], forwarded: []) == "10.0.0.9")
        #expect(proxies.clientAddress(peer: nil, forwardedFor: ["1.2.3.4"], forwarded: []) == "unknown")
        #expect(TrustedProxies.none.clientAddress(peer: "127.0.0.1", forwardedFor: ["1.2.3.4"], forwarded: []) == "127.0.0.1")
        #expect(throws: TrustedProxies.InvalidEntry(entry: "10.0.0.0/33")) { _ = try TrustedProxies(["10.0.0.0/33"]) }
        #expect(throws: TrustedProxies.InvalidEntry(entry: "proxy.local")) { _ = try TrustedProxies(["proxy.local"]) }
    }

    @Test func trustedProxiesAreASetting() async throws {
        let fromEnvironment = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_HTTP_TRUSTED_PROXIES": "10.0.0.1, fd00::/8"])
        #expect(fromEnvironment.trustedProxies.entries == ["10.0.0.1", "fd00::/8"])
        #expect(try await ServerConfiguration.load(file: nil, environment: [:]).trustedProxies == .none)
        try await ServerConfigurationTests.withFile(#"{"http": {"trustedProxies": ["127.0.0.1", "10.0.0.0/8"]}}"#) { path in
            let fromFile = try await ServerConfiguration.load(file: path, environment: [:])
            #expect(fromFile.trustedProxies.entries == ["127.0.0.1", "10.0.0.0/8"])
            #expect(fromFile.trustedProxies.isTrusted("10.20.30.40"))
        }
        try await ServerConfigurationTests.withFile(#"{"http": {"trustedProxies": []}}"#) { path in
            let empty = try await ServerConfiguration.load(file: path, environment: [:])
            #expect(empty.trustedProxies == .none)
        }
        await #expect(throws: ServerConfiguration.ConfigurationError.self) {
            _ = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_HTTP_TRUSTED_PROXIES": "10.0.0.1,not-an-address"])
        }
    }
}
