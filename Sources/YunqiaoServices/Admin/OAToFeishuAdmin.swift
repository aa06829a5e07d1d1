import FeishuKit
import Foundation
import YunqiaoCore

/// Mode 3 as an admin uses it (console 通讯录管理, admin API): the settings, a preview, a run, the runs and an
/// approval — inside the admin's tenant; runs are applied in the background by ``OAToFeishuRunner``.
public struct OAToFeishuAdmin: Sendable {
    public let runner: OAToFeishuRunner
    var sync: OAToFeishuSync { runner.sync }
    var database: any BridgeStore { runner.sync.database }

    public init(runner: OAToFeishuRunner) { self.runner = runner }

    public func settings(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> OAToFeishuSettings {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId)
    }

    /// Saves the settings; the top department must be a department of the mirror (or `0`, the root).
    @discardableResult
    public func setSettings(_ admin: AdminIdentity, enterpriseId: Int64, _ settings: OAToFeishuSettings) async throws -> OAToFeishuSettings {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        if let top = settings.topDepartmentID, top != OAToFeishuPlanner.root,
           !(try await database.mirror.departments(enterpriseId: enterpriseId)).contains(where: { $0.openDepartmentID == top })
        {
            throw YunqiaoError.invalid(field: "topDepartmentID", message: "no Feishu department \(top) in the directory: sync from Feishu first")
        }
        return try await database.oaToFeishu.setOAToFeishuSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId, settings,
                                                                   by: admin.actor, at: Date())
    }

    /// The Feishu departments a top department may be, by path (`研发中心 / 平台部`), for the settings page.
    public func departmentChoices(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [(id: String, path: String)] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let departments = try await database.mirror.departments(enterpriseId: enterpriseId)
        let byID = Dictionary(departments.map { ($0.openDepartmentID, $0) }, uniquingKeysWith: { first, _ in first })
        func path(_ department: MirrorDepartment) -> String {
            var names = [department.name]
            var parent = department.parentOpenDepartmentID
            while let next = byID[parent], names.count < 64 {
                names.insert(next.name, at: 0)
                parent = next.parentOpenDepartmentID
            }
            return names.joined(separator: " / ")
        }
        return departments.map { ($0.openDepartmentID, path($0)) }.sorted { $0.path < $1.path }
    }

    public func preview(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> OAToFeishuRunRecord {
        try await sync.preview(tenantId: admin.tenantId, enterpriseId: enterpriseId, by: admin.actor)
    }

    /// Starts a run: planned now, applied in the background unless parked.
    public func start(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> OAToFeishuRunRecord {
        let run = try await sync.prepare(tenantId: admin.tenantId, enterpriseId: enterpriseId, by: admin.actor)
        if run.status == .applying { runner.wake() }
        return run
    }

    /// Approves a parked run: the approved run (applied in the background), or the new parked plan when the OA or
    /// Feishu changed since.
    public func approve(_ admin: AdminIdentity, runId: Int64) async throws -> OAToFeishuRunRecord {
        let run = try await sync.decideApproval(tenantId: admin.tenantId, runId: runId, by: admin.actor)
        if run.status == .applying { runner.wake() }
        return run
    }

    public func discard(_ admin: AdminIdentity, runId: Int64) async throws -> OAToFeishuRunRecord {
        try await sync.discard(tenantId: admin.tenantId, runId: runId, by: admin.actor)
    }

    public func runs(_ admin: AdminIdentity, enterpriseId: Int64, limit: Int = 20) async throws -> [OAToFeishuRunRecord] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.oaToFeishu.oaToFeishuRuns(enterpriseId: enterpriseId, limit: limit)
    }

    public func run(_ admin: AdminIdentity, runId: Int64) async throws -> OAToFeishuRunRecord {
        try await database.oaToFeishu.oaToFeishuRun(tenantId: admin.tenantId, id: runId)
    }

    /// When a run froze the user and when the delayed delete will take it (nil: never), for the user card; nil when
    /// no run froze the user.
    public func disabledByRun(_ admin: AdminIdentity, enterpriseId: Int64, unionID: String) async throws -> (at: Date, deleteAt: Date?)? {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard let at = try await database.oaToFeishu.oaToFeishuDisabledAt(enterpriseId: enterpriseId, unionID: unionID) else { return nil }
        let days = try await database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId).deleteDisabledAfterDays ?? 0
        return (at, days > 0 ? at.addingTimeInterval(Double(days) * 86_400) : nil)
    }

    /// Undo within the grace window: unfreezes in Feishu a user a run froze, before the delayed delete takes it
    /// (`is_frozen` false, 1 QPS as Feishu allows), and forgets the disable time. Refused (409) while read-only, or when
    /// no run froze the user. While the OA still lists the user as left, the next run freezes them again.
    public func unfreeze(_ admin: AdminIdentity, enterpriseId: Int64, unionID: String) async throws {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard try await database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId).writable else {
            throw YunqiaoError.conflict(field: "writable", message: "the interface permission is read-only: set it to read-write to write to Feishu")
        }
        guard try await database.oaToFeishu.oaToFeishuDisabledAt(enterpriseId: enterpriseId, unionID: unionID) != nil,
              var (user, _) = try await database.mirror.mirrorUser(enterpriseId: enterpriseId, id: unionID)
        else { throw YunqiaoError.conflict(field: nil, message: "user \(unionID) was not disabled by a sync run") }
        guard let openID = user.openID, let app = try await database.integration.apps(enterpriseId: enterpriseId).first else {
            throw YunqiaoError.conflict(field: nil, message: "enterprise \(enterprise.name) has no app to write to Feishu with")
        }
        let client = try await sync.clients.client(enterprise: enterprise, app: app, database: database)
        _ = try await client.patchUser(openID, FeishuClient.UserFields(isFrozen: false))
        try await database.oaToFeishu.releaseOAToFeishuDisabled(tenantId: admin.tenantId, enterpriseId: enterpriseId, unionID: unionID,
                                                                name: user.name, by: admin.actor, at: Date())
        // The mirror knows at once (the next read from Feishu refreshes every field).
        user.status?.isFrozen = false
        var plan = SyncPlan()
        plan.users.updated = [user]
        try await database.mirror.apply(plan, enterpriseId: enterpriseId, at: Date())
    }

    /// The enterprise's sync schedules, both directions (定时设置).
    public func schedules(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> SyncSchedulesView {
        SyncSchedulesView(try await database.schedules.syncSchedules(tenantId: admin.tenantId, enterpriseId: enterpriseId))
    }

    /// Saves one direction's schedule.
    public func setSchedule(_ admin: AdminIdentity, enterpriseId: Int64, direction: SyncDirection, _ schedule: SyncSchedule) async throws
        -> SyncScheduleView
    {
        SyncScheduleView(try await database.schedules.setSyncSchedule(tenantId: admin.tenantId, enterpriseId: enterpriseId, direction: direction,
                                                                      schedule, by: admin.actor, at: Date()))
    }
}

