import Foundation
import GRDB
import YunqiaoCore

/// Message push (issue #7, `docs/design/message-push.md`): accept → plan → deliver → report, every step a row.
///
/// - Accepting a message writes the message, its planned deliveries (rules matched, bindings resolved) and its todo in
///   one transaction; a repeated `(source, idempotencyKey)` answers the first answer and writes nothing.
/// - The delivery worker claims due deliveries (and card updates), and records each outcome in its own transaction.
///   A claim lives only as long as the worker that made it: ``releasePushClaims()`` at start gives back what a crashed
///   or killed process held, and the delivery's fixed `uuid` makes Feishu answer a repeated send with the first message.
extension YunqiaoDatabase {
    // MARK: accept

    /// What accepting a message did (the `POST /api/v1/messages` answer).
    public struct AcceptedMessage: Sendable, Equatable {
        public var id: Int64
        /// Deliveries waiting to be sent.
        public var planned: Int
        /// Deliveries recorded as skipped (the recipient is not bound in the app's enterprise).
        public var skipped: Int
        /// The `(source, idempotencyKey)` was accepted before: this is the first answer, nothing was written.
        public var repeated: Bool
    }

    /// Accepts a message of the OA: checked (``PushMessage/validate()``, a registered `source`, known active recipients —
    /// a problem names its field), then the message, one delivery per (matched app, recipient) and the todo are written
    /// in one transaction.
    public func acceptMessage(tenantId: Int64, _ message: PushMessage, by actor: String, at time: Date = Date()) async throws
        -> AcceptedMessage
    {
        if let problem = message.validate().first { throw StoreError.invalid(field: problem.field, message: problem.message) }
        let payload = try Self.encode(message)
        return try await write { db in
            if let first = try MessageRecord.filter(Column("tenantId") == tenantId && Column("source") == message.source
                && Column("idempotencyKey") == message.idempotencyKey).fetchOne(db)
            {
                return AcceptedMessage(id: first.id ?? 0, planned: first.planned, skipped: first.skipped, repeated: true)
            }
            guard try OAModuleRecord.filter(Column("tenantId") == tenantId && Column("key") == message.source).fetchCount(db) > 0 else {
                throw StoreError.invalid(field: "source", message: "no OA module \(message.source) is registered")
            }
            try Self.checkRecipients(db, tenantId: tenantId, message.recipients)
            let targets = PushRules.match(source: message.source, rules: try Self.enabledRules(db, tenantId: tenantId))
            let (record, _) = try Self.plan(db, tenantId: tenantId, message, payload: payload, targets: targets, by: actor, at: time)
            return AcceptedMessage(id: record.id ?? 0, planned: record.planned, skipped: record.skipped, repeated: false)
        }
    }

    /// Every recipient must be a known, active OA user of the tenant.
    private static func checkRecipients(_ db: Database, tenantId: Int64, _ recipients: [String]) throws {
        var status: [String: String] = [:]
        for chunk in recipients.chunked(500) {
            let rows = try Row.fetchAll(db, sql: "SELECT oaID, status FROM oaUser WHERE tenantId = ? AND oaID IN (\(placeholders(chunk.count)))",
                                        arguments: Self.arguments(tenantId, chunk))
            for row in rows { status[row["oaID"]] = row["status"] }
        }
        for (index, recipient) in recipients.enumerated() {
            switch status[recipient] {
            case nil: throw StoreError.invalid(field: "recipients[\(index)]", message: "no OA user \(recipient)")
            case "active": continue
            default: throw StoreError.invalid(field: "recipients[\(index)]", message: "OA user \(recipient) has left")
            }
        }
    }

