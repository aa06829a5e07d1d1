import GRDB

extension Migrations {
    /// v13: mode 3 (OA → Feishu) — settings per enterprise, runs with their plans, the journal of applied items, the
    /// OA departments' Feishu departments, and when runs froze users.
    static func oaToFeishu(_ db: Database) throws {
        try db.create(table: "oaToFeishuSettings") { t in
            t.primaryKey("enterpriseId", .integer).references("enterprise", onDelete: .cascade)
            t.column("settings", .text).notNull()
            t.column("updatedAt", .datetime).notNull()
        }
        try db.create(table: "oaToFeishuRun") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("tenantId", .integer).notNull().references("tenant", onDelete: .cascade)
            t.column("enterpriseId", .integer).notNull().references("enterprise", onDelete: .cascade)
            t.column("status", .text).notNull()
            t.column("plan", .text).notNull()
            t.column("report", .text)
            t.column("error", .text)
            t.column("createdBy", .text).notNull()
            t.column("createdAt", .datetime).notNull()
            t.column("decidedBy", .text)
            t.column("decidedAt", .datetime)
            t.column("finishedAt", .datetime)
            t.column("activeOAUsers", .integer)
        }
        try db.create(index: "oaToFeishuRun_enterprise", on: "oaToFeishuRun", columns: ["enterpriseId", "id"])
        try db.create(index: "oaToFeishuRun_status", on: "oaToFeishuRun", columns: ["status"])
        try db.create(table: "oaToFeishuStep") { t in
            t.column("runId", .integer).notNull().references("oaToFeishuRun", onDelete: .cascade)
            t.column("position", .integer).notNull()
            t.column("done", .boolean).notNull()
            t.column("feishuID", .text)
            t.column("error", .text)
            t.column("at", .datetime).notNull()
            t.primaryKey(["runId", "position"])
        }
        try db.create(table: "oaToFeishuLink") { t in
            t.column("enterpriseId", .integer).notNull().references("enterprise", onDelete: .cascade)
            t.column("oaID", .text).notNull()
            t.column("openDepartmentID", .text).notNull()
            t.primaryKey(["enterpriseId", "oaID"])
        }
        try db.create(table: "oaToFeishuDisabled") { t in
            t.column("enterpriseId", .integer).notNull().references("enterprise", onDelete: .cascade)
            t.column("unionID", .text).notNull()
            t.column("disabledAt", .datetime).notNull()
            t.primaryKey(["enterpriseId", "unionID"])
        }
    }
}
