import ArgumentParser
import AsyncHTTPClient
import FeishuEmulator
import Foundation
import Logging
import YunqiaoCore
import YunqiaoServices
import YunqiaoStore

extension Yunqiao.Bench {
    struct ApplyOAToFeishu: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply-oa-to-feishu",
            abstract: "Mode 3's apply (OA → Feishu) against the emulator with its rate limits on: N new users in M new "
                + "departments; prints the time against the floor the limits allow (target ≤ 1.1 × the floor).")

        @Option(help: "New users in the OA.") var users = 2_000
        @Option(help: "New departments in the OA (two levels).") var departments = 200
        @Option(name: .customLong("latency-ms"), help: "Round-trip delay the emulator adds to every answer.") var latencyMs = 20

        /// The least time `calls` calls of one API take at 50/s and 1000/min: 50 at once, the next 50 a second later…,
        /// and past 1000 a minute after the first.
        static func floor(_ calls: Int) -> Double {
            guard calls > 0 else { return 0 }
            return Double((calls - 1) / 1000) * 60 + Double(((calls - 1) % 1000) / 50)
        }

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .error)
            let configuration = EmulatorConfiguration(org: .empty, rateLimit: true, latency: .milliseconds(latencyMs))
            let store = try YunqiaoDatabase.inMemory()
            try await Emulator.withRunning(configuration) { emulator in
                let tenantId = try await store.integration.tenant().id ?? 0
                let enterprise = try await store.integration.createEnterprise(tenantId: tenantId, name: "压测集团", brand: "feishu",
                                                                              baseURL: emulator.baseURL)
                let enterpriseId = enterprise.id ?? 0
                let app = EmulatorConfiguration.defaultApp
                _ = try await store.integration.addApp(enterpriseId: enterpriseId, name: "bench", appID: app.appID, appSecret: app.appSecret)
                let firstLevel = max(1, departments / 10)
                var oaDepartments = [OADirectoryImport.Department(oaID: "top", name: "压测集团")]
                for index in 0..<departments {
                    oaDepartments.append(.init(oaID: "d\(index)", name: "部门\(index)", parentOaID: index < firstLevel ? "top" : "d\(index % firstLevel)"))
                }
                let oaUsers = (0..<users).map { index in
                    OADirectoryImport.User(oaID: "u\(index)", loginID: "bench\(index)", name: "用户\(index)",
                                           mobile: String(format: "+86139%08d", index), departmentOaIDs: ["d\(index % departments)"])
                }
                try await store.oaDirectory.importOADirectory(tenantId: tenantId, departments: oaDepartments, users: oaUsers, mode: .merge,
                                                              source: .sheet, by: .cli, at: Date())
                var settings = OAToFeishuSettings.standard
                settings.writable = true
                try await store.oaToFeishu.setOAToFeishuSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: .cli, at: Date())
                let sync = OAToFeishuSync(database: store, clients: FeishuClients(httpClient: .shared, logger: Logger(label: "bench")),
                                          logger: Logger(label: "bench"))
                let run = try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
                guard let text = run.report, let report = try? JSONDecoder().decode(OAToFeishuReport.self, from: Data(text.utf8)) else {
                    throw ValidationError("the run ended \(run.status.rawValue): \(run.error ?? "")")
                }
                let floor = Self.floor(departments) + Self.floor(users)
                let seconds = Double(report.durationMs) / 1000
                let held = await emulator.state.snapshot(includeOrg: true)["org"]?["users"]?.arrayValue?.count ?? 0
                say("""
                    bench apply-oa-to-feishu: \(users) users in \(departments) departments, all new; latency \(latencyMs) ms, rate limits on
                      status      \(run.status.rawValue)  (applied \(report.applied.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); failed \(report.failures.count))
                      apply       \(String(format: "%.2f", seconds)) s, \(report.apiCalls) API calls
                      floor       \(String(format: "%.2f", floor)) s (departments, then users; 50/s and 1000/min per API)
                      ratio       \(String(format: "%.3f", seconds / floor)) (target ≤ 1.1)
                      Feishu      \(held) users held
                      peak memory \(String(format: "%.1f", Double(peakResidentKilobytes()) / 1024)) MB (whole process, emulator included)
                    """)
            }
        }
    }
}