    /// Writes the message, one delivery per target × recipient (skipped when not bound) and the todo.
    private static func plan(_ db: Database, tenantId: Int64, _ message: PushMessage, payload: String, targets: [PushTarget], by actor: String,
                             at time: Date) throws -> (MessageRecord, [Int64])
    {
        // The recipients' union ids per enterprise.
        var unionIDs: [Int64: [String: String]] = [:]
        for enterpriseId in Set(targets.map(\.enterpriseID)) {
            var bound: [String: String] = [:]
            for chunk in message.recipients.chunked(500) {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT oaUserID, unionID FROM binding WHERE enterpriseId = ? AND oaUserID IN (\(placeholders(chunk.count)))
                    """, arguments: Self.arguments(enterpriseId, chunk))
                for row in rows { bound[row["oaUserID"]] = row["unionID"] }
            }
            unionIDs[enterpriseId] = bound
        }
        var planned = 0
        var skipped = 0
        for target in targets {
            for recipient in message.recipients {
                if unionIDs[target.enterpriseID]?[recipient] == nil { skipped += 1 } else { planned += 1 }
            }
        }
        var record = MessageRecord(id: nil, tenantId: tenantId, source: message.source, idempotencyKey: message.idempotencyKey,
                                   title: message.title, todoId: message.todo?.id, payload: payload, planned: planned, skipped: skipped,
                                   acceptedBy: actor, acceptedAt: time)
        try record.insert(db)
        let messageId = record.id ?? 0
        let insert = try db.cachedStatement(sql: """
            INSERT INTO delivery (messageId, appId, oaUserID, type, quickApproval, state, uuid, unionID, attempts, nextAttemptAt, lastError,
                                  createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
            """)
        var ids: [Int64] = []
        var sequence = 0
        for target in targets {
            let quickApproval = target.type == .todo && target.quickApproval
            for recipient in message.recipients {
                let unionID = unionIDs[target.enterpriseID]?[recipient]
                try insert.execute(arguments: [messageId, target.appID, recipient, target.type.rawValue, quickApproval,
                                               (unionID == nil ? DeliveryState.skipped : .pending).rawValue,
                                               deliveryUUID(messageId: messageId, sequence: sequence), unionID, time,
                                               unionID == nil ? "not bound" : nil, time, time])
                ids.append(db.lastInsertedRowID)
                sequence += 1
            }
        }
        if let todo = message.todo {
            try db.execute(sql: """
                INSERT OR IGNORE INTO todo (tenantId, source, todoId, state, createdAt, updatedAt) VALUES (?, ?, ?, 'pending', ?, ?)
                """, arguments: [tenantId, message.source, todo.id, time, time])
        }
        return (record, ids)
    }

    /// `yq<message>-<n>-<random>`: unique for good (the random part keeps a recreated database from reusing a uuid Feishu
    /// still remembers), at most 50 characters.
    static func deliveryUUID(messageId: Int64, sequence: Int) -> String {
        let random = String(UInt64.random(in: 0..<(1 << 48)), radix: 16)
        return "yq\(messageId)-\(sequence)-" + String(repeating: "0", count: 12 - random.count) + random
    }

    static func encode(_ message: PushMessage) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(message), as: UTF8.self)
    }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// `first` followed by `rest`, as statement arguments.
    static func arguments(_ first: some DatabaseValueConvertible, _ rest: some Sequence<some DatabaseValueConvertible>) -> StatementArguments {
        var values: [(any DatabaseValueConvertible)?] = [first]
        for value in rest { values.append(value) }
        return StatementArguments(values)
    }

    // MARK: test send

    /// A sample message to one OA user through one target of a rule, planned like an accepted message (`source` is the
    /// rule's module, or `yunqiao.test` for a rule of every module). Returns the message and its one delivery.
    public func planTestMessage(tenantId: Int64, ruleId: Int64, targetId: Int64, oaUserID: String, by actor: AuditActor,
                                at time: Date = Date()) async throws -> (message: MessageRecord, deliveryId: Int64)
    {
        let link = try await externalDomain(tenantId: tenantId).map { $0 + "/console" } ?? "https://www.feishu.cn"
        return try await write { db in
            let rule = try Self.pushRule(db, tenantId: tenantId, id: ruleId)
            guard let target = try PushTargetRecord.fetchOne(db, key: targetId), target.pushRuleId == ruleId else {
                throw StoreError.notFound("target \(targetId) of push rule \(ruleId)")
            }
            let (app, enterprise) = try Self.app(db, tenantId: tenantId, id: target.appId)
            let user = oaUserID.trimmingCharacters(in: .whitespaces)
            guard !user.isEmpty else { throw StoreError.invalid(field: "oaUserID", message: "required") }
            guard let oaUser = try OAUserRecord.fetchOne(db, key: ["tenantId": tenantId, "oaID": user]), oaUser.status == "active" else {
                throw StoreError.invalid(field: "oaUserID", message: "no active OA user \(user)")
            }
            guard try BindingRecord.fetchOne(db, key: ["enterpriseId": enterprise.id ?? 0, "oaUserID": user]) != nil else {
                throw StoreError.invalid(field: "oaUserID", message: "OA user \(user) is not bound in enterprise \(enterprise.name)")
            }
            let type = target.messageType
            let random = String(UInt64.random(in: 0..<(1 << 48)), radix: 16)
            let message = PushMessage(
                source: rule.source == PushRules.allSources ? "yunqiao.test" : rule.source, idempotencyKey: "test-\(random)",
                recipients: [user], title: "云桥测试消息 · \(rule.name)",
                body: "这是推送规则 **\(rule.name)** 的测试消息。\n- 应用：\(app.name)\n- 类型：\(type.rawValue)",
                fields: [PushMessage.Field(label: "接收人", value: oaUser.name), PushMessage.Field(label: "发送人", value: actor.name)],
                links: PushMessage.Links(pc: link, mobile: link),
                todo: type == .todo ? PushMessage.Todo(id: "test-\(random)", actions: target.quickApproval ? ["approve", "reject"] : []) : nil)
            let pushTarget = PushTarget(id: targetId, enterpriseID: target.enterpriseId, appID: target.appId, type: type,
                                        quickApproval: target.quickApproval)
            let (record, ids) = try Self.plan(db, tenantId: tenantId, message, payload: try Self.encode(message), targets: [pushTarget],
                                              by: actor.name, at: time)
            try Self.audit(db, tenantId: tenantId, actor, "pushRule.testSend", target: rule.auditTarget, before: nil,
                           after: ["target": "\(enterprise.name) / \(app.name): \(type.rawValue)", "oaUserID": user,
                                   "message": "\(record.id ?? 0)"])
            return (record, ids.first ?? 0)
        }
    }

    // MARK: todos

    /// What ``changeTodo(tenantId:source:todoId:state:by:at:)`` did.
    public struct TodoChange: Sendable, Equatable {
        public var todo: TodoRecord
        /// False when the todo already had this state (a repeated call): nothing was written.
        public var changed: Bool
        /// Card updates queued: one per sent todo card of the todo.
        public var cardUpdates: Int
    }

    /// Why a todo cannot change.
    public enum TodoChangeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// No message of this tenant and source carried the todo.
        case notFound(source: String, todoId: String)
        /// The todo was handled already, to another final state: a final state is final.
        case alreadyFinal(TodoRecord)

        public var description: String {
            switch self {
            case .notFound(let source, let todoId): "no todo \(todoId) of source \(source)"
            case .alreadyFinal(let todo):
                "todo \(todo.todoId) is already \(todo.state)" + (todo.actor.map { " (by \($0))" } ?? "") + "; a final state is final"
            }
        }
    }

    /// Moves a todo to a final state (`done`, `approved`, `rejected`, `cancelled`) and queues, in the same transaction,
    /// one card update per sent todo card of it. The same state again changes nothing (`changed == false`); another
    /// final state is refused (``TodoChangeError/alreadyFinal(_:)``). Call ``PushDelivery/wake()`` afterwards.
    ///
    /// Used by `PATCH /api/v1/todos/{id}` and by the quick-approval worker once the OA accepted an action.
    public func changeTodo(tenantId: Int64, source: String, todoId: String, state: TodoState, by actor: String, at time: Date) async throws
        -> TodoChange
    {
        guard state.isFinal else {
            throw StoreError.invalid(field: "state", message: "must be done, approved, rejected or cancelled")
        }
        let actor = actor.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !actor.isEmpty else { throw StoreError.invalid(field: "by", message: "required: who handled the todo") }
        guard actor.count <= PushMessage.maxKeyLength else {
            throw StoreError.invalid(field: "by", message: "at most \(PushMessage.maxKeyLength) characters")
        }
        return try await write { db in
            guard var todo = try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": source, "todoId": todoId]) else {
                throw TodoChangeError.notFound(source: source, todoId: todoId)
            }
            if todo.todoState.isFinal {
                guard todo.state == state.rawValue else { throw TodoChangeError.alreadyFinal(todo) }
                return TodoChange(todo: todo, changed: false, cardUpdates: 0)
            }
            let now = Date()
            todo.state = state.rawValue
            todo.actor = actor
            todo.at = time
            todo.updatedAt = now
            try todo.update(db)
            let deliveries = try Int64.fetchAll(db, sql: """
                SELECT d.id FROM delivery d JOIN message m ON m.id = d.messageId
                WHERE m.tenantId = ? AND m.source = ? AND m.todoId = ? AND d.type = 'todo' AND d.state = 'sent'
                """, arguments: [tenantId, source, todoId])
            for id in deliveries { try Self.queueCardUpdate(db, deliveryId: id, at: now) }
            return TodoChange(todo: todo, changed: true, cardUpdates: deliveries.count)
        }
    }

    /// The todo of a tenant, or nil.
    public func todo(tenantId: Int64, source: String, todoId: String) async throws -> TodoRecord? {
        try await read { db in try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": source, "todoId": todoId]) }
    }

    private static func queueCardUpdate(_ db: Database, deliveryId: Int64, at time: Date) throws {
        try db.execute(sql: """
            INSERT INTO cardUpdate (deliveryId, state, attempts, nextAttemptAt, createdAt, updatedAt) VALUES (?, 'pending', 0, ?, ?, ?)
            ON CONFLICT(deliveryId) DO UPDATE SET state = 'pending', mode = NULL, attempts = 0, nextAttemptAt = excluded.nextAttemptAt,
                lastError = NULL, updatedAt = excluded.updatedAt
            """, arguments: [deliveryId, time, time, time])
    }
}

// MARK: - The delivery worker's side

extension YunqiaoDatabase {
    /// A due delivery, claimed for sending.
    public struct DeliveryJob: Sendable, Equatable {
        public var id: Int64
        public var messageId: Int64
        public var tenantId: Int64
        public var appId: Int64
        public var oaUserID: String
        public var type: PushMessageType
        public var quickApproval: Bool
        public var uuid: String
        public var unionID: String?
        /// Attempts made before this one.
        public var attempts: Int
        /// The todo's state when claimed, for a message with a todo.
        public var todoState: TodoState?
    }

    /// How a delivery attempt ended.
    public enum DeliveryOutcome: Sendable, Equatable {
        /// Feishu took it (also a repeat answered with the first message).
        case sent(feishuMessageID: String, renderedState: TodoState?, note: String?)
        /// Failed for now: one more attempt used, the next one at `at`.
        case retry(at: Date, error: String)
        /// Failed for good: one more attempt used, a dead letter now.
        case dead(error: String)
        /// Not attempted (the worker stops): back to the queue as it was.
        case released
    }

    /// Gives back every claim (at the worker's start: whatever a stopped or killed process held is due again).
    @discardableResult
    public func releasePushClaims() async throws -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE delivery SET claimedAt = NULL WHERE claimedAt IS NOT NULL")
            var released = db.changesCount
            try db.execute(sql: "DELETE FROM cardUpdate WHERE state = 'held'")
            try db.execute(sql: "UPDATE cardUpdate SET claimedAt = NULL WHERE claimedAt IS NOT NULL")
            released += db.changesCount
            return released
        }
    }

    /// Holds a delivery's card for a PATCH outside the card-update queue (a failed quick approval puts the pending style
    /// back). False — leave the card alone — when the todo is final or its card update is queued or on its way. While
    /// held, a card update queued meanwhile (`changeTodo`) waits: ``releaseCard(deliveryId:)`` lets it go after the
    /// PATCH, so the final style always lands last.
    public func holdCard(deliveryId: Int64, at time: Date = Date()) async throws -> Bool {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT t.state AS todoState FROM delivery d JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE d.id = ?
                """, arguments: [deliveryId])
            else { return false }
            if let state = (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)), state.isFinal { return false }
            if let update = try Row.fetchOne(db, sql: "SELECT state, claimedAt FROM cardUpdate WHERE deliveryId = ?", arguments: [deliveryId]) {
                guard update["claimedAt"] as Date? == nil, update["state"] as String? != "pending" else { return false }
                try db.execute(sql: "UPDATE cardUpdate SET claimedAt = ? WHERE deliveryId = ?", arguments: [time, deliveryId])
            } else {
                try db.execute(sql: """
                    INSERT INTO cardUpdate (deliveryId, state, attempts, nextAttemptAt, claimedAt, createdAt, updatedAt)
                    VALUES (?, 'held', 0, ?, ?, ?, ?)
                    """, arguments: [deliveryId, time, time, time, time])
            }
            return true
        }
    }

