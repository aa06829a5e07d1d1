import GRDB

extension Migrations {
    /// v9: changes of the OA directory that went past the user-decrease threshold wait here for an admin
    /// (``YunqiaoCore/ParkedChangeRecord``), with the whole import as it came.
    static func parkedChanges(_ db: Database) throws {
        try db.create(table: "parkedChange") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("tenantId", .integer).notNull().references("tenant", onDelete: .cascade)
            t.column("source", .text).notNull()
            t.column("mode", .text).notNull()
            t.column("payload", .text).notNull()
            t.column("leavingUsers", .integer).notNull()
            t.column("activeUsers", .integer).notNull()
            t.column("deletedDepartments", .integer).notNull()
            t.column("departments", .integer).notNull()
            t.column("state", .text).notNull()
            t.column("createdBy", .text).notNull()
            t.column("createdAt", .datetime).notNull()
            t.column("decidedBy", .text)
            t.column("decidedAt", .datetime)
        }
        try db.create(index: "parkedChange_tenant", on: "parkedChange", columns: ["tenantId", "state", "id"])
    }
}
