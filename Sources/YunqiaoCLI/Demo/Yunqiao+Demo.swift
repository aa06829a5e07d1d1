import ArgumentParser
import FeishuEmulator
import Foundation
import Hummingbird
import Logging
import Prometheus
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

extension Yunqiao {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try Yunqiao without a Feishu tenant: the Feishu emulator with a sample org, the bridge configured "
                + "against it (one enterprise, one app, a first directory sync) and its admin console.")

        @Option(help: "Port of the bridge (console and API).")
        var port = 8080

        @Option(help: "Port of the Feishu emulator.")
        var emulatorPort = 8787

        @Option(help: "Port of the demo OA (its homepage, the items the sample messages open, the quick-approval webhook).")
        var oaPort = 8788

        @Option(help: "SQLite database of the demo (created when missing).")
        var database = "yunqiao-demo.sqlite"

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .warning)
            // First: a database that cannot be opened ends the demo before anything listens.
            let store = try YunqiaoDatabase.open(path: database)
            let metrics = Yunqiao.bootstrapMetrics()
            let emulatorConfiguration = EmulatorConfiguration(
                port: emulatorPort, apps: [DemoPush.emulatorApp], org: .generated(users: 200, departments: 24), rateLimit: true,
                latency: .milliseconds(30))
            let emulator = Emulator(configuration: emulatorConfiguration)
            let size = await emulator.state.orgSize
            let (ports, ready) = AsyncStream.makeStream(of: (name: String, port: Int).self)
            var server = ServerConfiguration()
            server.port = port
            server.database = database
            let serverConfiguration = server
            let portal = DemoOAPortal()
            let oaPort = self.oaPort
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await emulator.application { port in ready.yield(("emulator", port)) }.runService()
                }
                group.addTask {
                    try await DemoPush.oaApplication(port: oaPort, portal: portal) { port in ready.yield(("oa", port)) }.runService()
                }
                group.addTask {
                    var found: [String: Int] = [:]
                    for await (name, port) in ports {
                        found[name] = port
                        if found.count == 2 { break }
                    }
                    ready.finish()
                    guard let emulatorPort = found["emulator"], let oaPort = found["oa"] else { return }
                    try await Self.serve(server: serverConfiguration, store: store, emulatorBase: "http://127.0.0.1:\(emulatorPort)",
                                         emulator: emulator.state, oa: "http://127.0.0.1:\(oaPort)", portal: portal, size: size, metrics: metrics)
                }
                // A task that fails ends the demo: a bridge that could not start must not leave the emulator and the
                // OA running, and the process hanging, behind it. After Ctrl-C every task ends by itself.
                do {
                    while try await group.next() != nil {}
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        }

        /// Configures the demo tenant (idempotently), syncs once and serves the console. `oa` is the demo OA's base URL.
        static func serve(server: ServerConfiguration, store: YunqiaoDatabase, emulatorBase: String, emulator: EmulatorState, oa: String,
                          portal: DemoOAPortal, size: (departments: Int, users: Int), metrics: PrometheusCollectorRegistry) async throws
        {
            let logger = Logger(label: "yunqiao.demo")
            let setup = try await DemoSetup.prepare(store: store, server: server, emulatorBase: emulatorBase, portalURL: oa + "/portal")
            let report = try await withYunqiaoHTTPClient { http in
                try await FeishuDirectorySync(database: store, httpClient: http, logger: logger)
                    .run(enterprise: setup.enterprise, progress: ProgressLine.make())
            }
            ProgressLine.finish()
            let directory = try await DemoOADirectory.prepare(store: store, enterprise: setup.enterprise)
            let bridgeApp = try await store.integration.apps(enterpriseId: setup.enterprise.id ?? 0).first
            let push = try await DemoPush.prepare(store: store, enterprise: setup.enterprise, oaActionURL: oa + "/actions",
                                                  portalURL: oa + "/portal")
            let app = EmulatorConfiguration.defaultApp
            try await BridgeServer.run(configuration: server, database: store, metrics: metrics, logger: logger) { port in
                let console = "http://127.0.0.1:\(port)"
                // Known once the bridge listens (`--port 0` picks one): Feishu sends users back to it.
                do {
                    try await store.integration.setExternalDomain(tenantId: setup.enterprise.tenantId, console, by: AuditActor("demo"))
                } catch {
                    note("the external domain could not be set: \(error)")
                }
                let home = bridgeApp?.id.map { "\(console)/feishu/apps/\($0)/home" }
                await portal.configure(store: store, enterpriseId: setup.enterprise.id ?? 0, console: console, home: home)
                // The demo OA signs its users in through the bridge's OpenID Connect provider.
                if let appId = bridgeApp?.id {
                    do {
                        let registered = try await DemoOASignIn.register(store: store, tenantId: setup.enterprise.tenantId, appId: appId, oa: oa)
                        await portal.signIn.configure(.init(issuer: "\(console)/oidc/\(setup.enterprise.tenantId)", clientID: registered.clientID,
                                                            secret: registered.secret, redirectURI: oa + "/portal/oidc/callback"))
                    } catch {
                        note("the demo OA could not be registered for OpenID Connect: \(error)")
                    }
                }
                // The emulator app's 消息卡片请求网址: the bridge app's card callback.
                if let appId = push?.appId {
                    _ = await emulator.admin("PUT", "/_emulator/apps/\(app.appID)/callback",
                                             body: ["url": .string("\(console)/feishu/apps/\(appId)/card-callback")])
                }
                // The samples go through the bridge's own HTTP API, which answers once this callback has returned.
                Task {
                    let samples: Result<DemoPush.Samples?, any Error>
                    if let push {
                        do { samples = .success(try await DemoPush.sendSamples(store: store, setup: push, enterprise: setup.enterprise,
                                                                                bridge: console, oa: oa)) } catch { samples = .failure(error) }
                    } else {
                        samples = .success(nil)
                    }
                    Self.banner(console: console, server: server, setup: setup, emulatorBase: emulatorBase, oaBase: oa, size: size,
                                report: report, oa: directory, home: home,
                                push: DemoPush.summary(samples, console: console, emulator: emulatorBase, database: server.database))
                }
            }
        }

        static func banner(console: String, server: ServerConfiguration, setup: (enterprise: EnterpriseRecord, password: String),
                           emulatorBase: String, oaBase: String, size: (departments: Int, users: Int), report: SyncReport,
                           oa: DemoOADirectory.Outcome?, home: String?, push: String)
        {
            let app = EmulatorConfiguration.defaultApp
            say("""
                Yunqiao demo

                  Console           \(console)/console
                  Admin login       user: \(server.adminUsername)   password: \(setup.password)   (new at every demo start)
                  Feishu emulator   \(emulatorBase)/_emulator/state?org=false  (API under /open-apis; \(size.departments) departments, \(size.users) users, rate limits on, 30 ms latency)
                  Enterprise        \(setup.enterprise.name) — app \(app.appID) / \(app.appSecret)
                  Demo OA           \(oaBase)/portal  (the app's OA homepage app; the sample messages open its items)
                  OA sign-in        \(oaBase)/portal/login  (用飞书登录: the demo OA signs people in through the bridge's OpenID Connect provider, \(console)/oidc/\(setup.enterprise.tenantId)/.well-known/openid-configuration)
                  Database          \(server.database)

                First directory sync (飞书 → 云桥):
                \(report.summary.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

                OA directory (embedded) and bindings:
                \(Self.bindingSummary(oa, home: home, portal: oaBase + "/portal"))

                Message push (消息推送):
                \(push)

                Try it:
                  open \(console)/console and sign in; 飞书集成 → the enterprise → 立即同步 / 通讯录 / 绑定; OA 通讯录; 消息推送
                  curl -s \(console)/healthz
                  curl -s '\(emulatorBase)/_emulator/state?org=false'

                Press Ctrl-C to stop.
                listening on \(console)
                """)
        }
    }
}

