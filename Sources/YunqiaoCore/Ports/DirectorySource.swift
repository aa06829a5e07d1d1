import Foundation

/// Where a directory is read from, completely, for a sync (mode 1 reads Feishu through `FeishuDirectoryReader` in
/// the services target). The read comes first and the plan is computed from it; a source never writes.
public protocol DirectorySource: Sendable {
    /// The whole directory as the source sees it now.
    func read(progress: (@Sendable (SyncProgress) -> Void)?) async throws -> DirectorySnapshot

    /// Which of the entries the read did not list are really gone (asked one by one), so that a partial answer never
    /// deletes what still exists.
    func verdict(on vanished: VanishedEntries, mirror: DirectoryMirror) async throws -> VanishedVerdict
}

/// Progress of a directory read, for a terminal line or the console.
public struct SyncProgress: Sendable, Equatable {
    public var departmentsDone = 0
    public var departmentsTotal = 0
    public var usersSeen = 0
    /// From the departments' `member_count`; 0 when unknown.
    public var usersEstimated = 0

    public init() {}
}
