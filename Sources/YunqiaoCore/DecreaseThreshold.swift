import Foundation

/// The user-decrease safety threshold (用户减少阈值): a change to a directory that would make more users leave (or
/// delete more departments) than this is not applied but parked until an admin approves it, so that a partial answer
/// of the source — an OA that returned one page of two, a truncated file — cannot empty the directory.
///
/// Parked when the count exceeds `maxCount`, or when it exceeds `maxPercent` % of what is there now. A nil limit is
/// not checked; both nil turns the guard off.
public struct DecreaseThreshold: Codable, Sendable, Equatable {
    /// At most this share (0–100) of the active users may leave, and of the departments be deleted, in one change.
    public var maxPercent: Int?
    /// At most this many users may leave, and departments be deleted, in one change.
    public var maxCount: Int?

    /// 10 % and 500, like the safety nets of the common provisioning services.
    public static let standard = DecreaseThreshold(maxPercent: 10, maxCount: 500)

    public init(maxPercent: Int?, maxCount: Int?) {
        self.maxPercent = maxPercent
        self.maxCount = maxCount
    }

    /// True when removing `removed` of `existing` entries goes past the threshold.
    public func isExceeded(removing removed: Int, of existing: Int) -> Bool {
        guard removed > 0 else { return false }
        if let maxCount, removed > maxCount { return true }
        if let maxPercent, removed * 100 > maxPercent * existing { return true }
        return false
    }
}

/// Where a change of the OA directory came from.
public enum OADirectorySource: String, Codable, Sendable, CaseIterable {
    /// The pull connector (on its schedule or "run now").
    case pull
    /// The OA's push API (`POST /api/v1/directory`).
    case api
    /// A spreadsheet imported in the console or the admin API.
    case sheet
}
