import Foundation
import GRDB
import YunqiaoCore

/// OA todos in Feishu's Approval Center (issue #18): the modules' setting, the definitions and instances (two queues
/// of the outbox, ``OutboxQueue/approvalDefinitions`` and ``OutboxQueue/approvalInstances``), their tasks, actions taken
/// in the Approval Center, and reconciliation.
public struct ApprovalCenterRepository: StoreRepository {
    let writer: any DatabaseWriter
}

// MARK: setting

extension ApprovalCenterRepository {
    public func setApprovalCenter(tenantId: Int64, moduleId: Int64, _ setting: ApprovalCenterSetting, by actor: AuditActor,
                                  at time: Date = Date()) async throws -> OAModuleRecord
    {
        if let problem = setting.validate().first { throw StoreError.invalid(field: problem.field, message: problem.message) }
        return try await write { db in
            var module = try Self.oaModule(db, tenantId: tenantId, id: moduleId)
            let before = module
            module.todoChannel = setting.channel.rawValue
            module.approvalPCURL = setting.pcURL
            module.approvalMobileURL = setting.mobileURL
            guard module != before else { return module }
            module.updatedAt = time
            try module.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "oaModule.approvalCenter", target: module.auditTarget,
                           before: before.approvalCenterAuditView, after: module.approvalCenterAuditView)
            if setting.channel.usesApprovalCenter {
                for appId in try Self.todoApps(db, tenantId: tenantId, source: module.key) {
                    try Self.planApprovalDefinition(db, tenantId: tenantId, appId: appId, source: module.key, at: time)
                }
            }
            try Self.requeueApprovalDefinitions(db, tenantId: tenantId, source: module.key, at: time)
            return module
        }
    }

    public func approvalDefinitions(tenantId: Int64, source: String) async throws -> [ApprovalDefinitionDetail] {
        try await read { db in
            try ApprovalDefinitionRecord.filter(Column("tenantId") == tenantId && Column("source") == source).order(Column("appId")).fetchAll(db)
                .compactMap { definition in
                    try AppRecord.fetchOne(db, key: definition.appId).map { ApprovalDefinitionDetail(definition: definition, app: $0) }
                }
        }
    }

    /// The apps the todos of module `source` are routed to: todo targets of enabled rules of that module or of every module.
    static func todoApps(_ db: Database, tenantId: Int64, source: String) throws -> [Int64] {
        try Int64.fetchAll(db, sql: """
            SELECT DISTINCT t.appId FROM pushTarget t JOIN pushRule r ON r.id = t.pushRuleId
            WHERE r.tenantId = ? AND r.enabled AND (r.source = ? OR r.source = ?) AND t.type = 'todo' ORDER BY t.appId
            """, arguments: [tenantId, source, PushRules.allSources])
    }
}

// MARK: planning, inside the transactions of accepting a message and changing a todo

extension StoreRepository {
    /// The module's definition in the app, due now when it is new.
    static func planApprovalDefinition(_ db: Database, tenantId: Int64, appId: Int64, source: String, at time: Date) throws {
        try db.execute(sql: """
            INSERT INTO approvalDefinition (tenantId, appId, source, state, attempts, nextAttemptAt, createdAt, updatedAt)
            VALUES (?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT(appId, source) DO NOTHING
            """, arguments: [tenantId, appId, source, time, time, time])
    }

    /// Every definition of a module due again (its setting or name changed): pushed again when the worker finds it changed.
    static func requeueApprovalDefinitions(_ db: Database, tenantId: Int64, source: String, at time: Date) throws {
        try db.execute(sql: """
            UPDATE approvalDefinition SET state = 'pending', attempts = 0, nextAttemptAt = ?, lastError = NULL, updatedAt = ?
            WHERE tenantId = ? AND source = ?
            """, arguments: [time, time, tenantId, source])
    }

