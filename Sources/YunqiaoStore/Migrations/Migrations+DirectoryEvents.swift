import GRDB

extension Migrations {
    /// v17: Feishu's contact events (issue #15). `feishuEvent` is the inbox the callback answers from and a queue of the
    /// outbox (the worker applies each event to the mirror); `(appId, eventID)` is unique, which is the dedupe.
    /// `mirrorEventTime` holds, per mirror entry, the time of the newest event applied to it, so a late or repeated event
    /// never overwrites a newer state. `scopeRemoval` parks the entries that left an app's contact scope for the
    /// administrator's decision.
    static func directoryEvents(_ db: Database) throws {
        try db.create(table: "feishuEvent") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("tenant", onDelete: .cascade).notNull()
            t.belongsTo("enterprise", onDelete: .cascade).notNull()
            t.belongsTo("app", onDelete: .cascade).notNull()
            t.column("eventID", .text).notNull()
            t.column("eventType", .text).notNull()
            t.column("createTime", .integer).notNull()
            t.column("payload", .blob).notNull()
            t.column("channel", .text).notNull()
            t.column("outcome", .text)
            queueColumns(t)
            t.uniqueKey(["appId", "eventID"])
        }
        try db.execute(sql: "CREATE INDEX feishuEvent_due ON feishuEvent(nextAttemptAt) WHERE state = 'pending'")
        try db.create(index: "feishuEvent_received", on: "feishuEvent", columns: ["createdAt"])
        try db.create(table: "mirrorEventTime") { t in
            t.belongsTo("enterprise", onDelete: .cascade).notNull()
            t.column("kind", .text).notNull()
            t.column("key", .text).notNull()
            t.column("eventTime", .integer).notNull()
            t.primaryKey(["enterpriseId", "kind", "key"])
        }
        try db.create(table: "scopeRemoval") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("enterprise", onDelete: .cascade).notNull()
            t.column("kind", .text).notNull()
            t.column("key", .text).notNull()
            t.column("name", .text).notNull()
            t.column("createdAt", .datetime).notNull()
            t.column("decision", .text)
            t.column("decidedBy", .text)
            t.column("decidedAt", .datetime)
            t.uniqueKey(["enterpriseId", "kind", "key"])
        }
    }

    /// v18: an app receives events at its request URL (`http`, the default: no row) or over the long connection
    /// (`websocket`), which the bridge opens itself.
    static func appEventChannels(_ db: Database) throws {
        try db.create(table: "appEventChannel") { t in
            t.primaryKey("appId", .integer).references("app", onDelete: .cascade)
            t.column("channel", .text).notNull()
            t.column("updatedAt", .datetime).notNull()
        }
    }
}
