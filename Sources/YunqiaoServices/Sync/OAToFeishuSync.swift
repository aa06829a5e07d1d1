import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// Sync mode 3 (OA → bridge → Feishu, seed 4.2.3 / 4.3.2 同步通讯录到飞书): the OA is the master.
///
/// A run refreshes the mirror first (mode 1 with auto-bind), so the comparison starts from Feishu's truth; plans in Core
/// (``OAToFeishuPlanner``); parks a plan that deletes or follows a fall of the OA past the threshold until an admin
/// approves it; applies through ``OAToFeishuApplier`` with a journal; and refreshes the mirror again. A preview plans
/// and stores the plan, nothing more, and works with a read-only interface permission too.
public struct OAToFeishuSync: Sendable {
    public let database: any BridgeStore
    public let clients: FeishuClients
    public let logger: Logger

    public init(database: any BridgeStore, clients: FeishuClients, logger: Logger) {
        self.database = database
        self.clients = clients
        self.logger = logger
    }

    /// The plan for the enterprise as the OA directory and the mirror stand now.
    public func plan(tenantId: Int64, enterprise: EnterpriseRecord, at time: Date = Date()) async throws -> OAToFeishuPlan {
        let enterpriseId = enterprise.id ?? 0
        let settings = try await database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId)
        let mirror = try await database.mirror.directory(enterpriseId: enterpriseId)
        let memory = try await database.oaToFeishu.oaToFeishuMemory(enterpriseId: enterpriseId)
        let bindings = try await database.bindings.all(enterpriseId: enterpriseId)
        let input = OAToFeishuInput(
            oaDepartments: try await database.oaDirectory.oaDepartments(tenantId: tenantId),
            oaUsers: try await database.oaToFeishu.allOAUsers(tenantId: tenantId),
            feishuDepartments: Array(mirror.departments.values), feishuUsers: Array(mirror.users.values),
            // The enterprise's name in the bridge stands for the Feishu organisation (the root's name).
            feishuRootName: enterprise.name,
            bindings: Dictionary(bindings.map { ($0.oaUserID, $0.unionID) }, uniquingKeysWith: { first, _ in first }),
            departmentLinks: memory.departmentLinks, disabledAt: memory.disabledAt, previousActiveOAUsers: memory.lastActiveOAUsers, now: time)
        do {
            return try OAToFeishuPlanner(settings: settings).plan(input)
        } catch {
            throw YunqiaoError.conflict(field: error == .topDepartmentMissing(settings.topDepartmentID ?? "") ? "topDepartmentID" : nil,
                                        message: error.text)
        }
    }

    /// A preview (模拟同步): the plan, stored as a run that is never applied.
    public func preview(tenantId: Int64, enterpriseId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        let enterprise = try await database.integration.enterprise(tenantId: tenantId, id: enterpriseId)
        let plan = try await plan(tenantId: tenantId, enterprise: enterprise)
        return try await store(plan, status: .preview, tenantId: tenantId, enterpriseId: enterpriseId, by: actor)
    }

    /// A run: refreshes the mirror, plans, and stores the plan — `applying` (to apply now: ``apply(_:)``, or the
    /// ``OAToFeishuRunner`` in the server) or `parked` for approval. Refused (409 naming `writable`) while the
    /// interface permission is read-only.
    public func prepare(tenantId: Int64, enterpriseId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        let enterprise = try await database.integration.enterprise(tenantId: tenantId, id: enterpriseId)
        try await requireWritable(enterpriseId)
        try await refreshMirror(enterprise)
        let plan = try await plan(tenantId: tenantId, enterprise: enterprise)
        return try await store(plan, status: plan.approvalReasons.isEmpty ? .applying : .parked, tenantId: tenantId,
                               enterpriseId: enterpriseId, by: actor)
    }

    /// A whole run at once (the command line, tests): prepared, then applied unless parked.
    public func run(tenantId: Int64, enterpriseId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        let run = try await prepare(tenantId: tenantId, enterpriseId: enterpriseId, by: actor)
        return run.status == .applying ? try await apply(run) : run
    }

    /// An admin's approval of a parked run. The plan is made again: when the OA or Feishu changed since, the new plan
    /// is parked in its place (the old one discarded) for the admin to look at; otherwise the run is applied.
    /// Answers the approved run (`applying`, to apply) or the new parked one.
    public func decideApproval(tenantId: Int64, runId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        let parked = try await database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: runId)
        guard parked.status == .parked else {
            throw YunqiaoError.conflict(field: nil, message: "run \(runId) is \(parked.status.rawValue), not parked")
        }
        try await requireWritable(parked.enterpriseId)
        let enterprise = try await database.integration.enterprise(tenantId: tenantId, id: parked.enterpriseId)
        try await refreshMirror(enterprise)
        var fresh = try await plan(tenantId: tenantId, enterprise: enterprise)
        let old = try parked.decodedPlan()
        guard fresh.departments == old.departments && fresh.users == old.users else {
            fresh.replaced = OAToFeishuPlanDifference(replacesRunId: runId, from: old, to: fresh)
            _ = try await database.oaToFeishu.decideOAToFeishuRun(tenantId: tenantId, id: runId, approve: false, by: actor, at: Date())
            return try await store(fresh, status: .parked, tenantId: tenantId, enterpriseId: parked.enterpriseId, by: actor)
        }
        return try await database.oaToFeishu.decideOAToFeishuRun(tenantId: tenantId, id: runId, approve: true, by: actor, at: Date())
    }

    /// Approval and apply at once (the command line, tests).
    public func approve(tenantId: Int64, runId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        let run = try await decideApproval(tenantId: tenantId, runId: runId, by: actor)
        return run.status == .applying ? try await apply(run) : run
    }

    public func discard(tenantId: Int64, runId: Int64, by actor: AuditActor) async throws -> OAToFeishuRunRecord {
        try await database.oaToFeishu.decideOAToFeishuRun(tenantId: tenantId, id: runId, approve: false, by: actor, at: Date())
    }

    /// Applies a run in `applying` from its journal on, then refreshes the mirror; answers the finished run.
    public func apply(_ run: OAToFeishuRunRecord) async throws -> OAToFeishuRunRecord {
        let id = run.id ?? 0
        let plan = try run.decodedPlan()
        let enterprise = try await database.integration.enterprise(tenantId: run.tenantId, id: run.enterpriseId)
        let started = ContinuousClock.now
        do {
            guard let app = try await database.integration.apps(enterpriseId: run.enterpriseId).first else {
                throw FeishuDirectorySync.SyncError.noApp(enterprise: enterprise.name)
            }
            let recorder = CallRecorder()
            let client = try await clients.client(enterprise: enterprise, app: app, database: database).recording(into: recorder)
            var report = try await OAToFeishuApplier(database: database, client: client, run: run, plan: plan, logger: logger).apply()
            report.apiCalls = await recorder.snapshot().values.reduce(0) { $0 + $1.attempts }
            report.durationMs = (ContinuousClock.now - started).milliseconds
            let text = String(decoding: try JSONEncoder.keepingKeys().encode(report), as: UTF8.self)
            try await database.oaToFeishu.finishOAToFeishuRun(id: id, status: report.failures.isEmpty ? .applied : .partial, report: text,
                                                              error: nil, activeOAUsers: plan.activeOAUsers, at: Date())
            try await refreshMirror(enterprise)
        } catch is CancellationError {
            // Stopped (shutdown): stays `applying`, resumed at the next start.
        } catch {
            logger.warning("OA → Feishu apply failed", metadata: ["run": "\(id)", "error": "\(error)"])
            try await database.oaToFeishu.finishOAToFeishuRun(id: id, status: .failed, report: nil, error: "\(error)", activeOAUsers: nil,
                                                              at: Date())
        }
        return try await database.oaToFeishu.oaToFeishuRun(tenantId: run.tenantId, id: id)
    }

    /// Resumes the runs a crash or a stop left `applying` (called at startup).
    public func resumeApplying() async {
        do {
            for run in try await database.oaToFeishu.applyingOAToFeishuRuns() {
                logger.info("resuming an OA → Feishu run", metadata: ["run": "\(run.id ?? 0)"])
                _ = try await apply(run)
            }
        } catch {
            logger.error("cannot resume OA → Feishu runs", metadata: ["error": "\(error)"])
        }
    }

    private func requireWritable(_ enterpriseId: Int64) async throws {
        guard try await database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId).writable else {
            throw YunqiaoError.conflict(field: "writable",
                                        message: "the interface permission is read-only: set it to read-write to write to Feishu")
        }
    }

    /// Mode 1 with auto-bind, so that the plan starts from Feishu as it is.
    private func refreshMirror(_ enterprise: EnterpriseRecord) async throws {
        let report = try await FeishuDirectorySync(database: database, clients: clients, logger: logger).run(enterprise: enterprise)
        if report.status == .failed {
            throw YunqiaoError.unavailable("reading the Feishu directory failed: \(report.error ?? "")")
        }
    }

    private func store(_ plan: OAToFeishuPlan, status: OAToFeishuRunRecord.Status, tenantId: Int64, enterpriseId: Int64,
                       by actor: AuditActor) async throws -> OAToFeishuRunRecord
    {
        let text = String(decoding: try JSONEncoder.keepingKeys().encode(plan), as: UTF8.self)
        return try await database.oaToFeishu.createOAToFeishuRun(
            OAToFeishuRunRecord(tenantId: tenantId, enterpriseId: enterpriseId, status: status, plan: text, createdBy: actor.name,
                                createdAt: Date()), by: actor)
    }
}