    /// A todo message reached a todo target of a module using the Approval Center: the (app, todo) instance is made or
    /// brought to this message, each bound recipient gets a task, and the instance is due with a newer change time.
    static func planApprovalInstance(_ db: Database, tenantId: Int64, appId: Int64, source: String, todoId: String, messageId: Int64,
                                     approvers: [(oaUserID: String, unionID: String, userID: String?)], quickApproval: Bool,
                                     at time: Date) throws
    {
        try planApprovalDefinition(db, tenantId: tenantId, appId: appId, source: source, at: time)
        let instanceId = ApprovalInstanceRecord.feishuInstanceID(source: source, todoId: todoId)
        let milliseconds = Self.milliseconds(time)
        try db.execute(sql: """
            INSERT INTO approvalInstance (tenantId, appId, source, todoId, instanceId, messageId, changeTime, state, attempts, nextAttemptAt,
                                          createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
            ON CONFLICT(appId, instanceId) DO UPDATE SET messageId = excluded.messageId,
                changeTime = max(approvalInstance.changeTime + 1, excluded.changeTime), state = 'pending', attempts = 0,
                nextAttemptAt = excluded.nextAttemptAt, lastError = NULL, updatedAt = excluded.updatedAt
            """, arguments: [tenantId, appId, source, todoId, instanceId, messageId, milliseconds, time, time, time])
        guard let rowId = try Int64.fetchOne(db, sql: "SELECT id FROM approvalInstance WHERE appId = ? AND instanceId = ?",
                                             arguments: [appId, instanceId])
        else { return }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO approvalTask (instanceRowId, oaUserID, unionID, userID, quickApproval, createdAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(instanceRowId, oaUserID) DO UPDATE SET unionID = excluded.unionID, userID = coalesce(excluded.userID, approvalTask.userID),
                quickApproval = excluded.quickApproval
            """)
        for approver in approvers {
            try insert.execute(arguments: [rowId, approver.oaUserID, approver.unionID, approver.userID, quickApproval, time])
        }
    }

    /// The todo changed state: each of its instances is due with a newer change time. Answers how many.
    @discardableResult
    static func touchApprovalInstances(_ db: Database, tenantId: Int64, source: String, todoId: String, at time: Date) throws -> Int {
        try db.execute(sql: """
            UPDATE approvalInstance SET changeTime = max(changeTime + 1, ?), state = 'pending', attempts = 0, nextAttemptAt = ?, lastError = NULL,
                updatedAt = ?
            WHERE tenantId = ? AND source = ? AND todoId = ?
            """, arguments: [Self.milliseconds(time), time, time, tenantId, source, todoId])
        return db.changesCount
    }

    /// The instances of a todo (one per app) with their tasks and apps.
    static func approvalInstances(_ db: Database, tenantId: Int64, source: String, todoId: String) throws -> [ApprovalInstanceDetail] {
        try ApprovalInstanceRecord.filter(Column("tenantId") == tenantId && Column("source") == source && Column("todoId") == todoId)
            .order(Column("appId")).fetchAll(db).compactMap { instance in
                guard let app = try AppRecord.fetchOne(db, key: instance.appId) else { return nil }
                let tasks = try ApprovalTaskRecord.filter(Column("instanceRowId") == instance.id).order(Column("oaUserID")).fetchAll(db)
                return ApprovalInstanceDetail(instance: instance, tasks: tasks, app: app)
            }
    }

    static func milliseconds(_ time: Date) -> Int64 { Int64((time.timeIntervalSince1970 * 1000).rounded(.down)) }
}

// MARK: display

extension ApprovalCenterRepository {
    public func approvalInstances(tenantId: Int64, source: String, todoId: String) async throws -> [ApprovalInstanceDetail] {
        try await read { db in try Self.approvalInstances(db, tenantId: tenantId, source: source, todoId: todoId) }
    }

    public func recordApprovalCheck(tenantId: Int64, _ report: ApprovalCheckReport) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        try await write { db in try TenantSettingRecord(tenantId: tenantId, key: Self.checkKey, value: text, updatedAt: Date()).upsert(db) }
    }

    public func lastApprovalCheck(tenantId: Int64) async throws -> ApprovalCheckReport? {
        try await read { db in
            try Self.tenantSetting(db, tenantId: tenantId, Self.checkKey).flatMap { try? JSONDecoder().decode(ApprovalCheckReport.self, from: Data($0.utf8)) }
        }
    }

    static var checkKey: String { "approvalCenterCheck" }
}

extension OAModuleRecord {
    var approvalCenterAuditView: [String: String] {
        ["todoChannel": todoChannel, "approvalPCURL": approvalPCURL ?? "-", "approvalMobileURL": approvalMobileURL ?? "-"]
    }
}

extension ApprovalCenterRepository: ApprovalCenterStore {}
