import GRDB

extension Migrations {
    /// v14: the directory syncs' schedules, one per enterprise and direction, with what each last did.
    static func syncSchedules(_ db: Database) throws {
        try db.create(table: "syncSchedule") { t in
            t.column("tenantId", .integer).notNull().references("tenant", onDelete: .cascade)
            t.column("enterpriseId", .integer).notNull().references("enterprise", onDelete: .cascade)
            t.column("direction", .text).notNull()
            t.column("enabled", .boolean).notNull()
            t.column("everyMinutes", .integer)
            t.column("cron", .text)
            t.column("timeZone", .text).notNull()
            t.column("updatedAt", .datetime).notNull()
            t.column("fires", .integer).notNull().defaults(to: 0)
            t.column("lastFiredAt", .datetime)
            t.column("lastOutcome", .text)
            t.column("lastRunId", .integer)
            t.column("lastNote", .text)
            t.primaryKey(["enterpriseId", "direction"])
        }
        try db.create(index: "syncSchedule_enabled", on: "syncSchedule", columns: ["enabled"])
    }
}
