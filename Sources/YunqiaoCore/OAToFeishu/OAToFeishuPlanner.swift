import Foundation

/// What the planner reads: the OA directory, the Feishu mirror (fresh from a mode-1 run), the bindings, and what earlier
/// runs left (department links, disable times, the last active-user count).
public struct OAToFeishuInput: Sendable {
    public var oaDepartments: [OADepartmentRecord]
    public var oaUsers: [OAUserRecord]
    public var feishuDepartments: [MirrorDepartment]
    public var feishuUsers: [MirrorUser]
    /// The Feishu root's name: the organisation (tenant) name.
    public var feishuRootName: String
    /// OA user id → union id.
    public var bindings: [String: String]
    /// OA department id → Feishu open department id, written by earlier applies: a renamed or moved OA department keeps
    /// its Feishu department.
    public var departmentLinks: [String: String]
    /// Union id → when a run disabled the user (for the delayed delete, and to know whom a return unfreezes).
    public var disabledAt: [String: Date]
    /// Active OA users in scope at the last successful run (nil: the first run).
    public var previousActiveOAUsers: Int?
    public var now: Date

    public init(oaDepartments: [OADepartmentRecord], oaUsers: [OAUserRecord], feishuDepartments: [MirrorDepartment],
                feishuUsers: [MirrorUser], feishuRootName: String, bindings: [String: String], departmentLinks: [String: String] = [:],
                disabledAt: [String: Date] = [:], previousActiveOAUsers: Int? = nil, now: Date)
    {
        self.oaDepartments = oaDepartments
        self.oaUsers = oaUsers
        self.feishuDepartments = feishuDepartments
        self.feishuUsers = feishuUsers
        self.feishuRootName = feishuRootName
        self.bindings = bindings
        self.departmentLinks = departmentLinks
        self.disabledAt = disabledAt
        self.previousActiveOAUsers = previousActiveOAUsers
        self.now = now
    }
}

/// Mode 3's planner (pure): the OA is the master, and the plan says what to create, update, move, disable and delete in
/// Feishu so that the mounted part of Feishu becomes the OA's tree.
///
/// Departments match by **level and name** under the mount point (an earlier run's link wins, so a renamed OA
/// department keeps its Feishu department); the others are created, parents first. Feishu departments under the mount
/// point that no OA department matches are deleted (after their members have moved). With no top department set, the
/// OA's one top-level department stands for the Feishu root and must carry its name, or the run stops (the manual's
/// rule). Users: see `OAToFeishuPlanner+Users.swift`.
public struct OAToFeishuPlanner: Sendable {
    public var settings: OAToFeishuSettings

    public init(settings: OAToFeishuSettings) { self.settings = settings }

    /// The root's id in Feishu.
    public static let root = "0"

    /// The pending id of the disabled users' department (created when first needed).
    public static let disabledPending = "oa:#disabled"

    /// A department the plan creates, referred to before it has a Feishu id.
    public static func pending(_ oaID: String) -> String { "oa:" + oaID }

    public func plan(_ input: OAToFeishuInput) throws(OAToFeishuPlanError) -> OAToFeishuPlan {
        var departments = try DepartmentPlan(input, settings)
        var users = UserPlanner(input: input, settings: settings, departments: departments)
        let userSteps = users.plan()
        if users.needsDisabledDepartment { departments.addDisabledDepartment() }
        let steps = departments.steps + departments.deletes()
        return OAToFeishuPlan(departments: steps, users: userSteps,
                              approvalReasons: approvalReasons(steps, userSteps, active: users.activeInScope, input: input),
                              activeOAUsers: users.activeInScope)
    }

    /// A plan deleting anything, or made after the OA lost more users than the threshold allows, waits for an admin.
    func approvalReasons(_ departments: [OAToFeishuPlan.DepartmentStep], _ users: [OAToFeishuPlan.UserStep], active: Int,
                         input: OAToFeishuInput) -> [LocalizedText]
    {
        var reasons: [LocalizedText] = []
        if let before = input.previousActiveOAUsers, before > active, settings.threshold.isExceeded(removing: before - active, of: before) {
            reasons.append("the OA's active users fell from \(before) to \(active) since the last run, past the decrease threshold")
        }
        let deletedUsers = users.filter { $0.action == .delete || $0.action == .deleteOutOfScope }.count
        let deletedDepartments = departments.filter { $0.action == .delete }.count
        if deletedUsers + deletedDepartments > 0 {
            reasons.append("the plan deletes \(deletedUsers) users and \(deletedDepartments) departments from Feishu")
        }
        return reasons
    }
}

