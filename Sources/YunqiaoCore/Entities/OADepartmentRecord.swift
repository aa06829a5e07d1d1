import Foundation

/// A department of the OA directory kept in the bridge (table `oaDepartment`).
public struct OADepartmentRecord: Codable, Sendable, Equatable {
    public var tenantId: Int64
    public var oaID: String
    public var name: String
    public var parentOaID: String?
    public var subcompanyOaID: String?
    public var sortOrder: Int
    public var updatedAt: Date

    public init(tenantId: Int64, oaID: String, name: String, parentOaID: String? = nil, subcompanyOaID: String? = nil,
                sortOrder: Int = 0, updatedAt: Date = Date())
    {
        self.tenantId = tenantId
        self.oaID = oaID
        self.name = name
        self.parentOaID = parentOaID
        self.subcompanyOaID = subcompanyOaID
        self.sortOrder = sortOrder
        self.updatedAt = updatedAt
    }
}
