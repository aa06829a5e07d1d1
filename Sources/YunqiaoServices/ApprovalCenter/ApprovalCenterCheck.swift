import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// Reconciliation of the Approval Center (`feishu-api.md` §5.3): every pushed instance is compared with what Feishu
/// holds (`external_instances/check`, 50 at a time); an instance Feishu lacks or holds older (a lost push, an instance
/// removed there) is due again and the worker pushes it as it is now. Runs on the worker's schedule and on demand
/// (admin API, console); the last report of each tenant is kept.
public struct ApprovalCenterCheck: Sendable {
    let database: any BridgeStore
    let clients: FeishuClients
    let logger: Logger
    static let pageSize = 50

    /// Checks the apps of one tenant (or of every tenant); answers the reports, by tenant.
    @discardableResult
    public func run(tenantId: Int64?) async -> [Int64: ApprovalCheckReport] {
        let started = Date()
        var reports: [Int64: ApprovalCheckReport] = [:]
        let apps: [(tenantId: Int64, appId: Int64)]
        do { apps = try await database.approvalCenter.approvalApps() } catch {
            logger.error("approval center check: cannot read the apps", metadata: ["error": "\(error)"])
            return [:]
        }
        for (tenant, appId) in apps where tenantId == nil || tenantId == tenant {
            var report = reports[tenant] ?? ApprovalCheckReport(startedAt: started, finishedAt: started, checked: 0, drifted: 0, driftedIds: [],
                                                                errors: [])
            do {
                try await check(appId: appId, into: &report)
            } catch {
                report.errors.append("app \(appId): \(error)")
                logger.warning("approval center check: an app could not be checked", metadata: ["app": "\(appId)", "error": "\(error)"])
            }
            reports[tenant] = report
        }
        if let tenantId, reports[tenantId] == nil {
            reports[tenantId] = ApprovalCheckReport(startedAt: started, finishedAt: started, checked: 0, drifted: 0, driftedIds: [], errors: [])
        }
        for (tenant, var report) in reports {
            report.finishedAt = Date()
            reports[tenant] = report
            do { try await database.approvalCenter.recordApprovalCheck(tenantId: tenant, report) } catch {
                logger.error("approval center check: cannot keep the report", metadata: ["error": "\(error)"])
            }
            logger.info("approval center check", metadata: ["tenant": "\(tenant)", "checked": "\(report.checked)", "drifted": "\(report.drifted)"])
        }
        return reports
    }

    private func check(appId: Int64, into report: inout ApprovalCheckReport) async throws {
        var after: Int64 = 0
        var client: FeishuClient?
        while true {
            let page = try await database.approvalCenter.syncedApprovalInstances(appId: appId, afterId: after, limit: Self.pageSize)
            guard let last = page.last else { return }
            after = last.instance.id ?? after
            if client == nil { client = try await clients.client(enterprise: last.enterprise, app: last.app, database: database) }
            guard let client else { return }
            let asked = page.compactMap { job -> ExternalInstanceCheck.Instance? in
                guard let synced = job.instance.syncedTime else { return nil }
                let tasks = ApprovalCenterPayload.instance(job).taskList.map { ExternalInstanceCheck.Task(taskId: $0.taskId, updateTime: synced) }
                return ExternalInstanceCheck.Instance(instanceId: job.instance.instanceId, updateTime: synced, tasks: tasks)
            }
            let drifts = Set(try await client.checkExternalInstances(asked).map(\.instanceId))
            report.checked += asked.count
            guard !drifts.isEmpty else { continue }
            let ids = asked.map(\.instanceId).filter(drifts.contains)
            let requeued = try await database.approvalCenter.requeueApprovalInstances(appId: appId, instanceIds: ids, at: Date())
            report.drifted += requeued
            report.driftedIds.append(contentsOf: ids.prefix(max(0, 100 - report.driftedIds.count)))
        }
    }
}
