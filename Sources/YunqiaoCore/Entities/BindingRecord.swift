import Foundation

/// One OA user ⇄ one Feishu user per enterprise.
public struct BindingRecord: Codable, Sendable, Equatable {
    public var enterpriseId: Int64
    public var oaUserID: String
    public var unionID: String
    public var openID: String?
    public var userID: String?
    /// `manual`, `auto`, `import` or `card`.
    public var method: String
    public var field: String?
    public var createdBy: String
    public var createdAt: Date

    public init(enterpriseId: Int64, oaUserID: String, unionID: String, openID: String? = nil, userID: String? = nil,
                method: String, field: String? = nil, createdBy: String, createdAt: Date)
    {
        self.enterpriseId = enterpriseId
        self.oaUserID = oaUserID
        self.unionID = unionID
        self.openID = openID
        self.userID = userID
        self.method = method
        self.field = field
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}
