import Foundation

/// What a run of mode 3 would do in Feishu, item by item, each with its reason — made before anything is written, shown
/// as the preview (模拟同步), parked for approval when it deletes or crosses the threshold, then applied.
public struct OAToFeishuPlan: Codable, Sendable, Equatable {
    /// A department of the plan: an OA department matched to a Feishu one or created, or a Feishu department the OA no
    /// longer has.
    public struct DepartmentStep: Codable, Sendable, Equatable {
        public enum Action: String, Codable, Sendable {
            /// The Feishu department already is the OA's (same level and name, or linked by an earlier run).
            case match
            /// Matched through an earlier run's link, with another name or parent now.
            case update
            case create
            /// Under the mount point but no longer in the OA (or out of scope): deleted once its members are gone.
            case delete
        }

        public var action: Action
        /// The OA department (nil for a delete, or the disabled-users department).
        public var oaID: String?
        /// The Feishu department; nil for one still to create.
        public var feishuID: String?
        public var name: String
        /// The parent: a Feishu id, or `oa:<id>` for a parent the plan creates first.
        public var parent: String
        /// The names from the mount point down, for the tree and the tables.
        public var path: [String]
        public var reason: LocalizedText

        public init(action: Action, oaID: String?, feishuID: String?, name: String, parent: String, path: [String], reason: LocalizedText) {
            self.action = action
            self.oaID = oaID
            self.feishuID = feishuID
            self.name = name
            self.parent = parent
            self.path = path
            self.reason = reason
        }
    }

    /// A user of the plan.
    public struct UserStep: Codable, Sendable, Equatable {
        public enum Action: String, Codable, Sendable {
            /// A new Feishu user, bound to the OA user as it is created.
            case create
            /// Fields or departments of a bound user follow the OA.
            case update
            /// Frozen (`is_frozen`): left the OA, or no longer in it.
            case disable
            /// Unfrozen: back in the OA after a run disabled them.
            case enable
            case delete
            /// A bound user now out of scope: deleted from Feishu (the manual's rule), listed apart.
            case deleteOutOfScope
            /// Not written (creating users is off, no account value…): only reported.
            case skip
        }

        /// A field whose value changes.
        public struct Change: Codable, Sendable, Equatable {
            public var field: FeishuUserField
            public var old: String?
            public var new: String?

            public init(field: FeishuUserField, old: String?, new: String?) {
                self.field = field
                self.old = old
                self.new = new
            }
        }

        public var action: Action
        public var oaID: String?
        public var unionID: String?
        /// The Feishu user's open id (what the contact API is called with); nil for a create.
        public var openID: String?
        public var name: String
        /// For a create: the account (`user_id`).
        public var account: String?
        public var changes: [Change]
        /// The departments after the step (Feishu ids, or `oa:<id>` for departments the plan creates), primary first;
        /// nil when they do not change.
        public var departments: [String]?
        public var reason: LocalizedText

        public init(action: Action, oaID: String?, unionID: String?, openID: String? = nil, name: String, account: String? = nil,
                    changes: [Change] = [], departments: [String]? = nil, reason: LocalizedText)
        {
            self.action = action
            self.oaID = oaID
            self.unionID = unionID
            self.openID = openID
            self.name = name
            self.account = account
            self.changes = changes
            self.departments = departments
            self.reason = reason
        }
    }

    public var departments: [DepartmentStep]
    public var users: [UserStep]
    /// Why an admin must approve the plan before it is applied (empty: it may apply at once).
    public var approvalReasons: [LocalizedText]
    /// Active OA users in scope when the plan was made (the next run's threshold compares against it).
    public var activeOAUsers: Int
    /// Set when the plan was made again at an approval and replaces an earlier parked plan: what changed since.
    public var replaced: OAToFeishuPlanDifference?

    public init(departments: [DepartmentStep], users: [UserStep], approvalReasons: [LocalizedText], activeOAUsers: Int) {
        self.departments = departments
        self.users = users
        self.approvalReasons = approvalReasons
        self.activeOAUsers = activeOAUsers
    }

    /// Items per action, for the report and the preview's headline.
    public var counts: [String: Int] {
        var counts: [String: Int] = [:]
        for step in departments where step.action != .match { counts["departments." + step.action.rawValue, default: 0] += 1 }
        for step in users { counts["users." + step.action.rawValue, default: 0] += 1 }
        return counts
    }

    /// An item of the plan in the order it is applied.
    public enum Item: Sendable, Equatable {
        case department(Int)
        case user(Int)
    }

    /// Departments created, renamed and moved (parents first), then users, then departments deleted (deepest first,
    /// once their members have gone). Matches and skips write nothing and are left out.
    public var applyOrder: [Item] {
        let kept = departments.indices.filter { departments[$0].action == .create || departments[$0].action == .update }
        let deleted = departments.indices.filter { departments[$0].action == .delete }
        let written = users.indices.filter { users[$0].action != .skip }
        return kept.map(Item.department) + written.map(Item.user) + deleted.map(Item.department)
    }

    /// Whether applying the plan writes anything at all.
    public var isEmpty: Bool { departments.allSatisfy { $0.action == .match } && users.allSatisfy { $0.action == .skip } }
}

/// What an apply did: items per action that were applied and that failed, every failure with Feishu's reason, the
/// API calls it took and how long.
public struct OAToFeishuReport: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var position: Int
        /// `departments.create`, `users.update`…
        public var action: String
        public var name: String
        public var message: LocalizedText

        public init(position: Int, action: String, name: String, message: LocalizedText) {
            self.position = position
            self.action = action
            self.name = name
            self.message = message
        }
    }

    public var applied: [String: Int]
    public var failed: [String: Int]
    public var failures: [Failure]
    public var apiCalls: Int
    public var durationMs: Int

    public init(applied: [String: Int] = [:], failed: [String: Int] = [:], failures: [Failure] = [], apiCalls: Int = 0, durationMs: Int = 0) {
        self.applied = applied
        self.failed = failed
        self.failures = failures
        self.apiCalls = apiCalls
        self.durationMs = durationMs
    }
}

/// Why a plan cannot be made: the run stops before anything is written.
public enum OAToFeishuPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No top department is set and the OA's top level is not the Feishu root (the manual's abort).
    case topLevelNameDiffers(oa: String, feishu: String)
    /// No top department is set and the OA has several top-level departments.
    case severalTopLevels([String])
    /// The chosen top department is not in the Feishu directory.
    case topDepartmentMissing(String)

    public var text: LocalizedText {
        switch self {
        case .topLevelNameDiffers(let oa, let feishu):
            "the OA's top-level department \(oa) is not the Feishu organisation \(feishu): set a top department, or rename one of them"
        case .severalTopLevels(let names):
            "the OA has \(names.count) top-level departments (\(names.joined(separator: ", "))): choose the Feishu top department to mount them under (0 for the root)"
        case .topDepartmentMissing(let id): "the top department \(id) is not in the Feishu directory: sync from Feishu, or choose another"
        }
    }

    public var description: String { text.description }
}
