import GRDB

extension Migrations {
    /// v9: admin API tokens get an optional expiry and a scope (`readOnly` or `full`); tokens made before keep working
    /// as they did (no expiry, `full`).
    static func apiTokenScope(_ db: Database) throws {
        try db.alter(table: "apiToken") { t in
            t.add(column: "expiresAt", .datetime)
            t.add(column: "scope", .text).notNull().defaults(to: "full")
        }
    }
}
