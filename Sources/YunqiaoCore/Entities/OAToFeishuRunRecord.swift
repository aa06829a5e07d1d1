import Foundation

/// One run of mode 3 (OA → Feishu) of an enterprise (table `oaToFeishuRun`): its plan as made, what became of it, and
/// the report once applied. Each applied item is journaled (``OAToFeishuStepRecord``), so an apply stopped by a crash
/// resumes where it stopped.
public struct OAToFeishuRunRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// A preview (模拟同步): shown, never applied.
        case preview
        /// Waits for an admin: it deletes, or the OA fell past the threshold.
        case parked
        /// Approved or needing no approval: being applied (or to be resumed after a crash).
        case applying
        /// Every item applied.
        case applied
        /// Applied, but some items failed (each with Feishu's reason).
        case partial
        case discarded
        /// Could not be planned or applied at all (the reason in `error`).
        case failed
    }

    public var id: Int64?
    public var tenantId: Int64
    public var enterpriseId: Int64
    public var status: Status
    /// JSON of ``OAToFeishuPlan`` (keys kept, `JSONEncoder.keepingKeys()`).
    public var plan: String
    /// JSON of ``OAToFeishuReport`` once applied.
    public var report: String?
    public var error: String?
    public var createdBy: String
    public var createdAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var finishedAt: Date?

    public init(id: Int64? = nil, tenantId: Int64, enterpriseId: Int64, status: Status, plan: String, report: String? = nil,
                error: String? = nil, createdBy: String, createdAt: Date, decidedBy: String? = nil, decidedAt: Date? = nil,
                finishedAt: Date? = nil)
    {
        self.id = id
        self.tenantId = tenantId
        self.enterpriseId = enterpriseId
        self.status = status
        self.plan = plan
        self.report = report
        self.error = error
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.finishedAt = finishedAt
    }

    /// The plan, decoded.
    public func decodedPlan() throws -> OAToFeishuPlan { try JSONDecoder().decode(OAToFeishuPlan.self, from: Data(plan.utf8)) }
}

/// One applied item of a run (table `oaToFeishuStep`): done with the Feishu id it made or touched, or failed with why.
public struct OAToFeishuStepRecord: Codable, Sendable, Equatable {
    public var runId: Int64
    /// The item's place in the apply order (``OAToFeishuPlan/applyOrder``).
    public var position: Int
    public var done: Bool
    public var feishuID: String?
    public var error: String?
    public var at: Date

    public init(runId: Int64, position: Int, done: Bool, feishuID: String? = nil, error: String? = nil, at: Date) {
        self.runId = runId
        self.position = position
        self.done = done
        self.feishuID = feishuID
        self.error = error
        self.at = at
    }
}

/// What an applied item leaves in the bridge, in the same transaction as its journal entry.
public enum OAToFeishuEffect: Sendable, Equatable {
    case none
    /// The OA department is this Feishu department from now on.
    case link(oaID: String, openDepartmentID: String)
    /// A created Feishu user is bound to its OA user.
    case bind(oaUserID: String, user: MirrorUser)
    /// The run froze the user (the delayed delete counts from now).
    case disabled(unionID: String)
    /// Unfrozen: no longer counted as disabled by a run.
    case enabled(unionID: String)
    /// Deleted from Feishu: the binding goes too.
    case deleted(oaUserID: String?, unionID: String)
}

/// What earlier runs of an enterprise left for the next plan.
public struct OAToFeishuMemory: Sendable, Equatable {
    /// OA department id → Feishu open department id.
    public var departmentLinks: [String: String]
    /// Union id → when a run froze the user.
    public var disabledAt: [String: Date]
    /// Active OA users in scope at the last applied run.
    public var lastActiveOAUsers: Int?

    public init(departmentLinks: [String: String] = [:], disabledAt: [String: Date] = [:], lastActiveOAUsers: Int? = nil) {
        self.departmentLinks = departmentLinks
        self.disabledAt = disabledAt
        self.lastActiveOAUsers = lastActiveOAUsers
    }
}