/// A mode-3 run as the admin API answers it: its state, the plan (in the API's English), the report once applied.
public struct OAToFeishuRunView: Codable, Sendable, Equatable {
    public var id: Int64
    public var enterpriseId: Int64
    /// `preview`, `parked`, `applying`, `applied`, `partial`, `discarded` or `failed`.
    public var status: String
    public var createdBy: String
    public var createdAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// Items per action (`users.create` …).
    public var counts: [String: Int]
    /// Why the run waits for approval.
    public var approvalReasons: [String]
    /// The whole plan (left out of lists).
    public var plan: OAToFeishuPlan?
    public var report: OAToFeishuReport?

    public init(_ run: OAToFeishuRunRecord, withPlan: Bool = true) throws {
        let plan = try run.decodedPlan()
        id = run.id ?? 0
        enterpriseId = run.enterpriseId
        status = run.status.rawValue
        createdBy = run.createdBy
        createdAt = run.createdAt
        decidedBy = run.decidedBy
        decidedAt = run.decidedAt
        finishedAt = run.finishedAt
        error = run.error
        counts = plan.counts
        approvalReasons = plan.approvalReasons.map(\.description)
        self.plan = withPlan ? plan : nil
        report = try run.report.map { try JSONDecoder().decode(OAToFeishuReport.self, from: Data($0.utf8)) }
    }
}
