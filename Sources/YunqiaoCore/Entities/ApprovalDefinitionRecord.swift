import Foundation

/// An OA module's external approval definition in one Feishu app (`feishu-api.md` §5.1): what the Approval Center
/// groups that module's instances under. Pushed when the module's Approval Center setting is saved and when its first
/// todo reaches the app; `approvalCode` is the code Feishu answered (not necessarily the one asked for).
public struct ApprovalDefinitionRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var appId: Int64
    /// The module's key.
    public var source: String
    /// Feishu's code; nil until the first push succeeded.
    public var approvalCode: String?
    /// A digest of the definition as last pushed: a module or app change gives another one and the definition is pushed again.
    public var digest: String?
    /// pending (a push is due), synced or dead (pushes failed for good; `lastError` says why).
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, appId: Int64, source: String, approvalCode: String? = nil, digest: String? = nil,
                state: String, attempts: Int = 0, nextAttemptAt: Date, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil,
                lastError: String? = nil, createdAt: Date, updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.appId = appId
        self.source = source
        self.approvalCode = approvalCode
        self.digest = digest
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
