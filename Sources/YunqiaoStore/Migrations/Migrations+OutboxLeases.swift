import GRDB

extension Migrations {
    /// v8: every queue of the outbox (deliveries, card updates, card actions) holds its work by a lease that runs out
    /// (`leaseOwner`, `leaseExpiresAt`) instead of a claim that was given back at the worker's start — which only held
    /// while one process owned the database. Claims of the old kind, and card actions being called, become expired
    /// leases: due at once.
    static func outboxLeases(_ db: Database) throws {
        for table in ["delivery", "cardUpdate"] {
            try db.execute(sql: "DROP INDEX \(table)_due")
            try db.execute(sql: "ALTER TABLE \(table) DROP COLUMN claimedAt")
        }
        // A card held against its update queue (a failed quick approval putting the pending style back) was given back
        // at start: the holds go the same way.
        try db.execute(sql: "DELETE FROM cardUpdate WHERE state = 'held'")
        try db.execute(sql: "DROP INDEX cardAction_due")
        try db.execute(sql: "UPDATE cardAction SET state = 'received' WHERE state = 'calling'")
        for table in ["delivery", "cardUpdate", "cardAction"] {
            try db.alter(table: table) { t in
                t.add(column: "leaseOwner", .text)
                t.add(column: "leaseExpiresAt", .datetime)
            }
            try db.execute(sql: "CREATE INDEX \(table)_leaseOwner ON \(table)(leaseOwner) WHERE leaseOwner IS NOT NULL")
        }
        try db.execute(sql: "CREATE INDEX delivery_due ON delivery(nextAttemptAt, id) WHERE state = 'pending'")
        try db.execute(sql: "CREATE INDEX cardUpdate_due ON cardUpdate(nextAttemptAt, id) WHERE state = 'pending'")
        try db.execute(sql: "CREATE INDEX cardAction_due ON cardAction(nextAttemptAt) WHERE state = 'received'")
    }
}
