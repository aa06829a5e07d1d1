import Foundation

/// The user half of a mode-3 plan.
///
/// - An active OA user in scope who is bound follows the OA: the synced fields of the mapping (a value the OA does not
///   have is left as it is in Feishu, never cleared) and the departments (the primary one first; part-time ones when
///   the settings say so, at most 50). One the bridge disabled earlier is enabled again.
/// - An active OA user in scope without a (living) Feishu user is created with every mapped field and bound, when the
///   settings allow creating users and the account field has a value; otherwise only reported.
/// - A bound user who left the OA, or is no longer in it, is disabled (and moved to the disabled users' department) or
///   deleted as the settings say; one disabled N days ago is deleted when `deleteDisabledAfterDays` is N or less.
/// - A bound user still active in the OA but out of scope is deleted from Feishu (the manual's rule), listed apart.
/// - Scope: in an included department (with its sub-departments) or an included user, and not an excluded user —
///   exclude wins.
struct UserPlanner {
    let input: OAToFeishuInput
    let settings: OAToFeishuSettings
    let departments: DepartmentPlan
    private(set) var activeInScope = 0
    private(set) var needsDisabledDepartment = false

    /// Feishu takes at most 50 departments per user.
    static let maxDepartments = 50

    init(input: OAToFeishuInput, settings: OAToFeishuSettings, departments: DepartmentPlan) {
        self.input = input
        self.settings = settings
        self.departments = departments
    }

    mutating func plan() -> [OAToFeishuPlan.UserStep] {
        let feishuByUnion = Dictionary(input.feishuUsers.map { ($0.unionID, $0) }, uniquingKeysWith: { first, _ in first })
        let included = Set(settings.includeUsers), excluded = Set(settings.excludeUsers)
        var steps: [OAToFeishuPlan.UserStep] = []
        var seen: Set<String> = []
        for user in input.oaUsers.sorted(by: { $0.oaID < $1.oaID }) {
            seen.insert(user.oaID)
            let bound = input.bindings[user.oaID].flatMap { feishuByUnion[$0] }
            let primary = IDList.decode(user.departmentOaIDs).first
            let inScope = !excluded.contains(user.oaID)
                && (included.contains(user.oaID) || primary.map { departments.inScope.contains($0) } ?? settings.includeDepartments.isEmpty)
            if user.status != "active" {
                if let bound, let step = leaver(bound, oaID: user.oaID, name: user.name, reason: "left the OA") { steps.append(step) }
            } else if !inScope {
                if let bound {
                    steps.append(.init(action: .deleteOutOfScope, oaID: user.oaID, unionID: bound.unionID, openID: bound.openID, name: user.name,
                                       reason: excluded.contains(user.oaID) ? "excluded from the sync: deleted from Feishu"
                                           : "out of the sync's scope: deleted from Feishu"))
                }
            } else {
                activeInScope += 1
                if let bound {
                    if let step = follow(user, bound) { steps.append(step) }
                } else {
                    steps.append(create(user))
                }
            }
        }
        // Bound users whom the OA no longer has at all.
        for (oaID, unionID) in input.bindings.sorted(by: { $0.key < $1.key }) where !seen.contains(oaID) {
            guard let bound = feishuByUnion[unionID] else { continue }
            if let step = leaver(bound, oaID: oaID, name: bound.name, reason: "no longer in the OA") { steps.append(step) }
        }
        return steps
    }

    /// The departments `user` belongs in, in Feishu ids (or pending ones), primary first.
    func departmentIDs(_ user: OAUserRecord) -> [String] {
        let oaIDs = IDList.decode(user.departmentOaIDs)
        let wanted = settings.includePartTimeDepartments ? oaIDs : Array(oaIDs.prefix(1))
        var result: [String] = []
        for id in wanted {
            guard let feishu = departments.feishuID[id], !result.contains(feishu) else { continue }
            result.append(feishu)
        }
        return result.isEmpty ? [departments.mount] : Array(result.prefix(Self.maxDepartments))
    }

