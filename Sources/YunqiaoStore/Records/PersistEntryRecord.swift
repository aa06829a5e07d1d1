import Foundation
import GRDB
import YunqiaoCore

struct PersistEntryRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "persistEntry"
    var key: String
    var value: Data
    var expiresAt: Date?
}

extension PersistEntryRecord {
    /// The columns, for requests (`PersistEntryRecord.Columns.key`).
    enum Columns {
        static let key = Column(CodingKeys.key)
        static let value = Column(CodingKeys.value)
        static let expiresAt = Column(CodingKeys.expiresAt)
    }
}
