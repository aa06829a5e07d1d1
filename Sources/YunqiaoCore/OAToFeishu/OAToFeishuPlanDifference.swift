import Foundation

/// What changed between two plans of one enterprise: an admin approved a parked plan, the OA or Feishu had changed
/// since, and the plan made again is parked in its place — with this list, so that the admin approves what is new
/// knowingly. Items are departments and users, each with its action before and after (nil: not in that plan).
public struct OAToFeishuPlanDifference: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case department, user
        }

        public var kind: Kind
        public var name: String
        /// The action in the earlier plan; nil when the item is new.
        public var before: String?
        /// The action in the new plan; nil when the item is gone.
        public var after: String?

        public init(kind: Kind, name: String, before: String?, after: String?) {
            self.kind = kind
            self.name = name
            self.before = before
            self.after = after
        }
    }

    /// The earlier run whose plan this one replaces.
    public var replacesRunId: Int64
    /// Departments first, then users; each in the order of the new plan, then the ones gone.
    public var items: [Item]

    public init(replacesRunId: Int64, from old: OAToFeishuPlan, to new: OAToFeishuPlan) {
        self.replacesRunId = replacesRunId
        items = Self.compare(old.departments, new.departments, kind: .department, key: { $0.oaID ?? $0.feishuID ?? $0.name },
                             name: \.name, action: \.action.rawValue)
            + Self.compare(old.users, new.users, kind: .user, key: { $0.oaID ?? $0.unionID ?? $0.name }, name: \.name, action: \.action.rawValue)
    }

    private static func compare<Step: Equatable>(_ old: [Step], _ new: [Step], kind: Item.Kind, key: (Step) -> String, name: (Step) -> String,
                                                 action: (Step) -> String) -> [Item]
    {
        let before = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let seen = Set(new.map(key))
        var items: [Item] = []
        for step in new {
            let earlier = before[key(step)]
            if earlier != step { items.append(Item(kind: kind, name: name(step), before: earlier.map(action), after: action(step))) }
        }
        for step in old where !seen.contains(key(step)) {
            items.append(Item(kind: kind, name: name(step), before: action(step), after: nil))
        }
        return items
    }
}
