import Foundation

/// A Feishu user auto-bind could not bind; the admin resolves it.
public struct BindingConflictRecord: Codable, Sendable, Equatable {
    public var enterpriseId: Int64
    public var unionID: String
    public var kind: String
    public var field: String
    public var value: String
    public var oaUserIDs: String
    public var createdAt: Date

    public init(enterpriseId: Int64, unionID: String, kind: String, field: String, value: String, oaUserIDs: String,
                createdAt: Date)
    {
        self.enterpriseId = enterpriseId
        self.unionID = unionID
        self.kind = kind
        self.field = field
        self.value = value
        self.oaUserIDs = oaUserIDs
        self.createdAt = createdAt
    }
}
