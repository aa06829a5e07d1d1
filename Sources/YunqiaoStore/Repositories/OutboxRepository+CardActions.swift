import Foundation
import GRDB
import YunqiaoCore

// MARK: the worker's side

extension OutboxRepository {
    /// Claims up to `limit` due actions (oldest due first) for `lease`: each is held while the OA is called, with one
    /// more attempt counted; one held by a worker that died is due again when its lease runs out.
    public func claimDueCardActions(limit: Int, now: Date, lease: OutboxLease) async throws -> [CardActionJob] {
        let queue = OutboxQueue.cardActions
        let claimed = try await write { db -> [CardActionRecord] in
            let keys = try String.fetchAll(db, sql: """
                SELECT actionId FROM cardAction WHERE \(queue.dueCondition()) ORDER BY nextAttemptAt, createdAt LIMIT ?
                """, arguments: [now, now, limit])
            try queue.claim(db, keys: keys, lease: lease, now: now)
            return try CardActionRecord.fetchAll(db, keys: keys).sorted { ($0.nextAttemptAt, $0.createdAt) < ($1.nextAttemptAt, $1.createdAt) }
        }
        var jobs: [CardActionJob] = []
        for action in claimed { jobs.append(try await cardActionJob(action)) }
        return jobs
    }

    /// The job of an action (its module's webhook, its message and card).
    public func cardActionJob(_ action: CardActionRecord) async throws -> CardActionJob {
        let (module, delivery, messageRecord, todo) = try await read { db in
            (try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == action.tenantId && OAModuleRecord.Columns.key == action.source).fetchOne(db),
             try DeliveryRecord.fetchOne(db, key: action.deliveryId),
             try Int64.fetchOne(db, sql: "SELECT messageId FROM delivery WHERE id = ?", arguments: [action.deliveryId])
                .flatMap { try MessageRecord.fetchOne(db, key: $0) },
             try TodoRecord.fetchOne(db, key: ["tenantId": action.tenantId, "source": action.source, "todoId": action.todoId]))
        }
        return CardActionJob(action: action, actionURL: module?.actionURL, actionSecret: try module?.sealedActionSecret.map { try secrets.open($0) },
                             moduleName: module?.name, message: try? messageRecord?.message(), appId: delivery?.appId ?? 0,
                             feishuMessageID: delivery?.feishuMessageID, quickApproval: delivery?.quickApproval ?? false,
                             todoState: todo?.todoState)
    }

    /// An attempt failed and another one is due at `next`. False when `lease` no longer holds the action.
    @discardableResult
    public func retryCardAction(_ actionId: String, at next: Date, result: String, lease: OutboxLease, now: Date = Date()) async throws -> Bool {
        try await write { db in try OutboxQueue.cardActions.retry(db, key: actionId, lease: lease, at: next, error: result, now: now) }
    }

    /// The action is over: `done` or `failed`, with the outcome. False when `lease` no longer holds the action.
    @discardableResult
    public func finishCardAction(_ actionId: String, _ state: CardActionState, result: String, lease: OutboxLease,
                                 now: Date = Date()) async throws -> Bool
    {
        try await write { db in
            try OutboxQueue.cardActions.finish(db, key: actionId, lease: lease, now: now, set: "state = ?, result = ?, finishedAt = ?",
                                               [state.rawValue, OutboxQueue.clip(result), now])
        }
    }

    /// Records why a failed action's card could not be set back (nil: it was).
    public func setCardActionCardError(_ actionId: String, _ error: String?, now: Date = Date()) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE cardAction SET cardError = ?, updatedAt = ? WHERE actionId = ?",
                           arguments: [error.map(OutboxQueue.clip), now, actionId])
        }
    }

    /// When the next action is due (nil: none waiting).
    public func nextCardActionDue() async throws -> Date? {
        try await read { db in try OutboxQueue.cardActions.nextDue(db) }
    }
}
