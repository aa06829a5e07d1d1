import Foundation

/// One approver's task of an Approval Center instance: a recipient of the todo, bound in the app's enterprise.
public struct ApprovalTaskRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var instanceRowId: Int64
    public var oaUserID: String
    public var unionID: String
    /// The user's `user_id`, and the app's `open_id` of them, once known (from the binding, else asked of Feishu).
    public var userID: String?
    public var openID: String?
    /// Whether the task offers approve/reject in the Approval Center (the target's quick approval).
    public var quickApproval: Bool
    public var createdAt: Date

    public init(id: Int64? = nil, instanceRowId: Int64, oaUserID: String, unionID: String, userID: String? = nil, openID: String? = nil,
                quickApproval: Bool, createdAt: Date)
    {
        self.id = id
        self.instanceRowId = instanceRowId
        self.oaUserID = oaUserID
        self.unionID = unionID
        self.userID = userID
        self.openID = openID
        self.quickApproval = quickApproval
        self.createdAt = createdAt
    }

    /// Feishu's `task_id`: `<instance_id>#<OA user id>`.
    public static func feishuTaskID(instanceId: String, oaUserID: String) -> String { "\(instanceId)#\(oaUserID)" }
}
