import Foundation
import GRDB
import YunqiaoCore

/// Feishu's contact events: the inbox (a queue of the outbox, `feishuEvent`), the newest event time of each mirror entry
/// (`mirrorEventTime`) and the parked scope removals (`scopeRemoval`).
public struct DirectoryEventRepository: StoreRepository, DirectoryEventStore {
    let writer: any DatabaseWriter
    static let queue = OutboxQueue.directoryEvents

    public func receive(_ event: ReceivedDirectoryEvent, at time: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO feishuEvent (tenantId, enterpriseId, appId, eventID, eventType, createTime, payload, channel,
                    state, attempts, nextAttemptAt, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """, arguments: [event.tenantId, event.enterpriseId, event.appId, event.eventID, event.eventType, event.createTime,
                                 event.payload, event.channel, time, time, time])
            return db.changesCount > 0
        }
    }

    public func claimDue(limit: Int, now: Date, lease: OutboxLease) async throws -> [DirectoryEventRecord] {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM feishuEvent WHERE \(Self.queue.dueCondition()) ORDER BY createTime, id LIMIT ?
                """, arguments: [now, now, limit])
            try Self.queue.claim(db, keys: rows.map { $0["id"] as Int64 }, lease: lease, now: now)
            return rows.map(Self.record)
        }
    }

    static func record(_ row: Row) -> DirectoryEventRecord {
        DirectoryEventRecord(
            id: row["id"],
            event: ReceivedDirectoryEvent(tenantId: row["tenantId"], enterpriseId: row["enterpriseId"], appId: row["appId"], eventID: row["eventID"],
                                          eventType: row["eventType"], createTime: row["createTime"], payload: row["payload"],
                                          channel: row["channel"]),
            attempts: row["attempts"], receivedAt: row["createdAt"])
    }

    public func apply(_ change: DirectoryEventChange, eventId: Int64, lease: OutboxLease, now: Date) async throws -> DirectoryEventOutcome? {
        try await write { db in
            guard let enterpriseId = try Int64.fetchOne(db, sql: "SELECT enterpriseId FROM feishuEvent WHERE id = ? AND leaseOwner = ?",
                                                        arguments: [eventId, lease.owner])
            else { return nil }
            // What the mirror holds is as new as the newest event applied to the entry, or the start of the last full read.
            let fullRead = try Date.fetchOne(db, sql: """
                SELECT max(startedAt) FROM syncRun WHERE enterpriseId = ? AND kind = 'feishu' AND status = 'succeeded'
                """, arguments: [enterpriseId])
            let floor = fullRead.map { Int64($0.timeIntervalSince1970 * 1000) } ?? Int64.min
            let known = try db.cachedStatement(sql: "SELECT eventTime FROM mirrorEventTime WHERE enterpriseId = ? AND kind = ? AND key = ?")
            let mark = try db.cachedStatement(sql: """
                INSERT INTO mirrorEventTime (enterpriseId, kind, key, eventTime) VALUES (?, ?, ?, ?)
                ON CONFLICT(enterpriseId, kind, key) DO UPDATE SET eventTime = excluded.eventTime
                """)
            var outcome = DirectoryEventOutcome()
            func fresh(_ kind: String, _ key: String) throws -> Bool {
                let newest = max(floor, try Int64.fetchOne(known, arguments: [enterpriseId, kind, key]) ?? Int64.min)
                guard change.time >= newest else {
                    outcome.stale += 1
                    return false
                }
                try mark.execute(arguments: [enterpriseId, kind, key, change.time])
                outcome.applied += 1
                return true
            }
            var plan = SyncPlan()
            plan.departments.updated = try change.departments.filter { try fresh("department", $0.openDepartmentID) }
            for user in change.users where try fresh("user", user.unionID) {
                let exists = try Bool.fetchOne(db, sql: "SELECT deletedAt IS NULL FROM feishuUser WHERE enterpriseId = ? AND unionID = ?",
                                               arguments: [enterpriseId, user.unionID]) ?? false
                if exists { plan.users.updated.append(user) } else { plan.users.created.append(user) }
            }
            plan.departments.deleted = try change.deletedDepartments.filter { try fresh("department", $0) }
            plan.users.deleted = try change.deletedUsers.filter { try fresh("user", $0) }
            try MirrorRepository.write(plan, enterpriseId: enterpriseId, at: now, in: db)
            outcome.createdUsers = plan.users.created.count
            for removal in change.scopeRemovals {
                try db.execute(sql: """
                    INSERT INTO scopeRemoval (enterpriseId, kind, key, name, createdAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(enterpriseId, kind, key) DO UPDATE SET name = excluded.name, createdAt = excluded.createdAt,
                        decision = NULL, decidedBy = NULL, decidedAt = NULL
                    """, arguments: [enterpriseId, removal.kind.rawValue, removal.key, removal.name, now])
                outcome.parked += 1
            }
            let text = "applied \(outcome.applied), stale \(outcome.stale), parked \(outcome.parked)"
            try Self.queue.finish(db, key: eventId, lease: lease, now: now, set: "state = 'done', outcome = ?", [text])
            return outcome
        }
    }

    @discardableResult
    public func retry(eventId: Int64, at next: Date, error: String, lease: OutboxLease, now: Date) async throws -> Bool {
        try await write { db in try Self.queue.retry(db, key: eventId, lease: lease, at: next, error: error, now: now) }
    }

    @discardableResult
    public func fail(eventId: Int64, error: String, lease: OutboxLease, now: Date) async throws -> Bool {
        try await write { db in try Self.queue.dead(db, key: eventId, lease: lease, error: error, now: now) }
    }

    public func renew(lease: OutboxLease, now: Date) async throws -> Int {
        try await write { db in try Self.queue.renew(db, lease: lease, now: now) }
    }

    public func nextDue() async throws -> Date? {
        try await read { db in try Self.queue.nextDue(db) }
    }

    public func purge(receivedBefore time: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM feishuEvent WHERE state = 'done' AND createdAt < ?", arguments: [time])
            return db.changesCount
        }
    }

    public func channelSummary(appId: Int64) async throws -> EventChannelSummary {
        try await read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS received, sum(state = 'pending') AS pending, sum(state = 'failed') AS failed, max(createdAt) AS last
                FROM feishuEvent WHERE appId = ?
                """, arguments: [appId])
            let channel = try String.fetchOne(db, sql: "SELECT channel FROM feishuEvent WHERE appId = ? ORDER BY id DESC LIMIT 1", arguments: [appId])
            return EventChannelSummary(received: row?["received"] ?? 0, pending: row?["pending"] ?? 0, failed: row?["failed"] ?? 0,
                                       lastReceivedAt: row?["last"], lastChannel: channel)
        }
    }

    public func eventChannel(appId: Int64) async throws -> String {
        try await read { db in try String.fetchOne(db, sql: "SELECT channel FROM appEventChannel WHERE appId = ?", arguments: [appId]) ?? "http" }
    }

    public func setEventChannel(appId: Int64, _ channel: String, at time: Date) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO appEventChannel (appId, channel, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT(appId) DO UPDATE SET channel = excluded.channel, updatedAt = excluded.updatedAt
                """, arguments: [appId, channel, time])
        }
    }

    public func longConnectionApps() async throws -> [(app: AppRecord, enterprise: EnterpriseRecord)] {
        try await read { db in
            let apps = try AppRecord.fetchAll(db, sql: """
                SELECT app.* FROM app JOIN appEventChannel c ON c.appId = app.id WHERE c.channel = 'websocket' ORDER BY app.id
                """)
            return try apps.compactMap { app in try EnterpriseRecord.fetchOne(db, key: app.enterpriseId).map { (app, $0) } }
        }
    }

    public func scopeRemovals(enterpriseId: Int64, pendingOnly: Bool) async throws -> [ScopeRemovalRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM scopeRemoval WHERE enterpriseId = ? \(pendingOnly ? "AND decision IS NULL" : "") ORDER BY createdAt DESC, id DESC
                """, arguments: [enterpriseId]).map(Self.removal)
        }
    }

    static func removal(_ row: Row) -> ScopeRemovalRecord {
        ScopeRemovalRecord(id: row["id"], enterpriseId: row["enterpriseId"], kind: ScopeRemoval.Kind(rawValue: row["kind"]) ?? .user,
                           key: row["key"], name: row["name"], createdAt: row["createdAt"], decision: row["decision"],
                           decidedBy: row["decidedBy"], decidedAt: row["decidedAt"])
    }

    public func decideScopeRemovals(enterpriseId: Int64, ids: [Int64], remove: Bool, by actor: String, at time: Date) async throws
        -> [ScopeRemovalRecord]
    {
        guard !ids.isEmpty else { return [] }
        return try await write { db in
            var arguments: StatementArguments = [enterpriseId]
            arguments += StatementArguments(ids)
            let pending = try Row.fetchAll(db, sql: """
                SELECT * FROM scopeRemoval WHERE enterpriseId = ? AND decision IS NULL AND id IN (\(OutboxQueue.placeholders(ids.count)))
                """, arguments: arguments).map(Self.removal)
            var plan = SyncPlan()
            for removal in pending {
                try db.execute(sql: "UPDATE scopeRemoval SET decision = ?, decidedBy = ?, decidedAt = ? WHERE id = ?",
                               arguments: [remove ? "remove" : "keep", actor, time, removal.id])
                guard remove else { continue }
                switch removal.kind {
                case .user: plan.users.deleted.append(removal.key)
                case .department: plan.departments.deleted.append(removal.key)
                }
            }
            try MirrorRepository.write(plan, enterpriseId: enterpriseId, at: time, in: db)
            return try pending.map { removal in
                try Row.fetchOne(db, sql: "SELECT * FROM scopeRemoval WHERE id = ?", arguments: [removal.id]).map(Self.removal) ?? removal
            }
        }
    }
}
