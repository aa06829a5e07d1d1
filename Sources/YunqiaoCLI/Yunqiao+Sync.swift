import ArgumentParser
import Foundation
import Logging
import YunqiaoCore
import YunqiaoStore
import YunqiaoServices

extension Yunqiao {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Directory sync (通讯录同步).", subcommands: [Feishu.self, OAToFeishu.self])

        struct Feishu: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Mode 1: read the enterprise's Feishu directory into the bridge's mirror (飞书 → 云桥).")

            @OptionGroup var store: DatabaseOptions
            @Option(help: "Enterprise name, as added with `yunqiao enterprise add`.") var enterprise: String

            func run() async throws {
                Yunqiao.bootstrapLogging(default: .warning)
                let database = try store.open()
                let tenant = try await database.integration.tenant()
                let record = try await database.integration.enterprise(tenantId: tenant.id ?? 0, name: enterprise)
                let report = try await withYunqiaoHTTPClient { http in
                    try await FeishuDirectorySync(database: database, httpClient: http, logger: Logger(label: "yunqiao.sync"))
                        .run(enterprise: record, progress: ProgressLine.make())
                }
                ProgressLine.finish()
                say(report.summary)
                if report.status == .failed { throw ExitCode.failure }
            }
        }
    }
}

extension Yunqiao.Sync {
    struct OAToFeishu: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "oa-to-feishu",
            abstract: "Mode 3: write the OA directory to the enterprise's Feishu (OA → 云桥 → 飞书). Refreshes the mirror, "
                + "plans, and applies — or parks a plan that deletes until it is approved. Resumes a run a crash left.")

        @OptionGroup var store: DatabaseOptions
        @Option(help: "Enterprise name, as added with `yunqiao enterprise add`.") var enterprise: String
        @Flag(help: "Only plan and show what would change (模拟同步); nothing is written to Feishu.") var preview = false
        @Option(help: "Approve a parked run (its number) and apply it.") var approve: Int64?
        @Option(name: .customLong("settings"), help: "Save these settings first (a JSON file of OAToFeishuSettings).") var settingsFile: String?

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .warning)
            let database = try store.open()
            let tenantId = try await database.integration.tenant().id ?? 0
            let record = try await database.integration.enterprise(tenantId: tenantId, name: enterprise)
            let enterpriseId = record.id ?? 0
            if let settingsFile {
                let settings = try JSONDecoder().decode(OAToFeishuSettings.self, from: Data(contentsOf: URL(fileURLWithPath: settingsFile)))
                try await database.oaToFeishu.setOAToFeishuSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: .cli, at: Date())
            }
            let result = try await withYunqiaoHTTPClient { http in
                let sync = OAToFeishuSync(database: database, clients: FeishuClients(httpClient: http, logger: Logger(label: "yunqiao.sync")),
                                          logger: Logger(label: "yunqiao.sync"))
                await sync.resumeApplying()
                if preview { return try await sync.preview(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli) }
                if let approve { return try await sync.approve(tenantId: tenantId, runId: approve, by: .cli) }
                return try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            }
            say(try Self.summary(result))
            if result.status == .failed { throw ExitCode.failure }
        }

        /// The run in a few lines: its status, the plan's counts and why it waits, the report's figures.
        static func summary(_ run: OAToFeishuRunRecord) throws -> String {
            let plan = try run.decodedPlan()
            var lines = ["run \(run.id ?? 0): \(run.status.rawValue)"]
            lines.append("  plan     " + plan.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            for reason in plan.approvalReasons { lines.append("  waits    \(reason)") }
            if run.status == .parked { lines.append("  approve  yunqiao sync oa-to-feishu --enterprise … --approve \(run.id ?? 0)") }
            if let text = run.report, let report = try? JSONDecoder().decode(OAToFeishuReport.self, from: Data(text.utf8)) {
                lines.append("  applied  " + report.applied.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                lines.append("  took     \(String(format: "%.2f", Double(report.durationMs) / 1000)) s, \(report.apiCalls) API calls")
                for failure in report.failures.prefix(20) { lines.append("  failed   \(failure.action) \(failure.name): \(failure.message)") }
            }
            if let error = run.error { lines.append("  error    \(error)") }
            return lines.joined(separator: "\n")
        }
    }
}

/// One self-rewriting progress line on standard error when it is a terminal; silent otherwise.
enum ProgressLine {
    static func make() -> (@Sendable (SyncProgress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { progress in
            let users = progress.usersEstimated > 0 ? "\(progress.usersSeen)/~\(progress.usersEstimated)" : "\(progress.usersSeen)"
            FileHandle.standardError.write(Data("\r\u{1B}[Kdepartments \(progress.departmentsDone)/\(progress.departmentsTotal)  users \(users)".utf8))
        }
    }

    static func finish() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
