import Crypto
import Foundation
import GRDB

extension Migrations {
    /// v9: the key/value entries (login sessions `hbs.<id>`, OAuth states, one-time form tokens) are stored under the
    /// SHA-256 (hex) of their key, not the key itself: the database file no longer holds live session ids. Existing
    /// entries are re-keyed, so signed-in admins stay signed in.
    static func hashedEntryKeys(_ db: Database) throws {
        for key in try String.fetchAll(db, sql: #"SELECT "key" FROM persistEntry"#) {
            let hashed = SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
            try db.execute(sql: #"UPDATE persistEntry SET "key" = ? WHERE "key" = ?"#, arguments: [hashed, key])
        }
    }
}
