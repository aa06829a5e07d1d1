import Foundation
import GRDB
import YunqiaoCore

/// What every repository is: a view of one aggregate of the database, holding its writer. The extension gives one
/// write transaction or one read, and (in the repositories' files) the SQL helpers they share.
protocol StoreRepository: Sendable {
    var writer: any DatabaseWriter { get }
}

extension StoreRepository {
    /// One write transaction.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.write(updates)
    }

    /// One read.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read(value)
    }
}

extension StoreRepository {
    typealias StoreError = YunqiaoError
}
