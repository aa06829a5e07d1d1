import ArgumentParser
import FeishuEmulator
import Foundation
import Hummingbird
import Logging
import YunqiaoCore
import YunqiaoServices

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

    @Option(help: "Licensed seats: creating a user past them answers 40107 (default: no limit).")
    var seats: Int?

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

    @Option(name: .customLong("card-callback"),
            help: "Where an app's card callbacks go, as APP_ID:URL (repeatable; also PUT /_emulator/apps/APP_ID/callback).")
    var cardCallbacks: [String] = []

    @Option(name: .customLong("card-callback-protocol"),
            help: "An app's card callback protocol, APP_ID:card.action.trigger (default) or APP_ID:card.action.trigger_v1.")
    var cardCallbackProtocols: [String] = []

    @Option(name: .customLong("encrypt-key"), help: "An app's Encrypt Key, as APP_ID:KEY: callbacks are encrypted and signed.")
    var encryptKeys: [String] = []

    @Option(name: .customLong("verification-token"),
            help: "An app's Verification Token, as APP_ID:TOKEN (default: one derived from the app id and secret).")
    var verificationTokens: [String] = []

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard ["on", "off"].contains(rateLimit) else { throw ValidationError("--rate-limit must be on or off") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must be ≥ 0") }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate must be between 0 and 1") }
        guard tokenLifetime >= 60 else { throw ValidationError("--token-lifetime must be at least 60 seconds") }
        if let users, users < 0 { throw ValidationError("--users must be ≥ 0") }
        if let seats, seats < 0 { throw ValidationError("--seats must be ≥ 0") }
        if let departments, departments < 0 { throw ValidationError("--departments must be ≥ 0") }
        if fixture != nil && (users != nil || departments != nil) {
            throw ValidationError("--fixture gives an exact org; do not combine it with --users/--departments")
        }
        for app in apps { _ = try Self.parseApp(app) }
        for (flag, values) in [("--card-callback", cardCallbacks), ("--card-callback-protocol", cardCallbackProtocols),
                               ("--encrypt-key", encryptKeys), ("--verification-token", verificationTokens)]
        {
            for value in values { _ = try Self.parseAppSetting(value, flag: flag) }
        }
        for value in cardCallbacks {
            let url = try Self.parseAppSetting(value, flag: "--card-callback").value
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("--card-callback needs an absolute http(s) URL, got '\(url)'")
            }
        }
        for value in cardCallbackProtocols {
            let name = try Self.parseAppSetting(value, flag: "--card-callback-protocol").value
            guard EmulatorConfiguration.CardCallbackProtocol(rawValue: name) != nil else {
                throw ValidationError("--card-callback-protocol must be card.action.trigger or card.action.trigger_v1, got '\(name)'")
            }
        }
    }

    /// `APP_ID:VALUE` (the value may contain colons, e.g. a URL).
    static func parseAppSetting(_ text: String, flag: String) throws -> (appID: String, value: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("\(flag) must look like APP_ID:VALUE, got '\(text)'")
        }
        return (parts[0], parts[1])
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
            tokenLifetime: tokenLifetime, seed: seed, seats: seats)
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
        for (flag, values) in [("--card-callback", cardCallbacks), ("--card-callback-protocol", cardCallbackProtocols),
                               ("--encrypt-key", encryptKeys), ("--verification-token", verificationTokens)]
        {
            for text in values {
                let setting = try Self.parseAppSetting(text, flag: flag)
                guard let index = configuration.apps.firstIndex(where: { $0.appID == setting.appID }) else {
                    throw ValidationError("\(flag): no app \(setting.appID) (give it with --app or in the fixture)")
                }
                switch flag {
                case "--card-callback": configuration.apps[index].cardCallbackURL = setting.value
                case "--card-callback-protocol":
                    configuration.apps[index].cardCallbackProtocol = EmulatorConfiguration.CardCallbackProtocol(rawValue: setting.value) ?? .v2
                case "--encrypt-key": configuration.apps[index].encryptKey = setting.value
                default: configuration.apps[index].verificationToken = setting.value
                }
            }
        }
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
            abstract: "Run the Feishu/Lark open-platform emulator (tokens, contact v3, IM messages and card callbacks, rate limits, faults).")

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
                for app in configuration.apps {
                    guard let url = app.cardCallbackURL else { continue }
                    note("  app \(app.appID) card callbacks (\(app.cardCallbackProtocol.rawValue)\(app.encryptKey == nil ? "" : ", encrypted"))"
                        + " → \(url)")
                }
                note("  rate limit \(configuration.rateLimit ? "on (50/s, 1000/min per app per API)" : "off")"
                    + ", state at http://\(host):\(port)/_emulator/state")
                say("listening on http://\(host):\(port)")
            }.runService()
        }
    }
}
