import AsyncAlgorithms
import Foundation
import Hummingbird
import ServiceLifecycle
import YunqiaoServices
import YunqiaoCore

/// Login sessions kept in the bridge's database, so a restart does not sign admins out. Expired entries are
/// dropped every 10 minutes.
struct DatabasePersistDriver: PersistDriver {
    let database: any BridgeStore

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let created = try await database.admins.persist(key: key, value: JSONEncoder().encode(value), expiresAt: expiry(expires), onlyIfAbsent: true, now: Date())
        if !created { throw PersistError.duplicate }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await database.admins.persist(key: key, value: JSONEncoder().encode(value), expiresAt: expiry(expires), onlyIfAbsent: false, now: Date())
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        guard let entry = try await database.admins.persistedValue(key: key, now: Date()) else { return nil }
        return try? JSONDecoder().decode(Object.self, from: entry.value)
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        guard let entry = try await database.admins.persistedValue(key: key, now: Date()),
              let object = try? JSONDecoder().decode(Object.self, from: entry.value)
        else { return nil }
        return (object, entry.expiresAt.map { .seconds(max(0, $0.timeIntervalSinceNow)) })
    }

    func remove(key: String) async throws {
        try await database.admins.removePersisted(key: key)
    }

    func shutdown() async throws {}

    func run() async throws {
        let ticks = AsyncTimerSequence(interval: .seconds(600), clock: .continuous).cancelOnGracefulShutdown()
        for try await _ in ticks { _ = try? await database.admins.tidyPersisted(now: Date()) }
    }

    private func expiry(_ expires: Duration?) -> Date? {
        expires.map { Date(timeIntervalSinceNow: Double($0.components.seconds)) }
    }
}