    /// Ends ``holdCard(deliveryId:)``: a card update queued meanwhile is due now.
    public func releaseCard(deliveryId: Int64) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM cardUpdate WHERE deliveryId = ? AND state = 'held'", arguments: [deliveryId])
            try db.execute(sql: "UPDATE cardUpdate SET claimedAt = NULL WHERE deliveryId = ?", arguments: [deliveryId])
        }
    }

    /// Claims up to `limit` due pending deliveries, oldest due first: at most `perApp` of one app, none of the apps in
    /// `excludingApps` (the worker has enough of theirs queued) — a backlog of one app must not hold up the others.
    public func claimDueDeliveries(limit: Int, perApp: Int = .max, now: Date, excludingApps: Set<Int64> = []) async throws
        -> [DeliveryJob]
    {
        let excluded = excludingApps.isEmpty ? "" : "AND appId NOT IN (\(excludingApps.sorted().map(String.init).joined(separator: ", ")))"
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                WITH due AS (
                    SELECT id, nextAttemptAt, ROW_NUMBER() OVER (PARTITION BY appId ORDER BY nextAttemptAt, id) AS rank
                    FROM delivery WHERE state = 'pending' AND claimedAt IS NULL AND nextAttemptAt <= ? \(excluded))
                SELECT d.id, d.messageId, m.tenantId, d.appId, d.oaUserID, d.type, d.quickApproval, d.uuid, d.unionID, d.attempts,
                       t.state AS todoState
                FROM due JOIN delivery d ON d.id = due.id JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE due.rank <= ?
                ORDER BY due.nextAttemptAt, due.id LIMIT ?
                """, arguments: [now, perApp, limit])
            guard !rows.isEmpty else { return [] }
            let jobs = rows.map { row in
                DeliveryJob(id: row["id"], messageId: row["messageId"], tenantId: row["tenantId"], appId: row["appId"],
                            oaUserID: row["oaUserID"], type: PushMessageType(rawValue: row["type"]) ?? .text, quickApproval: row["quickApproval"],
                            uuid: row["uuid"], unionID: row["unionID"], attempts: row["attempts"],
                            todoState: (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)))
            }
            try db.execute(sql: "UPDATE delivery SET claimedAt = ? WHERE id IN (\(Self.placeholders(jobs.count)))",
                           arguments: Self.arguments(now, jobs.map(\.id)))
            return jobs
        }
    }

    /// Records how attempts ended, in one transaction. A todo card sent in a state its todo has since left gets a card
    /// update queued (the todo changed while the card was on its way).
    public func finishDeliveries(_ outcomes: [(id: Int64, outcome: DeliveryOutcome)], at time: Date) async throws {
        guard !outcomes.isEmpty else { return }
        try await write { db in
            for (id, outcome) in outcomes {
                switch outcome {
                case .sent(let messageID, let rendered, let note):
                    try db.execute(sql: """
                        UPDATE delivery SET state = 'sent', feishuMessageID = ?, renderedState = ?, note = ?, sentAt = ?, claimedAt = NULL,
                            updatedAt = ? WHERE id = ?
                        """, arguments: [messageID, rendered?.rawValue, note, time, time, id])
                    guard let rendered, db.changesCount > 0 else { continue }
                    let current = try String.fetchOne(db, sql: """
                        SELECT t.state FROM delivery d JOIN message m ON m.id = d.messageId
                        JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId WHERE d.id = ?
                        """, arguments: [id]).flatMap(TodoState.init(rawValue:))
                    if let current, current.isFinal, current != rendered { try Self.queueCardUpdate(db, deliveryId: id, at: time) }
                case .retry(let next, let error):
                    try db.execute(sql: """
                        UPDATE delivery SET attempts = attempts + 1, nextAttemptAt = ?, lastError = ?, claimedAt = NULL, updatedAt = ?
                        WHERE id = ?
                        """, arguments: [next, Self.clip(error), time, id])
                case .dead(let error):
                    try db.execute(sql: """
                        UPDATE delivery SET state = 'dead', attempts = attempts + 1, lastError = ?, claimedAt = NULL, updatedAt = ? WHERE id = ?
                        """, arguments: [Self.clip(error), time, id])
                case .released:
                    try db.execute(sql: "UPDATE delivery SET claimedAt = NULL WHERE id = ?", arguments: [id])
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
                for record in try MessageRecord.filter(chunk.contains(Column("id"))).fetchAll(db) { found[record.id ?? 0] = record }
            }
            return found
        }
    }

    /// When the next pending delivery or card update is due (nil: nothing pending).
    public func nextPushDue() async throws -> Date? {
        try await read { db in
            let deliveries = try Date.fetchOne(db, sql: "SELECT min(nextAttemptAt) FROM delivery WHERE state = 'pending' AND claimedAt IS NULL")
            let cards = try Date.fetchOne(db, sql: "SELECT min(nextAttemptAt) FROM cardUpdate WHERE state = 'pending' AND claimedAt IS NULL")
            return [deliveries, cards].compactMap { $0 }.min()
        }
    }

    /// A due card update, claimed.
    public struct CardUpdateJob: Sendable, Equatable {
        public var id: Int64
        public var deliveryId: Int64
        public var messageId: Int64
        public var tenantId: Int64
        public var appId: Int64
        public var unionID: String?
        public var deliveryUUID: String
        public var feishuMessageID: String?
        public var quickApproval: Bool
        public var sentAt: Date?
        public var attempts: Int
        /// The todo's state now: the style the card gets.
        public var todoState: TodoState
    }

    public enum CardUpdateOutcome: Sendable, Equatable {
        /// Done by a PATCH of the card (`patch`) or by a "handled" text (`notice`, with its message id).
        case done(mode: String, noticeMessageID: String?)
        case retry(at: Date, error: String)
        case dead(error: String)
        case released
    }

    public func claimDueCardUpdates(limit: Int, perApp: Int = .max, now: Date, excludingApps: Set<Int64> = []) async throws
        -> [CardUpdateJob]
    {
        let excluded = excludingApps.isEmpty ? "" : "AND d.appId NOT IN (\(excludingApps.sorted().map(String.init).joined(separator: ", ")))"
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.deliveryId, d.messageId, m.tenantId, d.appId, d.unionID, d.uuid, d.feishuMessageID, d.quickApproval, d.sentAt,
                       c.attempts, t.state AS todoState
                FROM cardUpdate c JOIN delivery d ON d.id = c.deliveryId JOIN message m ON m.id = d.messageId
                LEFT JOIN todo t ON t.tenantId = m.tenantId AND t.source = m.source AND t.todoId = m.todoId
                WHERE c.state = 'pending' AND c.claimedAt IS NULL AND c.nextAttemptAt <= ? \(excluded)
                ORDER BY c.nextAttemptAt, c.id LIMIT ?
                """, arguments: [now, min(limit, perApp)])
            guard !rows.isEmpty else { return [] }
            let jobs = rows.map { row in
                CardUpdateJob(id: row["id"], deliveryId: row["deliveryId"], messageId: row["messageId"], tenantId: row["tenantId"],
                              appId: row["appId"], unionID: row["unionID"], deliveryUUID: row["uuid"], feishuMessageID: row["feishuMessageID"],
                              quickApproval: row["quickApproval"], sentAt: row["sentAt"], attempts: row["attempts"],
                              todoState: (row["todoState"] as String?).flatMap(TodoState.init(rawValue:)) ?? .pending)
            }
            try db.execute(sql: "UPDATE cardUpdate SET claimedAt = ? WHERE id IN (\(Self.placeholders(jobs.count)))",
                           arguments: Self.arguments(now, jobs.map(\.id)))
            return jobs
        }
    }

    public func finishCardUpdates(_ outcomes: [(id: Int64, outcome: CardUpdateOutcome)], at time: Date) async throws {
        guard !outcomes.isEmpty else { return }
        try await write { db in
            for (id, outcome) in outcomes {
                switch outcome {
                case .done(let mode, let notice):
                    try db.execute(sql: """
                        UPDATE cardUpdate SET state = 'done', mode = ?, noticeMessageID = ?, claimedAt = NULL, updatedAt = ? WHERE id = ?
                        """, arguments: [mode, notice, time, id])
                case .retry(let next, let error):
                    try db.execute(sql: """
                        UPDATE cardUpdate SET attempts = attempts + 1, nextAttemptAt = ?, lastError = ?, claimedAt = NULL, updatedAt = ?
                        WHERE id = ?
                        """, arguments: [next, Self.clip(error), time, id])
                case .dead(let error):
                    try db.execute(sql: """
                        UPDATE cardUpdate SET state = 'dead', attempts = attempts + 1, lastError = ?, claimedAt = NULL, updatedAt = ?
                        WHERE id = ?
                        """, arguments: [Self.clip(error), time, id])
                case .released:
                    try db.execute(sql: "UPDATE cardUpdate SET claimedAt = NULL WHERE id = ?", arguments: [id])
                }
            }
        }
    }

    static func clip(_ text: String) -> String { text.count <= 1000 ? text : String(text.prefix(1000)) + "…" }
}

