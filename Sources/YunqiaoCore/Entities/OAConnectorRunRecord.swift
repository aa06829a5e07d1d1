import Foundation

/// One pull of the OA directory (table `oaConnectorRun`).
public struct OAConnectorRunRecord: Codable, Sendable, Equatable {
    /// What started a run.
    public enum Source: String, Sendable, Codable {
        case schedule, manual
    }

    /// Where a run is.
    public enum Status: String, Sendable, Codable {
        case running, succeeded, failed
        /// The pull went past the user-decrease threshold: nothing was applied, the change waits for an admin.
        case parked
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

    public init(id: Int64? = nil, tenantId: Int64, source: Source, startedBy: String, status: Status, startedAt: Date,
                finishedAt: Date? = nil, pagesFetched: Int, departmentsFetched: Int, usersFetched: Int,
                createdCount: Int, updatedCount: Int, unchangedCount: Int, leftCount: Int, deletedCount: Int,
                error: String? = nil, itemErrors: String? = nil)
    {
        self.id = id
        self.tenantId = tenantId
        self.source = source
        self.startedBy = startedBy
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.pagesFetched = pagesFetched
        self.departmentsFetched = departmentsFetched
        self.usersFetched = usersFetched
        self.createdCount = createdCount
        self.updatedCount = updatedCount
        self.unchangedCount = unchangedCount
        self.leftCount = leftCount
        self.deletedCount = deletedCount
        self.error = error
        self.itemErrors = itemErrors
    }

    public var decodedItemErrors: [OAConnectorItemError] {
        itemErrors.flatMap { try? JSONDecoder().decode([OAConnectorItemError].self, from: Data($0.utf8)) } ?? []
    }
}
