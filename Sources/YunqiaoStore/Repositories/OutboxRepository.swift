import Foundation
import GRDB
import YunqiaoCore

/// The workers' side of the outbox: claiming due deliveries, card updates and card actions under a lease, and
/// recording how they went.
public struct OutboxRepository: StoreRepository {
    let writer: any DatabaseWriter
    let secrets: SecretBox
}

// The delivery worker's side of the outbox: deliveries and card updates (``OutboxQueue``).

extension OutboxRepository {
    /// Holds a delivery's card for a PATCH outside the card-update queue (a failed quick approval puts the pending style
    /// back), for `lease`. False — leave the card alone — when the todo is final or its card update is queued or on its
    /// way. While held, a card update queued meanwhile (`changeTodo`) waits: ``releaseCard(deliveryId:lease:)`` lets it
    /// go after the PATCH, so the final style always lands last; a hold whose worker died runs out with its lease.
    public func holdCard(deliveryId: Int64, lease: OutboxLease, at time: Date = Date()) async throws -> Bool {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT t.state AS todoState FROM delivery d JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE d.id = ?
                """, arguments: [deliveryId])
            else { return false }
            if let state = (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)), state.isFinal { return false }
            let expiry = lease.expiry(from: time)
            if let update = try Row.fetchOne(db, sql: "SELECT state, leaseExpiresAt FROM cardUpdate WHERE deliveryId = ?", arguments: [deliveryId]) {
                let held = (update["leaseExpiresAt"] as Date?).map { $0 > time } ?? false
                guard !held, update["state"] as String? != "pending" else { return false }
                try db.execute(sql: "UPDATE cardUpdate SET leaseOwner = ?, leaseExpiresAt = ? WHERE deliveryId = ?",
                               arguments: [lease.owner, expiry, deliveryId])
            } else {
                try db.execute(sql: """
                    INSERT INTO cardUpdate (deliveryId, state, attempts, nextAttemptAt, leaseOwner, leaseExpiresAt, createdAt, updatedAt)
                    VALUES (?, 'held', 0, ?, ?, ?, ?, ?)
                    """, arguments: [deliveryId, time, lease.owner, expiry, time, time])
            }
            return true
        }
    }

    /// Ends ``holdCard(deliveryId:lease:at:)``: a card update queued meanwhile is due now.
    public func releaseCard(deliveryId: Int64, lease: OutboxLease) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM cardUpdate WHERE deliveryId = ? AND state = 'held'", arguments: [deliveryId])
            try db.execute(sql: "UPDATE cardUpdate SET leaseOwner = NULL, leaseExpiresAt = NULL WHERE deliveryId = ? AND leaseOwner = ?",
                           arguments: [deliveryId, lease.owner])
        }
    }

    /// Claims up to `limit` due pending deliveries for `lease`, oldest due first: at most `perApp` of one app, none of
    /// the apps in `excludingApps` (the worker has enough of theirs queued) — a backlog of one app must not hold up the
    /// others.
    public func claimDueDeliveries(limit: Int, perApp: Int = .max, now: Date, lease: OutboxLease, excludingApps: Set<Int64> = [])
        async throws -> [DeliveryJob]
    {
        let queue = OutboxQueue.deliveries
        let excluded = Self.excluding(excludingApps, column: "appId")
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                WITH due AS (
                    SELECT id, nextAttemptAt, ROW_NUMBER() OVER (PARTITION BY appId ORDER BY nextAttemptAt, id) AS rank
                    FROM delivery WHERE \(queue.dueCondition()) \(excluded))
                SELECT d.id, d.messageId, m.tenantId, d.appId, d.oaUserID, d.type, d.quickApproval, d.uuid, d.unionID, d.attempts,
                       t.state AS todoState
                FROM due JOIN delivery d ON d.id = due.id JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE due.rank <= ?
                ORDER BY due.nextAttemptAt, due.id LIMIT ?
                """, arguments: [now, now, perApp, limit])
            let jobs = rows.map { row in
                DeliveryJob(id: row["id"], messageId: row["messageId"], tenantId: row["tenantId"], appId: row["appId"],
                            oaUserID: row["oaUserID"], type: PushMessageType(rawValue: row["type"]) ?? .text, quickApproval: row["quickApproval"],
                            uuid: row["uuid"], unionID: row["unionID"], attempts: row["attempts"],
                            todoState: (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)))
            }
            try queue.claim(db, keys: jobs.map(\.id), lease: lease, now: now)
            return jobs
        }
    }

    /// Records how attempts ended, in one transaction; an outcome for a delivery `lease` no longer holds is dropped. A
    /// todo card sent in a state its todo has since left gets a card update queued (the todo changed while the card was
    /// on its way).
    public func finishDeliveries(_ outcomes: [(id: Int64, outcome: DeliveryOutcome)], lease: OutboxLease, at time: Date) async throws {
        guard !outcomes.isEmpty else { return }
        let queue = OutboxQueue.deliveries
        try await write { db in
            for (id, outcome) in outcomes {
                switch outcome {
                case .sent(let messageID, let rendered, let note):
                    let recorded = try queue.finish(db, key: id, lease: lease, now: time,
                                                    set: "state = 'sent', feishuMessageID = ?, renderedState = ?, note = ?, sentAt = ?",
                                                    [messageID, rendered?.rawValue, note, time])
                    guard let rendered, recorded else { continue }
                    let current = try String.fetchOne(db, sql: """
                        SELECT t.state FROM delivery d JOIN message m ON m.id = d.messageId
                        JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId WHERE d.id = ?
                        """, arguments: [id]).flatMap(TodoState.init(rawValue:))
                    if let current, current.isFinal, current != rendered { try Self.queueCardUpdate(db, deliveryId: id, at: time) }
                case .retry(let next, let error): try queue.retry(db, key: id, lease: lease, at: next, error: error, now: time)
                case .dead(let error): try queue.dead(db, key: id, lease: lease, error: error, now: time)
                case .released: try queue.release(db, key: id, lease: lease, now: time)
                }
            }
        }
    }

    /// The messages of the given ids (for rendering), by id.
    public func pushMessages(ids: [Int64]) async throws -> [Int64: MessageRecord] {
        guard !ids.isEmpty else { return [:] }
        return try await read { db in
            var found: [Int64: MessageRecord] = [:]
            for chunk in ids.chunked(500) {
                for record in try MessageRecord.filter(chunk.contains(MessageRecord.Columns.id)).fetchAll(db) { found[record.id ?? 0] = record }
            }
            return found
        }
    }

    /// When the next pending delivery or card update is due (nil: nothing pending).
    public func nextPushDue() async throws -> Date? {
        try await read { db in [try OutboxQueue.deliveries.nextDue(db), try OutboxQueue.cardUpdates.nextDue(db)].compactMap { $0 }.min() }
    }

    /// Claims up to `min(limit, perApp)` due card updates for `lease`, oldest due first, none of `excludingApps`.
    public func claimDueCardUpdates(limit: Int, perApp: Int = .max, now: Date, lease: OutboxLease, excludingApps: Set<Int64> = [])
        async throws -> [CardUpdateJob]
    {
        let queue = OutboxQueue.cardUpdates
        let excluded = Self.excluding(excludingApps, column: "d.appId")
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.deliveryId, d.messageId, m.tenantId, d.appId, d.unionID, d.uuid, d.feishuMessageID, d.quickApproval, d.sentAt,
                       c.attempts, t.state AS todoState
                FROM cardUpdate c JOIN delivery d ON d.id = c.deliveryId JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE \(queue.dueCondition("c")) \(excluded)
                ORDER BY c.nextAttemptAt, c.id LIMIT ?
                """, arguments: [now, now, min(limit, perApp)])
            let jobs = rows.map { row in
                CardUpdateJob(id: row["id"], deliveryId: row["deliveryId"], messageId: row["messageId"], tenantId: row["tenantId"],
                              appId: row["appId"], unionID: row["unionID"], deliveryUUID: row["uuid"], feishuMessageID: row["feishuMessageID"],
                              quickApproval: row["quickApproval"], sentAt: row["sentAt"], attempts: row["attempts"],
                              todoState: (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)) ?? .pending)
            }
            try queue.claim(db, keys: jobs.map(\.id), lease: lease, now: now)
            return jobs
        }
    }

    /// SQL: `AND <column> NOT IN (…)` for the apps the worker has enough of (ids are integers: nothing to escape).
    private static func excluding(_ apps: Set<Int64>, column: String) -> String {
        apps.isEmpty ? "" : "AND \(column) NOT IN (\(apps.sorted().map(String.init).joined(separator: ", ")))"
    }

    /// Records how card updates ended, in one transaction; an outcome for one `lease` no longer holds is dropped.
    public func finishCardUpdates(_ outcomes: [(id: Int64, outcome: CardUpdateOutcome)], lease: OutboxLease, at time: Date) async throws {
        guard !outcomes.isEmpty else { return }
        let queue = OutboxQueue.cardUpdates
        try await write { db in
            for (id, outcome) in outcomes {
                switch outcome {
                case .done(let mode, let notice):
                    try queue.finish(db, key: id, lease: lease, now: time, set: "state = 'done', mode = ?, noticeMessageID = ?", [mode, notice])
                case .retry(let next, let error): try queue.retry(db, key: id, lease: lease, at: next, error: error, now: time)
                case .dead(let error): try queue.dead(db, key: id, lease: lease, error: error, now: time)
                case .released: try queue.release(db, key: id, lease: lease, now: time)
                }
            }
        }
    }
}

extension OutboxRepository {
    /// Extends every outbox lease `lease.owner` holds (the workers' heartbeat); answers how many.
    @discardableResult
    public func renewOutboxLeases(_ lease: OutboxLease, now: Date = Date()) async throws -> Int {
        try await write { db in try OutboxQueue.all.reduce(0) { $0 + (try $1.renew(db, lease: lease, now: now)) } }
    }
}

extension OutboxRepository: OutboxStore {}