// MARK: - The message log (admin API, console, `GET /api/v1/messages/{id}`)

extension YunqiaoDatabase {
    public struct MessageFilter: Sendable, Equatable {
        public var source: String?
        /// An OA user id some delivery of the message is for.
        public var recipient: String?
        /// Messages with at least one delivery in this state.
        public var state: DeliveryState?
        /// Text in the title, idempotency key or todo id.
        public var text: String?
        public var limit: Int
        public var offset: Int

        public init(source: String? = nil, recipient: String? = nil, state: DeliveryState? = nil, text: String? = nil, limit: Int = 50,
                    offset: Int = 0)
        {
            self.source = source
            self.recipient = recipient
            self.state = state
            self.text = text
            self.limit = limit
            self.offset = offset
        }
    }

    public struct MessageSummary: Sendable, Equatable {
        public var message: MessageRecord
        /// Deliveries per state.
        public var counts: [DeliveryState: Int]
    }

    public struct MessagePage: Sendable, Equatable {
        public var items: [MessageSummary]
        public var total: Int
    }

    /// One delivery with its app, enterprise and card update, for display.
    public struct DeliveryDetail: Sendable, Equatable {
        public var delivery: DeliveryRecord
        public var app: AppRecord
        public var enterprise: EnterpriseRecord
        public var cardUpdate: CardUpdateRecord?
    }