/// The department half of a plan: which Feishu department each OA department is (or becomes).
struct DepartmentPlan {
    /// OA department id → its Feishu id, or `oa:<id>` while it is to be created.
    private(set) var feishuID: [String: String] = [:]
    private(set) var steps: [OAToFeishuPlan.DepartmentStep] = []
    /// OA departments in scope (with their sub-departments).
    let inScope: Set<String>
    let mount: String
    private let feishuByID: [String: MirrorDepartment]
    private let feishuChildren: [String: [MirrorDepartment]]
    private var matchedFeishu: Set<String> = []
    /// The name of the department disabled users move to (nil: they stay).
    let disabledName: String?

    init(_ input: OAToFeishuInput, _ settings: OAToFeishuSettings) throws(OAToFeishuPlanError) {
        feishuByID = Dictionary(input.feishuDepartments.map { ($0.openDepartmentID, $0) }, uniquingKeysWith: { first, _ in first })
        // Siblings in Feishu's order, so that the same directory always gives the same plan.
        feishuChildren = Dictionary(grouping: input.feishuDepartments.filter { $0.openDepartmentID != OAToFeishuPlanner.root },
                                    by: \.parentOpenDepartmentID)
            .mapValues { $0.sorted { ($0.order, $0.name, $0.openDepartmentID) < ($1.order, $1.name, $1.openDepartmentID) } }
        mount = settings.topDepartmentID ?? OAToFeishuPlanner.root
        disabledName = settings.leaverAction == .disable ? settings.disabledDepartmentName.flatMap(\.nilIfEmpty) : nil
        if mount != OAToFeishuPlanner.root, feishuByID[mount] == nil { throw .topDepartmentMissing(mount) }

        let oaByID = Dictionary(input.oaDepartments.map { ($0.oaID, $0) }, uniquingKeysWith: { first, _ in first })
        let children = Dictionary(grouping: input.oaDepartments.filter { $0.parentOaID.map { oaByID[$0] != nil } ?? false },
                                  by: { $0.parentOaID ?? "" }).mapValues(Self.ordered)
        let tops = Self.ordered(input.oaDepartments.filter { $0.parentOaID.map { oaByID[$0] == nil } ?? true })
        inScope = Self.scope(settings.includeDepartments, all: oaByID, children: children)
        // Written: the departments in scope, those of users included by name, and the ancestors that hold them.
        var written = inScope
        let included = Set(settings.includeUsers).subtracting(settings.excludeUsers)
        for user in input.oaUsers where included.contains(user.oaID) && user.status == "active" {
            let ids = IDList.decode(user.departmentOaIDs)
            written.formUnion((settings.includePartTimeDepartments ? ids : Array(ids.prefix(1))).filter { oaByID[$0] != nil })
        }
        for id in written {
            var parent = oaByID[id]?.parentOaID
            while let current = parent, let department = oaByID[current], written.insert(current).inserted { parent = department.parentOaID }
        }

        var queue: [(department: OADepartmentRecord, parent: String, path: [String])] = []
        if settings.topDepartmentID == nil {
            // No top department: the OA's top level stands for the Feishu root.
            let writtenTops = tops.filter { written.contains($0.oaID) }
            if writtenTops.count > 1 { throw .severalTopLevels(writtenTops.map(\.name)) }
            if let top = writtenTops.first {
                guard top.name == input.feishuRootName else { throw .topLevelNameDiffers(oa: top.name, feishu: input.feishuRootName) }
                feishuID[top.oaID] = OAToFeishuPlanner.root
                matchedFeishu.insert(OAToFeishuPlanner.root)
                steps.append(.init(action: .match, oaID: top.oaID, feishuID: OAToFeishuPlanner.root, name: top.name, parent: "",
                                   path: [top.name], reason: "the OA's top level is the Feishu organisation"))
                queue = (children[top.oaID] ?? []).filter { written.contains($0.oaID) }.map { ($0, OAToFeishuPlanner.root, [top.name]) }
            }
        } else {
            let mountName = feishuByID[mount]?.name ?? mount
            queue = tops.filter { written.contains($0.oaID) }.map { ($0, mount, [mountName]) }
        }
        var index = 0
        while index < queue.count {
            let (department, parent, path) = queue[index]
            index += 1
            let id = place(department, parent: parent, path: path, links: input.departmentLinks)
            let below = (children[department.oaID] ?? []).filter { written.contains($0.oaID) }
            queue += below.map { ($0, id, path + [department.name]) }
        }
    }

