import Foundation

/// A module of the OA that sends messages (日报 daily report, 审批 approval, 考勤 attendance…): the `source` of a
/// message and of a push rule. `actionURL` receives quick-approval actions, signed with the sealed action secret.
public struct OAModuleRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    /// What messages name as their `source`; fixed once created.
    public var key: String
    public var name: String
    public var actionURL: String?
    /// The action webhook's HMAC secret, sealed by ``SecretBox``; never returned.
    public var sealedActionSecret: String?
    /// Where its todos appear (a ``TodoChannel`` raw value) and the OA's pages of the module, for the Approval Center.
    public var todoChannel: String
    public var approvalPCURL: String?
    public var approvalMobileURL: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, key: String, name: String, actionURL: String? = nil,
                sealedActionSecret: String? = nil, todoChannel: String = TodoChannel.card.rawValue, approvalPCURL: String? = nil,
                approvalMobileURL: String? = nil, createdAt: Date, updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.key = key
        self.name = name
        self.actionURL = actionURL
        self.sealedActionSecret = sealedActionSecret
        self.todoChannel = todoChannel
        self.approvalPCURL = approvalPCURL
        self.approvalMobileURL = approvalMobileURL
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The module's Approval Center setting.
    public var approvalCenter: ApprovalCenterSetting {
        ApprovalCenterSetting(channel: TodoChannel(rawValue: todoChannel) ?? .card, pcURL: approvalPCURL, mobileURL: approvalMobileURL)
    }
}
