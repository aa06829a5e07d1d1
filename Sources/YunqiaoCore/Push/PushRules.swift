/// How a message reaches Feishu through one app (the seed's 消息类型: 文字, 图文, 卡片, 待办).
public enum PushMessageType: String, Sendable, Codable, CaseIterable {
    /// Feishu `text`.
    case text
    /// Feishu `post` (图文 rich text).
    case rich
    /// Feishu `interactive` card with an open-link button.
    case card
    /// Feishu `interactive` todo card: status styles, quick approval, updated when the todo is handled.
    case todo
}

/// Where a push rule sends messages: an app of an enterprise, as one message type.
public struct PushTarget: Sendable, Equatable, Codable {
    public var id: Int64
    public var enterpriseID: Int64
    public var appID: Int64
    public var type: PushMessageType
    /// Approve / reject buttons on todo cards (only meaningful for ``PushMessageType/todo``).
    public var quickApproval: Bool

    public init(id: Int64 = 0, enterpriseID: Int64, appID: Int64, type: PushMessageType, quickApproval: Bool = false) {
        self.id = id
        self.enterpriseID = enterpriseID
        self.appID = appID
        self.type = type
        self.quickApproval = quickApproval
    }
}

/// A push rule (消息推送规则): messages of one OA module, or of every module (`source == "*"`), go to its targets.
public struct PushRule: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// An OA module key, or ``PushRules/allSources``.
    public var source: String
    public var enabled: Bool
    public var targets: [PushTarget]

    public init(id: Int64, name: String, source: String, enabled: Bool = true, targets: [PushTarget]) {
        self.id = id
        self.name = name
        self.source = source
        self.enabled = enabled
        self.targets = targets
    }
}

public enum PushRules {
    /// The source of a rule that takes the messages of every OA module (the seed's 消息来源 "全部").
    public static let allSources = "*"

    /// The targets a message of `source` goes to: the targets of every enabled rule whose source is `source` or
    /// ``allSources``, at most one per app, so each (app, recipient) gets the message once. When several targets name
    /// one app the first one wins, rules taken by ascending id and targets in their order. Sources are compared
    /// exactly.
    public static func match(source: String, rules: [PushRule]) -> [PushTarget] {
        var seenApps: Set<Int64> = []
        var targets: [PushTarget] = []
        for rule in rules.sorted(by: { $0.id < $1.id }) where rule.enabled && (rule.source == source || rule.source == allSources) {
            for target in rule.targets where seenApps.insert(target.appID).inserted {
                targets.append(target)
            }
        }
        return targets
    }
}
