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

    /// A target a message goes to, and the rule that sends it there.
    public struct Match: Sendable, Equatable {
        public var ruleID: Int64
        public var target: PushTarget

        public init(ruleID: Int64, target: PushTarget) {
            self.ruleID = ruleID
            self.target = target
        }
    }

    /// The targets a message of `source` goes to: the targets of every enabled rule whose source is `source` or
    /// ``allSources``, at most one per app, so each (app, recipient) gets the message once. When several targets name
    /// one app, a rule for the module itself wins over an ``allSources`` rule, whichever was made first; among rules of
    /// the same kind the first one wins, rules taken by ascending id and targets in their order. Sources are compared
    /// exactly.
    public static func match(source: String, rules: [PushRule]) -> [PushTarget] {
        matches(source: source, rules: rules).map(\.target)
    }

    /// ``match(source:rules:)`` with the rule each target comes from: what the console shows as a module's effective
    /// targets.
    public static func matches(source: String, rules: [PushRule]) -> [Match] {
        let enabled = rules.filter(\.enabled).sorted { $0.id < $1.id }
        // A rule naming the module first, then the rules of every module.
        let ordered = enabled.filter { $0.source == source && source != allSources } + enabled.filter { $0.source == allSources }
        var seenApps: Set<Int64> = []
        var matches: [Match] = []
        for rule in ordered {
            for target in rule.targets where seenApps.insert(target.appID).inserted {
                matches.append(Match(ruleID: rule.id, target: target))
            }
        }
        return matches
    }
}
