import Crypto
import Foundation
import GRDB
import YunqiaoCore

extension AdminRepository {
    // MARK: key/value entries (login sessions, OAuth states, one-time form tokens)

    /// The stored form of an entry's key: its SHA-256 in hex, as for API tokens. The keys hold secrets (a session id,
    /// an OAuth state, a one-time token): the database file never holds them in plain text.
    public static func entryKey(_ key: String) -> String {
        tokenHash(key)
    }

    public func persistedValue(key: String, now: Date = Date()) async throws -> (value: Data, expiresAt: Date?)? {
        let key = Self.entryKey(key)
        return try await read { db in
            guard let entry = try PersistEntryRecord.fetchOne(db, key: key) else { return nil }
            if let expiresAt = entry.expiresAt, expiresAt <= now { return nil }
            return (entry.value, entry.expiresAt)
        }
    }

    /// Stores `value` under `key`. With `onlyIfAbsent`, returns false when a live entry exists already.
    /// A nil `expiresAt` on an existing entry keeps its expiry.
    @discardableResult
    public func persist(key: String, value: Data, expiresAt: Date?, onlyIfAbsent: Bool = false, now: Date = Date()) async throws -> Bool {
        let key = Self.entryKey(key)
        return try await write { db in
            let existing = try PersistEntryRecord.fetchOne(db, key: key)
            let live = existing.map { entry in entry.expiresAt.map { $0 > now } ?? true } ?? false
            if onlyIfAbsent && live { return false }
            let expiry = expiresAt ?? (live ? existing?.expiresAt : nil)
            try PersistEntryRecord(key: key, value: value, expiresAt: expiry).upsert(db)
            return true
        }
    }

    public func removePersisted(key: String) async throws {
        let key = Self.entryKey(key)
        _ = try await write { db in try PersistEntryRecord.deleteOne(db, key: key) }
    }

    /// Drops expired entries; returns how many.
    @discardableResult
    public func tidyPersisted(now: Date = Date()) async throws -> Int {
        try await write { db in try PersistEntryRecord.filter(PersistEntryRecord.Columns.expiresAt != nil && PersistEntryRecord.Columns.expiresAt <= now).deleteAll(db) }
    }
}

/// Reads of the first-visit flow (issue #6): a Feishu user opens an app's homepage, signs in with Feishu and, when not
/// bound yet, binds their OA account.
extension AdminRepository {
    /// Reads and removes a key/value entry in one transaction: a live value is handed out once only (one-time tokens).
    /// An expired entry is removed and answers nil.
    public func takePersisted(key: String, now: Date = Date()) async throws -> Data? {
        let key = Self.entryKey(key)
        return try await write { db in
            guard let entry = try PersistEntryRecord.fetchOne(db, key: key) else { return nil }
            _ = try entry.delete(db)
            if let expiresAt = entry.expiresAt, expiresAt <= now { return nil }
            return entry.value
        }
    }
}
