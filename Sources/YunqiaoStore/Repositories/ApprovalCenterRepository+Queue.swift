import Foundation
import GRDB
import YunqiaoCore

// MARK: the worker's side: definitions and instances, two queues of the outbox

extension ApprovalCenterRepository {
    public func claimDueApprovalDefinitions(limit: Int, now: Date, lease: OutboxLease) async throws -> [ApprovalDefinitionJob] {
        let queue = OutboxQueue.approvalDefinitions
        return try await write { db in
            let keys = try Int64.fetchAll(db, sql: """
                SELECT id FROM approvalDefinition WHERE \(queue.dueCondition()) ORDER BY nextAttemptAt, id LIMIT ?
                """, arguments: [now, now, limit])
            try queue.claim(db, keys: keys, lease: lease, now: now)
            return try ApprovalDefinitionRecord.fetchAll(db, keys: keys).compactMap { definition in
                guard let module = try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == definition.tenantId
                    && OAModuleRecord.Columns.key == definition.source).fetchOne(db),
                    let (app, enterprise) = try? Self.app(db, tenantId: definition.tenantId, id: definition.appId)
                else {
                    // The module or the app is gone: nothing to define.
                    try queue.dead(db, key: definition.id ?? 0, lease: lease, error: "the module or the app no longer exists", now: now)
                    return nil
                }
                return ApprovalDefinitionJob(definition: definition, module: module, app: app, enterprise: enterprise,
                                             externalDomain: try Self.externalDomain(db, tenantId: definition.tenantId))
            }
        }
    }

    @discardableResult
    public func finishApprovalDefinition(_ id: Int64, _ outcome: ApprovalPushOutcome, lease: OutboxLease, at time: Date = Date()) async throws
        -> Bool
    {
        let queue = OutboxQueue.approvalDefinitions
        return try await write { db in
            switch outcome {
            case .synced(let code, let digest):
                let done = try queue.finish(db, key: id, lease: lease, now: time,
                                            set: "state = 'synced', approvalCode = coalesce(?, approvalCode), digest = ?, attempts = 0, lastError = NULL",
                                            [code, digest])
                // Its instances waited for the code.
                if done { try db.execute(sql: """
                    UPDATE approvalInstance SET nextAttemptAt = ? WHERE state = 'pending' AND (appId, source) IN
                        (SELECT appId, source FROM approvalDefinition WHERE id = ?)
                    """, arguments: [time, id]) }
                return done
            case .retry(let next, let error): return try queue.retry(db, key: id, lease: lease, at: next, error: error, now: time)
            case .dead(let error): return try queue.dead(db, key: id, lease: lease, error: error, now: time)
            case .released: return try queue.release(db, key: id, lease: lease, now: time)
            }
        }
    }

    public func refreshApprovalDefinition(_ id: Int64, digest: String, at time: Date = Date()) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE approvalDefinition SET state = 'pending', attempts = 0, nextAttemptAt = ?, updatedAt = ?
                WHERE id = ? AND state = 'synced' AND (digest IS NULL OR digest <> ?)
                """, arguments: [time, time, id, digest])
            return db.changesCount > 0
        }
    }

    public func claimDueApprovalInstances(limit: Int, now: Date, lease: OutboxLease) async throws -> [ApprovalInstanceJob] {
        let queue = OutboxQueue.approvalInstances
        return try await write { db in
            let keys = try Int64.fetchAll(db, sql: """
                SELECT i.id FROM approvalInstance i JOIN approvalDefinition d ON d.appId = i.appId AND d.source = i.source
                WHERE \(queue.dueCondition("i")) AND d.approvalCode IS NOT NULL ORDER BY i.nextAttemptAt, i.id LIMIT ?
                """, arguments: [now, now, limit])
            try queue.claim(db, keys: keys, lease: lease, now: now)
            return try Self.jobs(db, ApprovalInstanceRecord.fetchAll(db, keys: keys).sorted { ($0.nextAttemptAt, $0.id ?? 0) < ($1.nextAttemptAt, $1.id ?? 0) })
        }
    }

    /// Each instance with what its push is made of, now.
    static func jobs(_ db: Database, _ instances: [ApprovalInstanceRecord]) throws -> [ApprovalInstanceJob] {
        try instances.compactMap { instance in
            guard let code = try String.fetchOne(db, sql: "SELECT approvalCode FROM approvalDefinition WHERE appId = ? AND source = ?",
                                                 arguments: [instance.appId, instance.source]),
                let (app, enterprise) = try? Self.app(db, tenantId: instance.tenantId, id: instance.appId)
            else { return nil }
            let module = try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == instance.tenantId && OAModuleRecord.Columns.key == instance.source)
                .fetchOne(db)
            return ApprovalInstanceJob(
                instance: instance, approvalCode: code, module: module,
                message: try MessageRecord.fetchOne(db, key: instance.messageId).flatMap { try? $0.message() },
                todo: try TodoRecord.fetchOne(db, key: ["tenantId": instance.tenantId, "source": instance.source, "todoId": instance.todoId]),
                tasks: try ApprovalTaskRecord.filter(Column("instanceRowId") == instance.id).order(Column("id")).fetchAll(db),
                app: app, enterprise: enterprise)
        }
    }

    @discardableResult
    public func finishApprovalInstance(_ id: Int64, changeTime: Int64, status: String, _ outcome: ApprovalPushOutcome, lease: OutboxLease,
                                       at time: Date = Date()) async throws -> Bool
    {
        let queue = OutboxQueue.approvalInstances
        return try await write { db in
            switch outcome {
            case .synced:
                // Changed while on its way: still pending, due now, for the newer change.
                return try queue.finish(db, key: id, lease: lease, now: time, set: """
                    state = CASE WHEN changeTime = ? THEN 'synced' ELSE 'pending' END, syncedTime = ?, feishuStatus = ?, attempts = 0,
                    nextAttemptAt = ?, lastError = NULL
                    """, [changeTime, changeTime, status, time])
            case .retry(let next, let error): return try queue.retry(db, key: id, lease: lease, at: next, error: error, now: time)
            case .dead(let error): return try queue.dead(db, key: id, lease: lease, error: error, now: time)
            case .released: return try queue.release(db, key: id, lease: lease, now: time)
            }
        }
    }

    public func setApprovalTaskUser(_ taskId: Int64, userID: String?, openID: String?) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE approvalTask SET userID = coalesce(?, userID), openID = coalesce(?, openID) WHERE id = ?",
                           arguments: [userID, openID, taskId])
        }
    }

    public func nextApprovalDue() async throws -> Date? {
        try await read { db in
            [try OutboxQueue.approvalDefinitions.nextDue(db), try OutboxQueue.approvalInstances.nextDue(db)].compactMap { $0 }.min()
        }
    }

    public func touchApprovalInstances(tenantId: Int64, source: String, todoId: String, at time: Date = Date()) async throws -> Int {
        try await write { db in try Self.touchApprovalInstances(db, tenantId: tenantId, source: source, todoId: todoId, at: time) }
    }

    public func resendApprovalDeadLetters(tenantId: Int64, by actor: AuditActor, at time: Date = Date()) async throws -> Int {
        try await write { db in
            let count = try OutboxQueue.approvalDefinitions.resend(db, where: "tenantId = ?", [tenantId], now: time)
                + OutboxQueue.approvalInstances.resend(db, where: "tenantId = ?", [tenantId], now: time)
            if count > 0 {
                try Self.audit(db, tenantId: tenantId, actor, "approvalCenter.resendAll", target: "dead letters", before: nil,
                               after: ["resent": "\(count)"])
            }
            return count
        }
    }
}

// MARK: reconciliation

extension ApprovalCenterRepository {
    public func approvalApps() async throws -> [(tenantId: Int64, appId: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT DISTINCT tenantId, appId FROM approvalInstance WHERE syncedTime IS NOT NULL ORDER BY tenantId, appId")
                .map { (tenantId: $0["tenantId"], appId: $0["appId"]) }
        }
    }

    public func syncedApprovalInstances(appId: Int64, afterId: Int64, limit: Int) async throws -> [ApprovalInstanceJob] {
        try await read { db in
            try Self.jobs(db, ApprovalInstanceRecord.filter(Column("appId") == appId && Column("id") > afterId && Column("syncedTime") != nil)
                .order(Column("id")).limit(limit).fetchAll(db))
        }
    }

    public func requeueApprovalInstances(appId: Int64, instanceIds: [String], at time: Date = Date()) async throws -> Int {
        guard !instanceIds.isEmpty else { return 0 }
        return try await write { db in
            var count = 0
            for chunk in instanceIds.chunked(500) {
                try db.execute(sql: """
                    UPDATE approvalInstance SET state = 'pending', attempts = 0, nextAttemptAt = ?, updatedAt = ?
                    WHERE appId = ? AND instanceId IN (\(Self.placeholders(chunk.count)))
                    """, arguments: Self.arguments(time, [time]) + Self.arguments(appId, chunk))
                count += db.changesCount
            }
            return count
        }
    }
}