    public struct MessageDetail: Sendable, Equatable {
        public var message: MessageRecord
        public var todo: TodoRecord?
        public var deliveries: [DeliveryDetail]
    }

    /// Messages, newest first.
    public func messageLog(tenantId: Int64, filter: MessageFilter) async throws -> MessagePage {
        try await read { db in
            var request = MessageRecord.filter(Column("tenantId") == tenantId)
            if let source = filter.source?.nilIfBlank { request = request.filter(Column("source") == source) }
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
                request = request.filter(Column("title").like(pattern, escape: "\\") || Column("idempotencyKey").like(pattern, escape: "\\")
                    || Column("todoId").like(pattern, escape: "\\"))
            }
            let total = try request.fetchCount(db)
            let messages = try request.order(Column("id").desc).limit(max(1, min(filter.limit, 500)), offset: max(0, filter.offset))
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
            let deliveries = try DeliveryRecord.filter(Column("messageId") == id).order(Column("id")).fetchAll(db)
            let todo = try message.todoId.flatMap { todoId in
                try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": message.source, "todoId": todoId])
            }
            return MessageDetail(message: message, todo: todo, deliveries: try Self.details(db, tenantId: tenantId, deliveries))
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
            for card in try CardUpdateRecord.filter(chunk.contains(Column("deliveryId"))).fetchAll(db) { cards[card.deliveryId] = card }
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

    /// A dead letter: a delivery that is dead, or a sent one whose card update is dead.
    public struct DeadLetter: Sendable, Equatable {
        public var message: MessageRecord
        public var delivery: DeliveryDetail
        /// `delivery` or `cardUpdate`: what failed.
        public var kind: String
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
            let messages = try MessageRecord.filter(Set(deliveries.map(\.messageId)).contains(Column("id"))).fetchAll(db)
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
            let card = try CardUpdateRecord.filter(Column("deliveryId") == id).fetchOne(db)
            switch delivery.deliveryState {
            case .dead:
                try db.execute(sql: """
                    UPDATE delivery SET state = 'pending', attempts = 0, nextAttemptAt = ?, claimedAt = NULL, updatedAt = ? WHERE id = ?
                    """, arguments: [time, time, id])
            case .skipped:
                let (app, enterprise) = try Self.app(db, tenantId: tenantId, id: delivery.appId)
                guard let binding = try BindingRecord.fetchOne(db, key: ["enterpriseId": enterprise.id ?? 0, "oaUserID": delivery.oaUserID]) else {
                    throw StoreError.inUse("OA user \(delivery.oaUserID) is still not bound in enterprise \(enterprise.name) (app \(app.name))")
                }
                try db.execute(sql: """
                    UPDATE delivery SET state = 'pending', unionID = ?, attempts = 0, nextAttemptAt = ?, lastError = NULL, claimedAt = NULL,
                        updatedAt = ? WHERE id = ?
                    """, arguments: [binding.unionID, time, time, id])
            case .sent where card?.state == "dead":
                try db.execute(sql: """
                    UPDATE cardUpdate SET state = 'pending', attempts = 0, nextAttemptAt = ?, claimedAt = NULL, updatedAt = ? WHERE deliveryId = ?
                    """, arguments: [time, time, id])
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
            try db.execute(sql: """
                UPDATE delivery SET state = 'pending', attempts = 0, nextAttemptAt = ?, claimedAt = NULL, updatedAt = ?
                WHERE state = 'dead' AND messageId IN (SELECT id FROM message WHERE tenantId = ?)
                """, arguments: [time, time, tenantId])
            var count = db.changesCount
            try db.execute(sql: """
                UPDATE cardUpdate SET state = 'pending', attempts = 0, nextAttemptAt = ?, claimedAt = NULL, updatedAt = ?
                WHERE state = 'dead' AND deliveryId IN (SELECT d.id FROM delivery d JOIN message m ON m.id = d.messageId WHERE m.tenantId = ?)
                """, arguments: [time, time, tenantId])
            count += db.changesCount
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