extension Yunqiao.Demo {
    /// What the demo's OA directory holds and how to try a manual binding.
    static func bindingSummary(_ outcome: DemoOADirectory.Outcome?, home: String?, portal: String) -> String {
        guard let outcome else { return "  kept from the last start (the database already has an OA directory)" }
        var lines = ["  \(outcome.users) OA users; auto-bind by employee no. > mobile > email: \(outcome.autoBind.bound) bound, "
            + "\(outcome.autoBind.conflicts) conflict(s) in the queue, \(outcome.autoBind.unmatched) left for manual binding"]
        if let manual = outcome.manual, let home {
            lines.append("  manual bind: open \(home) → log in as \(manual.feishuName) → OA login \(manual.oaLogin) / \(DemoOADirectory.password)"
                + " → the demo OA's homepage \(portal)")
        }
        return lines.joined(separator: "\n")
    }
}

/// The demo's tenant: admin password, external domain, a sample OA homepage app, the emulator enterprise and its app.
enum DemoSetup {
    static let enterpriseName = "云桥示例科技（模拟器）"

    /// - Parameter portalURL: the demo OA's homepage, where the app's OA homepage app points.
    static func prepare(store: YunqiaoDatabase, server: ServerConfiguration, emulatorBase: String, portalURL: String) async throws
        -> (enterprise: EnterpriseRecord, password: String)
    {
        let tenant = try await store.integration.tenant(named: server.tenant)
        let tenantId = tenant.id ?? 0
        let actor = AuditActor("demo")
        let password = Passwords.generate()
        try await store.admins.setAdminPassword(tenantId: tenantId, username: server.adminUsername, passwordHash: try await Passwords.hash(password),
                                                by: actor)
        var portal = try await store.integration.homepageApps(tenantId: tenantId).first { $0.name == "OA 门户" }
        if let existing = portal, existing.url != portalURL, let id = existing.id {  // an older demo's page, or another OA port
            portal = try await store.integration.updateHomepageApp(tenantId: tenantId, id: id, name: existing.name, url: portalURL,
                                                                   note: existing.note, by: actor)
        } else if portal == nil {
            portal = try await store.integration.createHomepageApp(tenantId: tenantId, name: "OA 门户", url: portalURL,
                                                                   note: "演示 OA 的门户首页", by: actor)
        }
        let app = EmulatorConfiguration.defaultApp
        if let existing = try await store.integration.enterprises(tenantId: tenantId).first(where: { $0.name == enterpriseName }) {
            if existing.baseURL != emulatorBase {
                _ = try await store.integration.updateEnterprise(tenantId: tenantId, id: existing.id ?? 0, name: existing.name, brand: existing.brand,
                                                                 baseURL: emulatorBase, by: actor)
            }
            return (try await store.integration.enterprise(tenantId: tenantId, id: existing.id ?? 0), password)
        }
        let enterprise = try await store.integration.createEnterprise(tenantId: tenantId, name: enterpriseName, brand: "feishu", baseURL: emulatorBase,
                                                                      by: actor)
        _ = try await store.integration.addApp(enterpriseId: enterprise.id ?? 0, name: "云桥", appID: app.appID, appSecret: app.appSecret,
                                               homepage: portal?.id.map(AppHomepage.oaApp) ?? .none, by: actor)
        return (enterprise, password)
    }
}
