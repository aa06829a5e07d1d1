import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import Metrics
import YunqiaoCore

/// Sync mode 1 (飞书 → 云桥): reads an enterprise's Feishu directory and brings the bridge's mirror up to date.
///
/// Source → plan → apply → report: the read happens first; the plan is computed in memory; the mirror changes in one
/// transaction at the end, so a failed run leaves the previous mirror intact. A second run with no change writes
/// nothing to the mirror.
public struct FeishuDirectorySync: Sendable {
    public let database: any BridgeStore
    public let clients: FeishuClients
    public let logger: Logger

    public init(database: any BridgeStore, clients: FeishuClients, logger: Logger) {
        self.database = database
        self.clients = clients
        self.logger = logger
    }

    /// A sync with its own Feishu clients (one-shot commands).
    public init(database: any BridgeStore, httpClient: HTTPClient, retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.init(database: database, clients: FeishuClients(httpClient: httpClient, retry: retry, logger: logger), logger: logger)
    }

    public enum SyncError: Error, CustomStringConvertible {
        case noApp(enterprise: String)

        public var text: LocalizedText {
            switch self {
            case .noApp(let name): "enterprise \(name) has no app: add one (App ID and App Secret) before syncing"
            }
        }

        public var description: String { text.description }
    }

    /// Runs a full sync of `enterprise` with its first app and stores the run with its report.
    /// Throws only when the run cannot even start; a failing run returns a report with status `failed`.
    public func run(enterprise: EnterpriseRecord, progress: (@Sendable (SyncProgress) -> Void)? = nil) async throws -> SyncReport {
        let run = try await start(enterprise: enterprise)
        return await finish(run, enterprise: enterprise, progress: progress)
    }

    /// Stores a new `running` run (so callers can show it at once); ``finish(_:enterprise:progress:)`` does the work.
    public func start(enterprise: EnterpriseRecord) async throws -> SyncRunRecord {
        guard let enterpriseId = enterprise.id, try await database.integration.apps(enterpriseId: enterpriseId).first != nil else {
            throw SyncError.noApp(enterprise: enterprise.name)
        }
        return try await database.mirror.startSyncRun(enterpriseId: enterpriseId, kind: "feishu")
    }

    /// Runs a started run to its end and stores its report. Never throws: a failure is the report's status.
    public func finish(_ run: SyncRunRecord, enterprise: EnterpriseRecord,
                       progress: (@Sendable (SyncProgress) -> Void)? = nil) async -> SyncReport
    {
        let enterpriseId = run.enterpriseId
        let recorder = CallRecorder()
        var logger = logger
        logger[metadataKey: "sync.run.id"] = "\(run.id ?? 0)"
        logger[metadataKey: "enterprise"] = "\(enterprise.name)"
        let started = ContinuousClock.now
        var report = SyncReport()
        do {
            guard let app = try await database.integration.apps(enterpriseId: enterpriseId).first else {
                throw SyncError.noApp(enterprise: enterprise.name)
            }
            let client = try await clients.client(enterprise: enterprise, app: app, database: database).recording(into: recorder)
            let reader: any DirectorySource = FeishuDirectoryReader(client: client)
            async let current = database.mirror.directory(enterpriseId: enterpriseId)
            let snapshot = try await reader.read(progress: progress)
            let read = ContinuousClock.now
            let mirror = try await current
            let vanished = SyncPlanner.vanished(mirror: mirror, snapshot: snapshot)
            let verdict = vanished.isEmpty ? VanishedVerdict() : try await reader.verdict(on: vanished, mirror: mirror)
            let plan = SyncPlanner.plan(mirror: mirror, snapshot: snapshot, verdict: verdict)
            let planned = ContinuousClock.now
            try await database.mirror.apply(plan, enterpriseId: enterpriseId, at: Date())
            logger.info("sync phases", metadata: [
                "sync.read.ms": "\((read - started).milliseconds)", "sync.plan.ms": "\((planned - read).milliseconds)",
                "sync.apply.ms": "\((ContinuousClock.now - planned).milliseconds)",
            ])
            report.record(plan, seenDepartments: snapshot.departments.count, seenUsers: snapshot.users.count)
            report.status = .succeeded
            try await Self.autoBindIfEnabled(enterprise, database: database, logger: logger)
            logger.info("sync finished", metadata: [
                "sync.plan.creates": "\(plan.departments.created.count + plan.users.created.count)",
                "sync.plan.deletes": "\(plan.departments.deleted.count + plan.users.deleted.count)",
            ])
        } catch {
            report.status = .failed
            report.error = "\(error)"
            logger.warning("sync failed", metadata: ["error": "\(error)"])
        }
        let usage = await recorder.snapshot()
        let total = usage.values.reduce(APICallStats(), +)
        report.api.calls = total.calls
        report.api.attempts = total.attempts
        report.api.retries = total.retries
        report.api.rateLimitWaits = total.rateLimitWaits
        report.api.tokenRefreshes = total.tokenRefreshes
        report.apiCalls = usage.mapValues(\.attempts)
        let elapsed = ContinuousClock.now - started
        report.durationMs = elapsed.milliseconds
        Counter(label: "yunqiao_sync_runs_total", dimensions: [("kind", run.kind), ("status", report.status.rawValue)]).increment()
        Timer(label: "yunqiao_sync_run_duration_seconds", dimensions: [("kind", run.kind)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        do {
            try await database.mirror.finishSyncRun(run, report: report)
        } catch {
            logger.error("could not store the sync report", metadata: ["error": "\(error)"])
        }
        return report
    }
}

extension FeishuDirectorySync {
    /// Auto-bind runs after every successful mode-1 sync, and after contact events created users, when the enterprise
    /// enabled it (seed 4.2.4).
    static func autoBindIfEnabled(_ enterprise: EnterpriseRecord, database: any BridgeStore, logger: Logger) async throws {
        guard let id = enterprise.id else { return }
        let settings = try await database.bindings.bindingSettings(tenantId: enterprise.tenantId, enterpriseId: id)
        guard settings.autoBindEnabled else { return }
        let result = try await database.bindings.autoBind(tenantId: enterprise.tenantId, enterpriseId: id, fields: settings.fields, by: AuditActor("sync"), at: Date())
        logger.info("auto-bind after sync", metadata: [
            "binding.bound": "\(result.bound)", "binding.conflicts": "\(result.conflicts)", "binding.unmatched": "\(result.unmatched)",
        ])
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}
