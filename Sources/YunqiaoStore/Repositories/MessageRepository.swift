import Foundation
import GRDB
import YunqiaoCore

/// Pushed messages: accepting and planning them, todos and their state, the message log and dead letters.
public struct MessageRepository: StoreRepository {
    let writer: any DatabaseWriter
}

// MARK: accept

// MARK: todos

/// Message push (issue #7, `docs/design/message-push.md`): accept → plan → deliver → report, every step a row.
///
/// - Accepting a message writes the message, its planned deliveries (rules matched, bindings resolved) and its todo in
///   one transaction; a repeated `(source, idempotencyKey)` answers the first answer and writes nothing.
/// - The delivery worker claims due deliveries (and card updates), and records each outcome in its own transaction.
///   A claim lives only as long as the worker that made it: ``releasePushClaims()`` at start gives back what a crashed
///   or killed process held, and the delivery's fixed `uuid` makes Feishu answer a repeated send with the first message.
extension MessageRepository {
    /// Accepts a message of the OA: checked (``PushMessage/validate()``, a registered `source`, known active recipients —
    /// a problem names its field), then the message, one delivery per (matched app, recipient) and the todo are written
    /// in one transaction.
    public func acceptMessage(tenantId: Int64, _ message: PushMessage, by actor: String, at time: Date = Date()) async throws
        -> AcceptedMessage
    {
        if let problem = message.validate().first { throw StoreError.invalid(field: problem.field, message: problem.message) }
        let payload = try Self.encode(message)
        return try await write { db in
            if let first = try MessageRecord.filter(MessageRecord.Columns.tenantId == tenantId && MessageRecord.Columns.source == message.source
                && MessageRecord.Columns.idempotencyKey == message.idempotencyKey).fetchOne(db)
            {
                return AcceptedMessage(id: first.id ?? 0, planned: first.planned, skipped: first.skipped, repeated: true)
            }
            guard try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId && OAModuleRecord.Columns.key == message.source).fetchCount(db) > 0 else {
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
        // The recipients' bindings (union id, user id) per enterprise.
        var unionIDs: [Int64: [String: String]] = [:]
        var userIDs: [Int64: [String: String]] = [:]
        for enterpriseId in Set(targets.map(\.enterpriseID)) {
            var bound: [String: String] = [:]
            for chunk in message.recipients.chunked(500) {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT oaUserID, unionID, userID FROM binding WHERE enterpriseId = ? AND oaUserID IN (\(placeholders(chunk.count)))
                    """, arguments: Self.arguments(enterpriseId, chunk))
                for row in rows {
                    bound[row["oaUserID"]] = row["unionID"]
                    if let userID: String = row["userID"] { userIDs[enterpriseId, default: [:]][row["oaUserID"]] = userID }
                }
            }
            unionIDs[enterpriseId] = bound
        }
        // Where the module's todos go: cards, the Approval Center, or both.
        let channel = try message.todo == nil ? TodoChannel.card
            : OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId && OAModuleRecord.Columns.key == message.source)
                .fetchOne(db)?.approvalCenter.channel ?? .card
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
            if target.type == .todo, let todo = message.todo, channel.usesApprovalCenter {
                let approvers = message.recipients.compactMap { recipient in
                    unionIDs[target.enterpriseID]?[recipient].map { (oaUserID: recipient, unionID: $0, userID: userIDs[target.enterpriseID]?[recipient]) }
                }
                try Self.planApprovalInstance(db, tenantId: tenantId, appId: target.appID, source: message.source, todoId: todo.id,
                                              messageId: messageId, approvers: approvers, quickApproval: quickApproval, at: time)
                if !channel.sendsCard { continue }
            }
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

    // MARK: test send

    /// A sample message to one OA user through one target of a rule, planned like an accepted message (`source` is the
    /// rule's module, or `yunqiao.test` for a rule of every module). Returns the message and its one delivery.
    public func planTestMessage(tenantId: Int64, ruleId: Int64, targetId: Int64, oaUserID: String, by actor: AuditActor,
                                at time: Date = Date()) async throws -> (message: MessageRecord, deliveryId: Int64)
    {
        let link = try await read { db in try Self.externalDomain(db, tenantId: tenantId) }.map { $0 + "/console" } ?? "https://www.feishu.cn"
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
        // `by` as the document's pattern and maxLength read it: code points of the value as sent, no control character.
        guard actor.unicodeScalars.count <= PushMessage.maxKeyLength else {
            throw StoreError.invalid(field: "by", message: "at most \(PushMessage.maxKeyLength) characters")
        }
        guard !actor.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw StoreError.invalid(field: "by", message: "must not contain control characters")
        }
        let actor = actor.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !actor.isEmpty else { throw StoreError.invalid(field: "by", message: "required: who handled the todo") }
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
            try Self.touchApprovalInstances(db, tenantId: tenantId, source: source, todoId: todoId, at: now)
            return TodoChange(todo: todo, changed: true, cardUpdates: deliveries.count)
        }
    }

    /// The todo of a tenant, or nil.
    public func todo(tenantId: Int64, source: String, todoId: String) async throws -> TodoRecord? {
        try await read { db in try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": source, "todoId": todoId]) }
    }
}

extension StoreRepository {
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

    static func queueCardUpdate(_ db: Database, deliveryId: Int64, at time: Date) throws {
        try db.execute(sql: """
            INSERT INTO cardUpdate (deliveryId, state, attempts, nextAttemptAt, createdAt, updatedAt) VALUES (?, 'pending', 0, ?, ?, ?)
            ON CONFLICT(deliveryId) DO UPDATE SET state = 'pending', mode = NULL, attempts = 0, nextAttemptAt = excluded.nextAttemptAt,
                lastError = NULL, updatedAt = excluded.updatedAt
            """, arguments: [deliveryId, time, time, time])
    }
}

extension MessageRepository: MessageStore {}
