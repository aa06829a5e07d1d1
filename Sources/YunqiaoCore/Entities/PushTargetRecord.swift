import Foundation

/// One target of a push rule: an app of an enterprise and the message type it gets.
public struct PushTargetRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var pushRuleId: Int64
    public var enterpriseId: Int64
    public var appId: Int64
    /// A ``PushMessageType`` raw value.
    public var type: String
    public var quickApproval: Bool
    /// Order within the rule (the first target of an app wins when rules overlap).
    public var position: Int

    public init(id: Int64? = nil, pushRuleId: Int64, enterpriseId: Int64, appId: Int64, type: String,
                quickApproval: Bool, position: Int)
    {
        self.id = id
        self.pushRuleId = pushRuleId
        self.enterpriseId = enterpriseId
        self.appId = appId
        self.type = type
        self.quickApproval = quickApproval
        self.position = position
    }

    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}
