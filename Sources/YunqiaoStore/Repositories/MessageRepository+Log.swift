import Foundation
import GRDB
import YunqiaoCore

// MARK: - The message log (admin API, console, `GET /api/v1/messages/{id}`)

extension MessageRepository {
    /// Messages, newest first.
    public func messageLog(tenantId: Int64, filter: MessageFilter) async throws -> MessagePage {
        try await read { db in
            var request = MessageRecord.filter(MessageRecord.Columns.tenantId == tenantId)
            if let source = filter.source?.nilIfBlank { request = request.filter(MessageRecord.Columns.source == source) }
            if let recipient = filter.recipient?.nilIfBlank {
                request = request.filter(sql: "EXISTS (SELECT 1 FROM delivery d WHERE d.messageId = message.id AND d.oaUserID = ?)",
                                         arguments: [recipient])
            }
            if let state = filter.state {
                request = request.filter(sql: "EXISTS (SELECT 1 FROM delivery d WHERE d.messageId = message.id AND d.state = ?)",
                                         arguments: [state.rawValue])
            }
            if let text = filter.text?.nilIfBlank {
                let pattern = "%\(Self.escapeLike(text))%"
                request = request.filter(MessageRecord.Columns.title.like(pattern, escape: "\\") || MessageRecord.Columns.idempotencyKey.like(pattern, escape: "\\")
                    || MessageRecord.Columns.todoId.like(pattern, escape: "\\"))
            }
            let total = try request.fetchCount(db)
            let messages = try request.order(MessageRecord.Columns.id.desc).limit(max(1, min(filter.limit, 500)), offset: max(0, filter.offset))
                .fetchAll(db)
            let counts = try Self.deliveryCounts(db, messageIds: messages.compactMap(\.id))
            return MessagePage(items: messages.map { MessageSummary(message: $0, counts: counts[$0.id ?? 0] ?? [:]) }, total: total)
        }
    }

