import Foundation
import GRDB
import YunqiaoCore

/// One pull of the OA directory (table `oaConnectorRun`).
public struct OAConnectorRunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaConnectorRun"

    /// What started a run.
    public enum Source: String, Sendable, Codable {
        case schedule, manual
    }

    /// Where a run is.
    public enum Status: String, Sendable, Codable {
        case running, succeeded, failed
    }

    public var id: Int64?
    public var tenantId: Int64
    public var source: Source
    /// The admin who asked (`admin`, `token:<name>`), or `schedule`.
    public var startedBy: String
    public var status: Status
    public var startedAt: Date
    public var finishedAt: Date?
    /// Pages read, both lists together.
    public var pagesFetched: Int
    public var departmentsFetched: Int
    public var usersFetched: Int
    public var createdCount: Int
    public var updatedCount: Int
    public var unchangedCount: Int
    /// Users marked `left` because the OA no longer lists them.
    public var leftCount: Int
    /// Departments deleted because the OA no longer lists them.
    public var deletedCount: Int
    /// Why a run failed.
    public var error: String?
    /// JSON array of ``OAConnectorItemError``: the first bad items of a failed run.
    public var itemErrors: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var decodedItemErrors: [OAConnectorItemError] {
        itemErrors.flatMap { try? JSONDecoder().decode([OAConnectorItemError].self, from: Data($0.utf8)) } ?? []
    }
}

extension OAConnectorRunRecord.Source: DatabaseValueConvertible {}

extension OAConnectorRunRecord.Status: DatabaseValueConvertible {}

extension OAConnectorRunRecord {
    /// The columns, for requests (`OAConnectorRunRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let source = Column(CodingKeys.source)
        public static let startedBy = Column(CodingKeys.startedBy)
        public static let status = Column(CodingKeys.status)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let finishedAt = Column(CodingKeys.finishedAt)
        public static let pagesFetched = Column(CodingKeys.pagesFetched)
        public static let departmentsFetched = Column(CodingKeys.departmentsFetched)
        public static let usersFetched = Column(CodingKeys.usersFetched)
        public static let createdCount = Column(CodingKeys.createdCount)
        public static let updatedCount = Column(CodingKeys.updatedCount)
        public static let unchangedCount = Column(CodingKeys.unchangedCount)
        public static let leftCount = Column(CodingKeys.leftCount)
        public static let deletedCount = Column(CodingKeys.deletedCount)
        public static let error = Column(CodingKeys.error)
        public static let itemErrors = Column(CodingKeys.itemErrors)
    }
}
