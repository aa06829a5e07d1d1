import ArgumentParser
import FeishuEmulator
import Foundation
import Hummingbird
import Logging

extension EmulatorConfiguration.Brand: ExpressibleByArgument {}
extension EmulatorFaults.ErrorKind: ExpressibleByArgument {}

/// Options shared by every command that starts an emulator.
struct EmulatorOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8787

    @Option(help: "A JSON file with an exact org (see README, 'Emulator fixture format').")
    var fixture: String?

    @Option(help: "Generate an org with this many users.")
    var users: Int?

    @Option(help: "Generate an org with this many departments.")
    var departments: Int?

    @Option(name: .customLong("app"), help: "An app as APP_ID:APP_SECRET (repeatable).")
    var apps: [String] = []

    @Option(name: .customLong("rate-limit"), help: "Per app per API limits (50/s, 1000/min): on or off.")
    var rateLimit = "on"

    @Option(name: .customLong("latency-ms"), help: "Delay added to every answer, in milliseconds.")
    var latencyMs = 0

    @Option(help: "feishu or lark.")
    var brand = EmulatorConfiguration.Brand.feishu

    @Option(help: "Seed for ids, the generated org and fault injection.")
    var seed: UInt64 = 42

    @Option(name: .customLong("token-lifetime"), help: "Access token lifetime in seconds.")
    var tokenLifetime = 7200

    @Option(name: .customLong("error-rate"), help: "Fault: fraction (0…1) of business calls answered with an error.")
    var errorRate = 0.0

    @Option(name: .customLong("error-kind"), help: "Fault: http_5xx, internal_code or mixed.")
    var errorKind = EmulatorFaults.ErrorKind.mixed

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard ["on", "off"].contains(rateLimit) else { throw ValidationError("--rate-limit must be on or off") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must be ≥ 0") }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate must be between 0 and 1") }
        guard tokenLifetime >= 60 else { throw ValidationError("--token-lifetime must be at least 60 seconds") }
        if let users, users < 0 { throw ValidationError("--users must be ≥ 0") }
        if let departments, departments < 0 { throw ValidationError("--departments must be ≥ 0") }
        if fixture != nil && (users != nil || departments != nil) {
            throw ValidationError("--fixture gives an exact org; do not combine it with --users/--departments")
        }
        for app in apps { _ = try Self.parseApp(app) }
    }

    static func parseApp(_ text: String) throws -> EmulatorConfiguration.App {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--app must look like APP_ID:APP_SECRET, got '\(text)'")
        }
        return .init(appID: parts[0], appSecret: parts[1])
    }

    func configuration(defaultUsers: Int = 60, defaultDepartments: Int = 12) throws -> (EmulatorConfiguration, EmulatorFaults) {
        var configuration = EmulatorConfiguration(
            host: host, port: port, brand: brand, rateLimit: rateLimit == "on", latency: .milliseconds(latencyMs),
            tokenLifetime: tokenLifetime, seed: seed)
        var fixtureApps: [EmulatorConfiguration.App] = []
        if let fixture {
            let loaded = try EmulatorFixture.load(path: fixture)
            configuration.org = .fixture(loaded)
            fixtureApps = loaded.apps
        } else {
            configuration.org = .generated(users: users ?? defaultUsers, departments: departments ?? defaultDepartments)
        }
        let flagApps = try apps.map(Self.parseApp)
        let allApps = fixtureApps + flagApps
        if !allApps.isEmpty { configuration.apps = allApps }
        var faults = EmulatorFaults()
        faults.errorRate = errorRate
        faults.errorKind = errorKind
        return (configuration, faults)
    }
}

extension Yunqiao {
    struct EmulatorCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "emulator",
            abstract: "Run the Feishu/Lark open-platform emulator (tokens, contact v3, rate limits, faults).")

        @OptionGroup var options: EmulatorOptions

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .warning)
            let (configuration, faults) = try options.configuration()
            let emulator = Emulator(configuration: configuration, faults: faults)
            let size = await emulator.state.orgSize
            let apps = await emulator.state.appCredentials
            let host = configuration.host
            try await emulator.application { port in
                note("feishu emulator (\(configuration.brand.rawValue)): \(size.departments) departments, \(size.users) users")
                for app in apps { note("  app \(app.appID)  secret \(app.appSecret)") }
                note("  rate limit \(configuration.rateLimit ? "on (50/s, 1000/min per app per API)" : "off")"
                    + ", state at http://\(host):\(port)/_emulator/state")
                say("listening on http://\(host):\(port)")
            }.runService()
        }
    }
}
