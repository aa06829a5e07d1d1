import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing
@testable import YunqiaoTesting
@testable import YunqiaoServer
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP edge (issue #13): security headers, the login's `next`, and connections of slow clients.
@Suite(.timeLimit(.minutes(2)))
struct HTTPHardeningTests {
    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await APIEnvironment.with { env in
            for answer in [try await env.anonymous.get("/healthz"), try await env.anonymous.get("/login"), try await env.anonymous.get("me"),
                           try await env.api.get("enterprises/999")]
            {
                #expect(answer.headers[.xContentTypeOptions] == "nosniff", "\(answer.status)")
                #expect(answer.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
                #expect(answer.headers[.strictTransportSecurity] == nil, "plain http, no https external domain")
            }
            let proxied = try await env.anonymous.call(.get, "/healthz", headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(proxied.headers[.strictTransportSecurity] == "max-age=31536000")
        }
        // Under the host of an https external domain (the router's test requests come to `localhost`).
        try await APIEnvironment.with { env in
            #expect(try await env.api.put("settings", #"{"externalDomain":"https://localhost"}"#).status == .ok)
            let onDomain = try await env.anonymous.get("/healthz")
            #expect(onDomain.headers[.strictTransportSecurity] == "max-age=31536000")
            let hosts = HTTPSHosts(database: env.database)
            let upper = await hosts.contains("LOCALHOST"), other = await hosts.contains("127.0.0.1:8080")
            #expect(upper && !other)
            #expect(try await env.api.put("settings", #"{"externalDomain":"http://plain.example.com:8080"}"#).status == .ok)
            let plain = await HTTPSHosts(database: env.database).contains("plain.example.com:8080")
            #expect(!plain, "an http external domain gets none")
        }
    }

    @Test func nextRefusesControlCharactersAndOtherTricks() async throws {
        try await APIEnvironment.with { env in
            let cases = [
                ("/console/users?q=张 三", "/console/users?q=张 三"),
                ("/\t/evil.example", "/console"),
                ("/\n/evil.example", "/console"),
                ("/\r\n/evil.example", "/console"),
                ("/\u{0}/evil.example", "/console"),
                ("/\\/evil.example", "/console"),
                ("/x\\..\\evil", "/console"),
                ("//evil.example", "/console"),
                ("javascript:alert(1)", "/console"),
                ("https://evil.example/", "/console"),
            ]
            for (next, expected) in cases {
                #expect(SessionController.safeNext(next) == expected, "next=\(next.debugDescription)")
            }
            // The report: a TAB after the first slash.
            let answer = try await env.login(username: "admin", password: APIEnvironment.password, next: "/\t/evil.example")
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/console")
            let page = try await env.anonymous.get("/login?next=%2F%09%2Fevil.example")
            #expect(!page.text.contains("evil.example"))
        }
    }

    /// A raw connection that sends half a request head is closed by the server within `http.headerTimeoutSeconds`; one
    /// that goes silent after a request, within `http.idleTimeoutSeconds`.
    @Test func slowClientsAreDisconnected() async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.headerTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(4)
        let database = try YunqiaoDatabase.inMemory()
        let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        let dependencies = try await ServerDependencies(configuration: configuration, database: database, httpClient: .shared,
                                                        metrics: PrometheusCollectorRegistry(), logger: quiet)
        try await buildApplication(dependencies).test(.live) { client in
            let port = try #require(client.port)
            let half = try #require(await RawConnection.secondsUntilClosed(port: port, sending: "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
                                                                           wait: 15))
            print("half a request head: closed \(half) s after it was sent (header timeout 1 s, idle timeout 4 s)")
            #expect(half >= 0.8 && half < 3.5, "closed by the header timeout, before the idle timeout")

            let idle = try #require(await RawConnection.secondsUntilClosed(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                                                           wait: 15))
            print("silent after a request: closed \(idle) s after the answer (idle timeout 4 s)")
            #expect(idle >= 3.5 && idle < 12, "kept alive past the header timeout, closed by the idle timeout")
        }
    }
}

/// A client socket that does not behave: sends some bytes, then only listens.
enum RawConnection {
    /// Connects to 127.0.0.1:`port`, sends `text` and reads until the server closes the connection: the seconds from
    /// the last thing that happened (sending, or the end of the server's answer) to the close, or nil when it stayed open
    /// `wait` seconds (or could not connect).
    static func secondsUntilClosed(port: Int, sending text: String, wait: Int) async -> Double? {
        await withCheckedContinuation { continuation in
            // Blocking reads on a thread of their own, not on the cooperative pool the server's handlers run on.
            Thread { continuation.resume(returning: blockingSecondsUntilClosed(port: port, sending: text, wait: wait)) }.start()
        }
    }

    private static func blockingSecondsUntilClosed(port: Int, sending text: String, wait: Int) -> Double? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: wait, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { return nil }
        var start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = recv(socket, &buffer, buffer.count, 0)
            if read > 0 {  // an answer: the connection stays open after it
                start = ContinuousClock.now
                continue
            }
            let elapsed = ContinuousClock.now - start
            // 0: closed by the server; a reset counts as closed too; a timeout (EAGAIN) means it stayed open.
            guard read == 0 || errno == ECONNRESET else { return nil }
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }
}
