import ArgumentParser
import Foundation
import Logging
import YunqiaoCore
import YunqiaoStore
import YunqiaoServices

extension Yunqiao {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Directory sync (通讯录同步).", subcommands: [Feishu.self])

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
