import Foundation
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

/// `yunqiao serve` settings: JSON file, overridden by `YUNQIAO_…` environment variables.
struct ServerConfigurationTests {
    static func withFile(_ json: String, _ body: (String) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("yunqiao-config-\(UUID().uuidString).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path)
    }

    @Test func defaultsWithoutFileOrEnvironment() async throws {
        let configuration = try await ServerConfiguration.load(file: nil, environment: [:])
        #expect(configuration == ServerConfiguration())
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.secureCookies == .auto)
        #expect(configuration.sessionLifetime == .seconds(12 * 3600))
        #expect(configuration.loginMaxFailures == 5)
        #expect(configuration.loginWindow == .seconds(15 * 60))
    }

    @Test func fileThenEnvironment() async throws {
        let json = """
            {
              "http": { "host": "0.0.0.0", "port": 9000 },
              "database": "/var/lib/yunqiao/yunqiao.sqlite",
              "tenant": "acme",
              "admin": { "username": "root" },
              "session": { "hours": 2 },
              "cookies": { "secure": "always" },
              "login": { "maxFailures": 3, "windowMinutes": 5 },
              "shutdown": { "graceSeconds": 10 }
            }
            """
        try await Self.withFile(json) { path in
            let fromFile = try await ServerConfiguration.load(file: path, environment: [:])
            #expect(fromFile.host == "0.0.0.0")
            #expect(fromFile.port == 9000)
            #expect(fromFile.database == "/var/lib/yunqiao/yunqiao.sqlite")
            #expect(fromFile.tenant == "acme")
            #expect(fromFile.adminUsername == "root")
            #expect(fromFile.sessionLifetime == .seconds(2 * 3600))
            #expect(fromFile.secureCookies == .always)
            #expect(fromFile.loginMaxFailures == 3)
            #expect(fromFile.loginWindow == .seconds(5 * 60))
            #expect(fromFile.shutdownGrace == .seconds(10))

            let overridden = try await ServerConfiguration.load(
                file: path, environment: ["YUNQIAO_HTTP_PORT": "9100", "YUNQIAO_COOKIES_SECURE": "never", "YUNQIAO_DATABASE": "/tmp/y.sqlite",
                                          "YUNQIAO_LOGIN_MAX_FAILURES": "7", "YUNQIAO_LOGIN_WINDOW_MINUTES": "30",
                                          "YUNQIAO_SHUTDOWN_GRACE_SECONDS": "20", "YUNQIAO_SESSION_HOURS": "1", "UNRELATED": "x"])
            #expect(overridden.port == 9100)
            #expect(overridden.secureCookies == .never)
            #expect(overridden.database == "/tmp/y.sqlite")
            #expect(overridden.host == "0.0.0.0")
            #expect(overridden.loginMaxFailures == 7)
            #expect(overridden.loginWindow == .seconds(30 * 60))
            #expect(overridden.shutdownGrace == .seconds(20))
            #expect(overridden.sessionLifetime == .seconds(3600))
        }
        // A partial file keeps the other defaults.
        try await Self.withFile(#"{"http": {"port": 8181}}"#) { path in
            let partial = try await ServerConfiguration.load(file: path, environment: [:])
            var expected = ServerConfiguration()
            expected.port = 8181
            #expect(partial == expected)
        }
    }

    @Test func invalidValuesAreRefused() async throws {
        await #expect(throws: ServerConfiguration.ConfigurationError.self) {
            _ = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_COOKIES_SECURE": "sometimes"])
        }
        try await Self.withFile(#"{"cookies": {"secure": "yes"}}"#) { path in
            do {
                _ = try await ServerConfiguration.load(file: path, environment: [:])
                Issue.record("a bad cookies.secure value was accepted")
            } catch let error as ServerConfiguration.ConfigurationError {
                #expect(error.description.contains("cookies.secure"))
                #expect(error.description.contains("yes"))
            }
        }
        await #expect(throws: ServerConfiguration.ConfigurationError.self) {
            _ = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_HTTP_PORT": "70000"])
        }
        await #expect(throws: ServerConfiguration.ConfigurationError.self) {
            _ = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_LOGIN_MAX_FAILURES": "0"])
        }
        // A value of the wrong type is an error, not a silent default.
        try await Self.withFile(#"{"http": {"port": "eighty"}}"#) { path in
            do {
                _ = try await ServerConfiguration.load(file: path, environment: [:])
                Issue.record("a string port was accepted")
            } catch let error as ServerConfiguration.ConfigurationError {
                #expect(error.description == "configuration http.port: must be an integer")
            }
        }
        await #expect(throws: ServerConfiguration.ConfigurationError.self) {
            _ = try await ServerConfiguration.load(file: nil, environment: ["YUNQIAO_SESSION_HOURS": "twelve"])
        }
        // A file that was named must exist.
        await #expect(throws: (any Error).self) {
            _ = try await ServerConfiguration.load(file: "/nonexistent/yunqiao.json", environment: [:])
        }
    }

    @Test func connectionTimeoutsAreSettings() async throws {
        let defaults = try await ServerConfiguration.load(file: nil, environment: [:])
        #expect(defaults.headerTimeout == .seconds(20) && defaults.idleTimeout == .seconds(60))
        try await Self.withFile(#"{"http": {"headerTimeoutSeconds": 5, "idleTimeoutSeconds": 30}}"#) { path in
            let fromFile = try await ServerConfiguration.load(file: path, environment: [:])
            #expect(fromFile.headerTimeout == .seconds(5) && fromFile.idleTimeout == .seconds(30))
            let overridden = try await ServerConfiguration.load(file: path, environment: ["YUNQIAO_HTTP_HEADER_TIMEOUT_SECONDS": "8",
                                                                                          "YUNQIAO_HTTP_IDLE_TIMEOUT_SECONDS": "90"])
            #expect(overridden.headerTimeout == .seconds(8) && overridden.idleTimeout == .seconds(90))
        }
        for (key, value) in [("YUNQIAO_HTTP_HEADER_TIMEOUT_SECONDS", "0"), ("YUNQIAO_HTTP_IDLE_TIMEOUT_SECONDS", "100000")] {
            await #expect(throws: ServerConfiguration.ConfigurationError.self) {
                _ = try await ServerConfiguration.load(file: nil, environment: [key: value])
            }
        }
    }
}