    /// Matches `department` under `parent` (a Feishu id or a pending one) and returns its Feishu (or pending) id.
    private mutating func place(_ department: OADepartmentRecord, parent: String, path: [String], links: [String: String]) -> String {
        let reasonPath = path + [department.name]
        if let linked = links[department.oaID], let existing = feishuByID[linked], !matchedFeishu.contains(linked) {
            matchedFeishu.insert(linked)
            feishuID[department.oaID] = linked
            let moved = existing.parentOpenDepartmentID != parent, renamed = existing.name != department.name
            steps.append(.init(action: moved || renamed ? .update : .match, oaID: department.oaID, feishuID: linked, name: department.name,
                               parent: parent, path: reasonPath,
                               reason: moved || renamed ? "the OA renamed or moved the department (was \(existing.name))"
                                   : "the department an earlier run made"))
            return linked
        }
        if let match = feishuChildren[parent]?.first(where: { $0.name == department.name && !matchedFeishu.contains($0.openDepartmentID) }) {
            matchedFeishu.insert(match.openDepartmentID)
            feishuID[department.oaID] = match.openDepartmentID
            steps.append(.init(action: .match, oaID: department.oaID, feishuID: match.openDepartmentID, name: department.name,
                               parent: parent, path: reasonPath, reason: "same level and name in Feishu"))
            return match.openDepartmentID
        }
        let pending = OAToFeishuPlanner.pending(department.oaID)
        feishuID[department.oaID] = pending
        steps.append(.init(action: .create, oaID: department.oaID, feishuID: nil, name: department.name, parent: parent, path: reasonPath,
                           reason: "no Feishu department of this name at this level"))
        return pending
    }

    /// The disabled users' department under the mount point: an existing one of that name, or one to create.
    var disabledDepartment: String? {
        guard let disabledName else { return nil }
        return feishuChildren[mount]?.first { $0.name == disabledName }?.openDepartmentID ?? Self.disabledPending
    }

    /// Adds the disabled users' department to the steps (a disable moves a user there).
    mutating func addDisabledDepartment() {
        guard let disabledName, let id = disabledDepartment else { return }
        let path = [feishuByID[mount]?.name ?? "", disabledName]
        let exists = id != Self.disabledPending
        steps.append(.init(action: exists ? .match : .create, oaID: nil, feishuID: exists ? id : nil, name: disabledName, parent: mount,
                           path: path, reason: exists ? "where disabled users go" : "where disabled users go (created when first needed)"))
    }

    static var disabledPending: String { OAToFeishuPlanner.disabledPending }

    /// Feishu departments under the mount point that nothing matched, deepest first: they go once emptied.
    func deletes() -> [OAToFeishuPlan.DepartmentStep] {
        var result: [OAToFeishuPlan.DepartmentStep] = []
        func visit(_ id: String, path: [String]) {
            for child in feishuChildren[id] ?? [] {
                // The disabled users' department is the bridge's own, with everything in it.
                if id == mount, child.name == disabledName { continue }
                visit(child.openDepartmentID, path: path + [child.name])
                if !matchedFeishu.contains(child.openDepartmentID) {
                    result.append(.init(action: .delete, oaID: nil, feishuID: child.openDepartmentID, name: child.name, parent: id,
                                        path: path + [child.name], reason: "no OA department in scope is this department"))
                }
            }
        }
        visit(mount, path: [feishuByID[mount]?.name ?? ""])
        return result
    }

    /// Siblings in the OA's order (then by name, then id).
    static func ordered(_ departments: [OADepartmentRecord]) -> [OADepartmentRecord] {
        departments.sorted { ($0.sortOrder, $0.name, $0.oaID) < ($1.sortOrder, $1.name, $1.oaID) }
    }

    /// The OA departments in scope: the included ones with everything below them (all when none is named).
    static func scope(_ include: [String], all: [String: OADepartmentRecord], children: [String: [OADepartmentRecord]]) -> Set<String> {
        guard !include.isEmpty else { return Set(all.keys) }
        var result: Set<String> = []
        var stack = include.filter { all[$0] != nil }
        while let id = stack.popLast() {
            guard result.insert(id).inserted else { continue }
            stack += (children[id] ?? []).map(\.oaID)
        }
        return result
    }
}
