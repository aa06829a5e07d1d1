import GRDB

extension Migrations {
    /// v9: admins and API tokens get a role (`admin` | `superAdmin`). The super-admin manages the tenants; the first
    /// admin of the default tenant — the tenant named `default`, else the oldest — becomes it. A database without admins
    /// gets its super-admin when the first admin of the default tenant is created (``AdminRepository``).
    static func adminRoles(_ db: Database) throws {
        try db.alter(table: "admin") { t in t.add(column: "role", .text).notNull().defaults(to: "admin") }
        try db.alter(table: "apiToken") { t in t.add(column: "role", .text).notNull().defaults(to: "admin") }
        try db.execute(sql: """
            UPDATE admin SET role = 'superAdmin' WHERE id = (
                SELECT a.id FROM admin a JOIN tenant t ON t.id = a.tenantId
                ORDER BY t.name = 'default' DESC, t.id, a.id LIMIT 1)
            """)
    }
}