    private static func deliveryCounts(_ db: Database, messageIds: [Int64]) throws -> [Int64: [DeliveryState: Int]] {
        guard !messageIds.isEmpty else { return [:] }
        var counts: [Int64: [DeliveryState: Int]] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT messageId, state, count(*) AS n FROM delivery WHERE messageId IN (\(placeholders(messageIds.count))) GROUP BY messageId, state
            """, arguments: StatementArguments(messageIds))
        for row in rows {
            guard let state = DeliveryState(rawValue: row["state"]) else { continue }
            counts[row["messageId"], default: [:]][state] = row["n"]
        }
        return counts
    }

    /// A message of the tenant with every delivery.
    public func messageDetail(tenantId: Int64, id: Int64) async throws -> MessageDetail {
        try await read { db in
            guard let message = try MessageRecord.fetchOne(db, key: id), message.tenantId == tenantId else {
                throw StoreError.notFound("message \(id)")
            }
            let deliveries = try DeliveryRecord.filter(DeliveryRecord.Columns.messageId == id).order(DeliveryRecord.Columns.id).fetchAll(db)
            let todo = try message.todoId.flatMap { todoId in
                try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": message.source, "todoId": todoId])
            }
            let instances = try message.todoId.map { try Self.approvalInstances(db, tenantId: tenantId, source: message.source, todoId: $0) } ?? []
            return MessageDetail(message: message, todo: todo, deliveries: try Self.details(db, tenantId: tenantId, deliveries),
                                 approvalInstances: instances)
        }
    }

    /// One delivery of the tenant with its app, enterprise and card update.
    public func deliveryDetail(tenantId: Int64, id: Int64) async throws -> DeliveryDetail {
        try await read { db in
            guard let delivery = try DeliveryRecord.fetchOne(db, key: id),
                  let message = try MessageRecord.fetchOne(db, key: delivery.messageId), message.tenantId == tenantId,
                  let detail = try Self.details(db, tenantId: tenantId, [delivery]).first
            else { throw StoreError.notFound("delivery \(id)") }
            return detail
        }
    }

    private static func details(_ db: Database, tenantId: Int64, _ deliveries: [DeliveryRecord]) throws -> [DeliveryDetail] {
        var apps: [Int64: (AppRecord, EnterpriseRecord)] = [:]
        var cards: [Int64: CardUpdateRecord] = [:]
        let ids = deliveries.compactMap(\.id)
        for chunk in ids.chunked(500) {
            for card in try CardUpdateRecord.filter(chunk.contains(CardUpdateRecord.Columns.deliveryId)).fetchAll(db) { cards[card.deliveryId] = card }
        }
        return try deliveries.map { delivery in
            let (app, enterprise) = try apps[delivery.appId] ?? Self.app(db, tenantId: tenantId, id: delivery.appId)
            apps[delivery.appId] = (app, enterprise)
            return DeliveryDetail(delivery: delivery, app: app, enterprise: enterprise, cardUpdate: cards[delivery.id ?? 0])
        }
    }

    /// The deliveries of a tenant per state (all messages).
    public func deliveryStateCounts(tenantId: Int64) async throws -> [DeliveryState: Int] {
        try await read { db in
            var counts: [DeliveryState: Int] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.state, count(*) AS n FROM delivery d JOIN message m ON m.id = d.messageId WHERE m.tenantId = ? GROUP BY d.state
                """, arguments: [tenantId])
            for row in rows { if let state = DeliveryState(rawValue: row["state"]) { counts[state] = row["n"] } }
            return counts
        }
    }

    /// When each delivery's message was accepted and when the delivery was recorded sent, by the delivery's `uuid`
    /// (what Feishu holds): the figures of `yunqiao bench push`.
    public func deliveryTimings(tenantId: Int64) async throws -> [String: (acceptedAt: Date, sentAt: Date?)] {
        try await read { db in
            var timings: [String: (acceptedAt: Date, sentAt: Date?)] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.uuid, m.acceptedAt, d.sentAt FROM delivery d JOIN message m ON m.id = d.messageId WHERE m.tenantId = ?
                """, arguments: [tenantId])
            while let row = try rows.next() { timings[row["uuid"]] = (row["acceptedAt"], row["sentAt"]) }
            return timings
        }
    }

    /// Dead letters, the most recently failed first.
    public func deadLetters(tenantId: Int64, limit: Int = 100, offset: Int = 0) async throws -> (items: [DeadLetter], total: Int) {
        try await read { db in
            let base = """
                FROM delivery d JOIN message m ON m.id = d.messageId LEFT JOIN cardUpdate c ON c.deliveryId = d.id
                WHERE m.tenantId = ? AND (d.state = 'dead' OR c.state = 'dead')
                """
            let total = try Int.fetchOne(db, sql: "SELECT count(*) " + base, arguments: [tenantId]) ?? 0
            let deliveries = try DeliveryRecord.fetchAll(db, sql: "SELECT d.* " + base + " ORDER BY max(d.updatedAt, coalesce(c.updatedAt, d.updatedAt)) DESC, d.id DESC LIMIT ? OFFSET ?",
                                                         arguments: [tenantId, max(1, min(limit, 500)), max(0, offset)])
            let messages = try MessageRecord.filter(Set(deliveries.map(\.messageId)).contains(MessageRecord.Columns.id)).fetchAll(db)
            let byId = Dictionary(messages.map { ($0.id ?? 0, $0) }, uniquingKeysWith: { first, _ in first })
            let items = try Self.details(db, tenantId: tenantId, deliveries).compactMap { detail -> DeadLetter? in
                guard let message = byId[detail.delivery.messageId] else { return nil }
                return DeadLetter(message: message, delivery: detail, kind: detail.delivery.deliveryState == .dead ? "delivery" : "cardUpdate")
            }
            return (items, total)
        }
    }

    /// Sends a dead delivery again (back to pending, attempts from 0, the same uuid so a message Feishu did take is not
    /// sent twice), or retries its dead card update; a skipped one is planned again when its recipient is bound now.
    public func resendDelivery(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date = Date()) async throws -> DeliveryRecord {
        try await write { db in
            guard let delivery = try DeliveryRecord.fetchOne(db, key: id),
                  let message = try MessageRecord.fetchOne(db, key: delivery.messageId), message.tenantId == tenantId
            else { throw StoreError.notFound("delivery \(id)") }
            let card = try CardUpdateRecord.filter(CardUpdateRecord.Columns.deliveryId == id).fetchOne(db)
            switch delivery.deliveryState {
            case .dead:
                _ = try OutboxQueue.deliveries.resend(db, where: "id = ?", [id], now: time)
            case .skipped:
                let (app, enterprise) = try Self.app(db, tenantId: tenantId, id: delivery.appId)
                guard let binding = try BindingRecord.fetchOne(db, key: ["enterpriseId": enterprise.id ?? 0, "oaUserID": delivery.oaUserID]) else {
                    throw StoreError.inUse("OA user \(delivery.oaUserID) is still not bound in enterprise \(enterprise.name) (app \(app.name))")
                }
                try db.execute(sql: """
                    UPDATE delivery SET state = 'pending', unionID = ?, attempts = 0, nextAttemptAt = ?, lastError = NULL, leaseOwner = NULL, leaseExpiresAt = NULL,
                        updatedAt = ? WHERE id = ?
                    """, arguments: [binding.unionID, time, time, id])
            case .sent where card?.state == "dead":
                _ = try OutboxQueue.cardUpdates.resend(db, where: "deliveryId = ?", [id], now: time)
            case .pending, .sent:
                throw StoreError.inUse("delivery \(id) is \(delivery.state); only dead or skipped deliveries (or dead card updates) are resent")
            }
            try Self.audit(db, tenantId: tenantId, actor, "delivery.resend", target: "delivery \(id) of message \(message.id ?? 0)",
                           before: ["state": delivery.state, "lastError": delivery.lastError ?? card?.lastError ?? ""], after: ["state": "pending"])
            return try DeliveryRecord.fetchOne(db, key: id) ?? delivery
        }
    }

    /// Every dead letter of the tenant back to pending (deliveries and card updates). Returns how many.
    @discardableResult
    public func resendDeadLetters(tenantId: Int64, by actor: AuditActor, at time: Date = Date()) async throws -> Int {
        try await write { db in
            let count = try OutboxQueue.deliveries.resend(db, where: "messageId IN (SELECT id FROM message WHERE tenantId = ?)", [tenantId],
                                                          now: time)
                + OutboxQueue.cardUpdates.resend(db, where: """
                    deliveryId IN (SELECT d.id FROM delivery d JOIN message m ON m.id = d.messageId WHERE m.tenantId = ?)
                    """, [tenantId], now: time)
            if count > 0 {
                try Self.audit(db, tenantId: tenantId, actor, "delivery.resendAll", target: "dead letters", before: nil, after: ["resent": "\(count)"])
            }
            return count
        }
    }
}

extension Array {
    /// The array in pieces of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
