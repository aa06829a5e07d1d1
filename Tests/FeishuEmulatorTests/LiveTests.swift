import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Over a real socket, where the exact header spelling on the wire matters (`feishu-api.md` §1.2, §8.4).
@Suite struct LiveTests {
    /// The header names as they were on the wire.
    static func rawNames(_ headers: HTTPFields) -> Set<String> { Set(headers.map(\.name.rawName)) }

    @Test(.timeLimit(.minutes(1)))
    func logIDHeaderIsSpelledXTtLogid() async throws {
        let emulator = Emulator(configuration: try TestOrg.configuration())
        try await emulator.application(logger: quietLogger).test(.live) { client async throws in
            let token = try await client.tenantToken(TestApps.main)
            let ok = try await client.send(.get, "/open-apis/contact/v3/scopes", authorization: "Bearer " + token)
            #expect(ok.code == 0)
            #expect(Self.rawNames(ok.headers).contains("X-Tt-Logid"), "\(Self.rawNames(ok.headers))")

            let failed = try await client.send(.get, "/open-apis/contact/v3/scopes")
            #expect(failed.status == .badRequest)
            #expect(Self.rawNames(failed.headers).contains("X-Tt-Logid"))
            #expect(failed.json?["error"]?["log_id"]?.stringValue == failed.logID)

            let notFound = try await client.send(.get, "/open-apis/nowhere")
            #expect(notFound.status == .notFound)
            #expect(notFound.contentType.hasPrefix("text/plain"))
            #expect(notFound.text == "404 page not found")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func rateLimitHeadersAreLowercase() async throws {
        var faults = EmulatorFaults()
        faults.rateLimitBurst = 1
        let emulator = Emulator(configuration: try TestOrg.configuration(), faults: faults)
        try await emulator.application(logger: quietLogger).test(.live) { client async throws in
            let token = try await client.tenantToken(TestApps.main)
            let reply = try await client.send(.get, "/open-apis/contact/v3/scopes", authorization: "Bearer " + token)
            #expect(reply.status == .tooManyRequests)
            #expect(reply.code == 99991400)
            let names = Self.rawNames(reply.headers)
            #expect(names.contains("x-ogw-ratelimit-limit"), "\(names)")
            #expect(names.contains("x-ogw-ratelimit-reset"), "\(names)")
            #expect(!names.contains("Retry-After") && !names.contains("retry-after"))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func tokenBodyWithoutContentTypeOverTheWire() async throws {
        let emulator = Emulator(configuration: try TestOrg.configuration())
        try await emulator.application(logger: quietLogger).test(.live) { client async throws in
            let reply = try await client.send(.post, "/open-apis/auth/v3/tenant_access_token/internal",
                                              raw: #"{"app_id":"cli_test_main000001","app_secret":"secret-main"}"#)
            #expect(reply.code == 0)
            #expect(reply.json?["expire"] == 7200)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func withRunningServesOnAnEphemeralPort() async throws {
        let configuration = try TestOrg.configuration()
        let (baseURL, answer) = try await Emulator.withRunning(configuration, logger: quietLogger) { running in
            #expect(running.port > 0)
            #expect(await running.state.orgSize.users == 106)
            let client = TestClient(host: running.host, port: running.port, configuration: .init(timeout: .seconds(10)))
            client.connect()
            let body = ByteBuffer(string: #"{"app_id":"cli_test_main000001","app_secret":"secret-main"}"#)
            let response = try await client.execute(.init("/open-apis/auth/v3/tenant_access_token/internal", method: .post,
                                                          authority: running.host, body: body))
            try await client.shutdown()
            return (running.baseURL, String(buffer: response.body ?? ByteBuffer()))
        }
        #expect(baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(!baseURL.hasSuffix("/"))
        #expect(JSON.parse(answer)?["code"] == 0)
    }
}