    /// The values the mapping gives `user`, field by field (only fields with a value), as Feishu takes them: a mobile
    /// with its country code (`+8613800001008`).
    func values(_ user: OAUserRecord, syncedOnly: Bool) -> [(FeishuUserField, String)] {
        settings.fieldMapping.compactMap { mapping in
            guard !syncedOnly || mapping.synced, let value = mapping.oa.value(of: user) else { return nil }
            return (mapping.feishu, mapping.feishu == .mobile ? BindingField.normalizeMobile(value) ?? value : value)
        }
    }

    func follow(_ user: OAUserRecord, _ feishu: MirrorUser) -> OAToFeishuPlan.UserStep? {
        let changes = values(user, syncedOnly: true).compactMap { field, value -> OAToFeishuPlan.UserStep.Change? in
            let old = field.value(of: feishu)
            return field.same(old, value) ? nil : .init(field: field, old: old, new: value)
        }
        let wanted = departmentIDs(user)
        let moved = wanted.first != feishu.departmentIDs.first || Set(wanted) != Set(feishu.departmentIDs)
        let frozenByUs = feishu.status?.isFrozen == true && input.disabledAt[feishu.unionID] != nil
        if frozenByUs {
            return .init(action: .enable, oaID: user.oaID, unionID: feishu.unionID, openID: feishu.openID, name: user.name, changes: changes,
                         departments: moved ? wanted : nil, reason: "active in the OA again: unfrozen")
        }
        guard !changes.isEmpty || moved else { return nil }
        let reason: LocalizedText = switch (changes.isEmpty, moved) {
        case (false, true): "the OA changed \(changes.map(\.field.rawValue).joined(separator: ", ")) and the departments"
        case (false, false): "the OA changed \(changes.map(\.field.rawValue).joined(separator: ", "))"
        default: "the OA moved the user"
        }
        return .init(action: .update, oaID: user.oaID, unionID: feishu.unionID, openID: feishu.openID, name: user.name, changes: changes,
                     departments: moved ? wanted : nil, reason: reason)
    }

    func create(_ user: OAUserRecord) -> OAToFeishuPlan.UserStep {
        guard settings.createUsers else {
            return .init(action: .skip, oaID: user.oaID, unionID: nil, name: user.name,
                         reason: "no Feishu user, and creating users is off")
        }
        guard let account = settings.accountField.value(of: user) else {
            return .init(action: .skip, oaID: user.oaID, unionID: nil, name: user.name,
                         reason: "no \(settings.accountField.rawValue) to make the Feishu account of")
        }
        let changes = values(user, syncedOnly: false).map { OAToFeishuPlan.UserStep.Change(field: $0.0, old: nil, new: $0.1) }
        // Feishu creates a user only with a name and a mobile: without them the create is only reported.
        for required in [FeishuUserField.name, .mobile] where !changes.contains(where: { $0.field == required }) {
            return .init(action: .skip, oaID: user.oaID, unionID: nil, name: user.name,
                         reason: "no \(required.rawValue) in the OA: Feishu creates a user only with a name and a mobile")
        }
        return .init(action: .create, oaID: user.oaID, unionID: nil, name: user.name, account: account, changes: changes,
                     departments: departmentIDs(user), reason: "in the OA, not yet in Feishu")
    }

    /// What happens to a bound Feishu user whose OA user left (or is gone).
    mutating func leaver(_ feishu: MirrorUser, oaID: String, name: String, reason: LocalizedText) -> OAToFeishuPlan.UserStep? {
        if settings.leaverAction == .delete {
            return .init(action: .delete, oaID: oaID, unionID: feishu.unionID, openID: feishu.openID, name: name, reason: "\(reason): deleted")
        }
        if feishu.status?.isFrozen == true {
            guard let since = input.disabledAt[feishu.unionID], let days = settings.deleteDisabledAfterDays, days > 0,
                  input.now >= since.addingTimeInterval(Double(days) * 86_400)
            else { return nil }
            return .init(action: .delete, oaID: oaID, unionID: feishu.unionID, openID: feishu.openID, name: name,
                         reason: "disabled \(days) days ago or more: deleted")
        }
        var moveTo: [String]?
        if let department = departments.disabledDepartment {
            needsDisabledDepartment = true
            moveTo = [department]
        }
        return .init(action: .disable, oaID: oaID, unionID: feishu.unionID, openID: feishu.openID, name: name, departments: moveTo, reason: "\(reason): disabled")
    }
}
