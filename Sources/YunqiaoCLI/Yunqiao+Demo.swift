import ArgumentParser
import FeishuEmulator
import Foundation
import Hummingbird
import Logging
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore

extension Yunqiao {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try Yunqiao without a Feishu tenant: the emulator with a sample org, an enterprise configured "
                + "against it, and a first directory sync (飞书 → 云桥).")

        @Option(help: "Port of the emulator.")
        var port = 8787

        @Option(help: "SQLite database of the demo (created when missing).")
        var database = "yunqiao-demo.sqlite"

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .warning)
            let configuration = EmulatorConfiguration(
                port: port, org: .generated(users: 200, departments: 24), rateLimit: true, latency: .milliseconds(30))
            let emulator = Emulator(configuration: configuration)
            let size = await emulator.state.orgSize
            let app = EmulatorConfiguration.defaultApp
            let (ports, ready) = AsyncStream.makeStream(of: Int.self)
            let databasePath = database
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await emulator.application { port in
                        ready.yield(port)
                        ready.finish()
                    }.runService()
                }
                group.addTask {
                    var iterator = ports.makeAsyncIterator()
                    guard let port = await iterator.next() else { return }
                    let base = "http://127.0.0.1:\(port)"
                    let store = try YunqiaoDatabase.open(path: databasePath)
                    let tenant = try await store.tenant()
                    let name = "云桥示例科技（模拟器）"
                    let enterprise: EnterpriseRecord
                    if let existing = try await store.enterprises(tenantId: tenant.id ?? 0).first(where: { $0.name == name }),
                       existing.baseURL == base
                    {
                        enterprise = existing
                    } else {
                        let label = try await store.enterprises(tenantId: tenant.id ?? 0).contains { $0.name == name }
                            ? "\(name) :\(port)" : name
                        enterprise = try await store.createEnterprise(tenantId: tenant.id ?? 0, name: label, brand: "feishu", baseURL: base)
                        _ = try await store.addApp(enterpriseId: enterprise.id ?? 0, name: "云桥", appID: app.appID, appSecret: app.appSecret)
                    }
                    let report = try await withYunqiaoHTTPClient { http in
                        try await FeishuDirectorySync(database: store, httpClient: http, logger: Logger(label: "yunqiao.demo"))
                            .run(enterprise: enterprise, progress: ProgressLine.make())
                    }
                    ProgressLine.finish()
                    say("""
                        Yunqiao demo
                          Feishu emulator   \(base)  (\(size.departments) departments, \(size.users) users, rate limits on, 30 ms latency)
                          App               \(app.appID) / \(app.appSecret)
                          Database          \(databasePath)  (enterprise "\(enterprise.name)")

                        First directory sync (飞书 → 云桥):
                        \(report.summary.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

                        Try it:
                          swift run yunqiao sync feishu --database \(databasePath) --enterprise '\(enterprise.name)'
                          TOKEN=$(curl -s -X POST \(base)/open-apis/auth/v3/tenant_access_token/internal \\
                            -d '{"app_id":"\(app.appID)","app_secret":"\(app.appSecret)"}' | sed 's/.*"tenant_access_token":"\\([^"]*\\)".*/\\1/')
                          curl -s -H "Authorization: Bearer $TOKEN" '\(base)/open-apis/contact/v3/departments/0/children?page_size=50'
                          curl -s '\(base)/_emulator/state?org=false'

                        Press Ctrl-C to stop.
                        listening on \(base)
                        """)
                }
                try await group.waitForAll()
            }
        }
    }
}
