import Foundation

/// A push rule (消息推送规则): the messages of one module (or of every module, `source == "*"`) go to its targets.
public struct PushRuleRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var source: String
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, tenantId: Int64, name: String, source: String, enabled: Bool, createdAt: Date,
                updatedAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.source = source
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
