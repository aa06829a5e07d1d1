import ArgumentParser
import FeishuEmulator
import Foundation
import Logging
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

extension Yunqiao {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks that print figures (speed and memory targets are checked here, not in timed tests).",
            subcommands: [SyncFeishu.self, AutoBind.self, Push.self, PushCrash.self, PlanOAToFeishu.self, ApplyOAToFeishu.self])

        struct SyncFeishu: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "sync-feishu",
                abstract: "Full mode-1 sync against an in-process emulator with rate limits on; prints duration vs the rate-limit floor.")

            @Option(help: "Users in the generated org.") var users = 10000
            @Option(help: "Departments in the generated org.") var departments = 500
            @Option(name: .customLong("latency-ms"), help: "Round-trip delay the emulator adds to every answer.") var latencyMs = 0
            @Option(help: "Seed of the generated org.") var seed: UInt64 = 42

            /// Seconds `n` calls to one API need under 50/s and 1000/min.
            static func floor(calls n: Int) -> Double {
                if n <= 1000 { return Double(n) / 50 }
                let fullMinutes = Double((n - 1) / 1000)
                let rest = Double((n - 1) % 1000 + 1)
                return 60 * fullMinutes + rest / 50
            }

            func validate() throws {
                guard users >= 0, departments >= 0, latencyMs >= 0 else { throw ValidationError("values must be ≥ 0") }
            }

            func run() async throws {
                Yunqiao.bootstrapLogging(default: .error)
                let configuration = EmulatorConfiguration(
                    org: .generated(users: users, departments: departments), rateLimit: true,
                    latency: .milliseconds(latencyMs), seed: seed)
                note("generating org: \(users) users, \(departments) departments …")
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yunqiao-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let databasePath = directory.appendingPathComponent("bench.sqlite").path

                try await Emulator.withRunning(configuration) { emulator in
                    let members = await emulator.state.directMemberCounts
                    let minimumMembers = members.values.reduce(0) { $0 + max(1, ($1 + 49) / 50) }
                    let minimumDepartments = max(1, (departments + 49) / 50)
                    let minimum = minimumMembers + minimumDepartments

                    let database = try YunqiaoDatabase.open(path: databasePath)
                    let tenant = try await database.integration.tenant()
                    let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "bench", brand: "feishu",
                                                                                     baseURL: emulator.baseURL)
                    let app = EmulatorConfiguration.defaultApp
                    _ = try await database.integration.addApp(enterpriseId: enterprise.id ?? 0, name: "bench", appID: app.appID, appSecret: app.appSecret)
                    note("syncing …")
                    let report = try await withYunqiaoHTTPClient { http in
                        try await FeishuDirectorySync(database: database, httpClient: http, logger: Logger(label: "bench"))
                            .run(enterprise: enterprise, progress: ProgressLine.make())
                    }
                    ProgressLine.finish()
                    let state = await emulator.state.snapshot()
                    let limited = state["counters"]?["total_rate_limited"]?.intValue ?? 0
                    let seconds = Double(report.durationMs) / 1000
                    let floor = Double(minimum) / 50
                    // With 1000/min per API as well, the busiest API sets a second floor.
                    let capFloor = max(Self.floor(calls: minimumMembers), Self.floor(calls: minimumDepartments))
                    let peakMB = Double(peakResidentKilobytes()) / 1024
                    say("""
                        bench sync-feishu: \(users) users, \(departments) departments, latency \(latencyMs) ms, rate limits on
                          status            \(report.status.rawValue)\(report.error.map { " (\($0))" } ?? "")
                          mirrored          \(report.departments.seen) departments, \(report.users.seen) users
                          duration          \(String(format: "%.2f", seconds)) s
                          API requests      \(report.api.attempts) (\(report.api.calls) calls, \(report.api.retries) retries, \(limited) answered 429)
                          minimum calls     \(minimum) (\(minimumDepartments) children pages + \(minimumMembers) find_by_department pages)
                          floor (min ÷ 50/s) \(String(format: "%.2f", floor)) s
                          ratio             \(String(format: "%.3f", floor > 0 ? seconds / floor : 0))
                          floor incl. 1000/min per API \(String(format: "%.2f", capFloor)) s
                          peak memory       \(String(format: "%.1f", peakMB)) MB (whole process, emulator included)
                        """)
                    if report.status != .succeeded { throw ExitCode.failure }
                }
            }
        }
    }
}

/// Peak resident set size of this process in kilobytes (Linux `ru_maxrss`).
func peakResidentKilobytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss)
}
