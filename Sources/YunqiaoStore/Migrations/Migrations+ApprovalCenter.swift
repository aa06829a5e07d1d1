import GRDB

extension Migrations {
    /// v16: OA todos in Feishu's Approval Center (issue #18): the modules' setting, the definitions and instances (two
    /// queues of the outbox), the approvers' tasks; quick-approval actions may come from the Approval Center, where
    /// there may be no card (the action table is rebuilt: its delivery becomes optional).
    static func approvalCenter(_ db: Database) throws {
        try db.alter(table: "oaModule") { t in
            t.add(column: "todoChannel", .text).notNull().defaults(to: "card")
            t.add(column: "approvalPCURL", .text)
            t.add(column: "approvalMobileURL", .text)
        }
        try db.create(table: "approvalDefinition") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("tenant", onDelete: .cascade).notNull()
            t.belongsTo("app", onDelete: .cascade).notNull()
            t.column("source", .text).notNull()
            t.column("approvalCode", .text)
            t.column("digest", .text)
            queueColumns(t)
            t.uniqueKey(["appId", "source"])
        }
        try db.create(table: "approvalInstance") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("tenant", onDelete: .cascade).notNull()
            t.belongsTo("app", onDelete: .cascade).notNull()
            t.column("source", .text).notNull()
            t.column("todoId", .text).notNull()
            t.column("instanceId", .text).notNull()
            t.belongsTo("message", onDelete: .cascade).notNull()
            t.column("changeTime", .integer).notNull()
            t.column("syncedTime", .integer)
            t.column("feishuStatus", .text)
            queueColumns(t)
            t.uniqueKey(["appId", "instanceId"])
        }
        try db.create(index: "approvalInstance_todo", on: "approvalInstance", columns: ["tenantId", "source", "todoId"])
        try db.execute(sql: "CREATE INDEX approvalInstance_due ON approvalInstance(nextAttemptAt) WHERE state = 'pending'")
        try db.create(table: "approvalTask") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("instanceRowId", .integer).notNull().references("approvalInstance", onDelete: .cascade)
            t.column("oaUserID", .text).notNull()
            t.column("unionID", .text).notNull()
            t.column("userID", .text)
            t.column("openID", .text)
            t.column("quickApproval", .boolean).notNull()
            t.column("createdAt", .datetime).notNull()
            t.uniqueKey(["instanceRowId", "oaUserID"])
        }

        // cardAction: deliveryId optional, with the channel and the Approval Center task.
        try db.create(table: "cardAction_new") { t in
            t.primaryKey("actionId", .text)
            t.belongsTo("tenant", onDelete: .cascade).notNull()
            t.belongsTo("delivery", onDelete: .cascade)
            t.column("channel", .text).notNull().defaults(to: "card")
            t.column("approvalTaskId", .integer).references("approvalTask", onDelete: .cascade)
            t.column("source", .text).notNull()
            t.column("todoId", .text).notNull()
            t.column("action", .text).notNull()
            t.column("operatorUnionID", .text).notNull()
            t.column("operatorOpenID", .text)
            t.column("operatorOaUserID", .text).notNull()
            t.column("operatorName", .text).notNull()
            t.column("eventID", .text)
            t.column("messageID", .text).notNull()
            t.column("state", .text).notNull()
            t.column("attempts", .integer).notNull()
            t.column("nextAttemptAt", .datetime).notNull()
            t.column("leaseOwner", .text)
            t.column("leaseExpiresAt", .datetime)
            t.column("result", .text)
            t.column("cardError", .text)
            t.column("createdAt", .datetime).notNull()
            t.column("updatedAt", .datetime).notNull()
            t.column("finishedAt", .datetime)
        }
        let columns = """
            actionId, tenantId, deliveryId, source, todoId, action, operatorUnionID, operatorOpenID, operatorOaUserID, operatorName, eventID,
            messageID, state, attempts, nextAttemptAt, leaseOwner, leaseExpiresAt, result, cardError, createdAt, updatedAt, finishedAt
            """
        try db.execute(sql: "INSERT INTO cardAction_new (\(columns)) SELECT \(columns) FROM cardAction")
        try db.drop(table: "cardAction")
        try db.rename(table: "cardAction_new", to: "cardAction")
        try db.create(index: "cardAction_todo", on: "cardAction", columns: ["tenantId", "source", "todoId"])
        try db.create(index: "cardAction_delivery", on: "cardAction", columns: ["deliveryId"])
        try db.execute(sql: "CREATE INDEX cardAction_due ON cardAction(nextAttemptAt) WHERE state = 'received'")
        for table in ["cardAction", "approvalDefinition", "approvalInstance"] {
            try db.execute(sql: "CREATE INDEX \(table)_leaseOwner ON \(table)(leaseOwner) WHERE leaseOwner IS NOT NULL")
        }
        try db.execute(sql: "CREATE INDEX approvalDefinition_due ON approvalDefinition(nextAttemptAt) WHERE state = 'pending'")
    }

    /// The outbox columns of a queue table of the Approval Center (`OutboxQueue`): state (pending, synced or dead),
    /// attempts, due time, lease, last error, times.
    /// The outbox columns of a queue table (`Outbox/OutboxQueue.swift`).
    static func queueColumns(_ t: TableDefinition) {
        t.column("state", .text).notNull()
        t.column("attempts", .integer).notNull()
        t.column("nextAttemptAt", .datetime).notNull()
        t.column("leaseOwner", .text)
        t.column("leaseExpiresAt", .datetime)
        t.column("lastError", .text)
        t.column("createdAt", .datetime).notNull()
        t.column("updatedAt", .datetime).notNull()
    }
}
