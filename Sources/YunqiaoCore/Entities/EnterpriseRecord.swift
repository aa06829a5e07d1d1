import Foundation

/// A Feishu or Lark enterprise (tenant on the Feishu side) integrated by a Yunqiao tenant.
public struct EnterpriseRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// `feishu` or `lark`.
    public var brand: String
    public var baseURL: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, name: String, brand: String, baseURL: String, createdAt: Date,
                updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.brand = brand
        self.baseURL = baseURL
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
