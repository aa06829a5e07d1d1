import Foundation

/// An OA app that can be a Feishu app's homepage (seed: 应用中心已经存在的主页型应用).
public struct HomepageAppRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// An absolute http(s) URL, or a path in the OA starting with `/`.
    public var url: String
    public var note: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, name: String, url: String, note: String, createdAt: Date,
                updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.url = url
        self.note = note
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
