import Foundation

/// What changed in the org since contact events were last made: each department and user touched, in the order of
/// their first change, with its state before that change (nil: it is new).
struct OrgChanges: Sendable {
    struct Touch<Key: Hashable & Sendable, Value: Sendable>: Sendable {
        var key: Key
        var before: Value?
    }

    private(set) var departments: [Touch<String, Department>] = []
    private(set) var users: [Touch<Int, User>] = []
    private var seenDepartments: Set<String> = []
    private var seenUsers: Set<Int> = []

    var isEmpty: Bool { departments.isEmpty && users.isEmpty }

    mutating func touch(department key: String, before: Department?) {
        if seenDepartments.insert(key).inserted { departments.append(Touch(key: key, before: before)) }
    }

    mutating func touch(user key: Int, before: User?) {
        if seenUsers.insert(key).inserted { users.append(Touch(key: key, before: before)) }
    }
}

/// A contact event for one app, before the platform wraps it in its envelope (`feishu-api.md` §3.7).
struct PendingEvent: Sendable {
    var appID: String
    var type: String
    var event: JSON
}

/// The contact events (v2.0, `feishu-api.md` §3.7) that changes of the org make, for each app that can see what changed.
///
/// - A department: `created`, `updated` (with `old_object` holding the changed fields' old values), `deleted`.
/// - A user: `created` (new, or a resigned user back), `updated` (with the changed fields' old values), `deleted`
///   (resigned; `old_object` has the departments the user was in).
/// - Departments created or changed come first, then users, then deleted departments, so an app that applies them in
///   order never meets a user in a department it does not know yet.
/// Objects carry the ids an event carries: open_id of the receiving app, union_id, user_id (unless withheld) and open
/// department ids; field scopes apply (withheld fields are left out), as in the API's answers.
extension ContactState {
    mutating func events(for changes: OrgChanges, apps: [App]) -> [PendingEvent] {
        var changed: [PendingEvent] = []
        var deleted: [PendingEvent] = []
        for app in apps {
            let scope = org.scope(of: app)
            for touch in changes.departments {
                let after = org.departments[touch.key]
                switch (touch.before, after) {
                case (nil, let department?) where org.isVisible(department: department.openID, in: scope):
                    changed.append(PendingEvent(appID: app.appID, type: "contact.department.created_v3",
                                                event: ["object": eventObject(department, app: app)]))
                case (let old?, let department?) where org.isVisible(department: department.openID, in: scope):
                    let oldObject = eventObject(old, app: app)
                    let newObject = eventObject(department, app: app)
                    guard let changedFields = Self.changedFields(old: oldObject, new: newObject) else { continue }
                    changed.append(PendingEvent(appID: app.appID, type: "contact.department.updated_v3",
                                                event: ["object": newObject, "old_object": changedFields]))
                case (let old?, nil) where scope.departments.contains(old.openID) || org.isVisible(department: old.parent, in: scope):
                    deleted.append(PendingEvent(appID: app.appID, type: "contact.department.deleted_v3", event: [
                        "object": eventObject(old, app: app, deleted: true),
                        "old_object": ["status": ["is_deleted": false], "open_department_id": .string(old.openID)],
                    ]))
                default:
                    continue
                }
            }
            for touch in changes.users {
                guard let user = org.users[touch.key] else { continue }
                let wasLive = touch.before.map { !$0.status.isResigned } ?? false
                switch (wasLive, !user.status.isResigned) {
                case (false, true) where org.isVisible(user: user, in: scope):
                    changed.append(PendingEvent(appID: app.appID, type: "contact.user.created_v3",
                                                event: ["object": render(user, IDTypes(), app: app)]))
                case (true, true) where org.isVisible(user: user, in: scope):
                    guard let old = touch.before,
                          let changedFields = Self.changedFields(old: render(old, IDTypes(), app: app), new: render(user, IDTypes(), app: app))
                    else { continue }
                    changed.append(PendingEvent(appID: app.appID, type: "contact.user.updated_v3",
                                                event: ["object": render(user, IDTypes(), app: app), "old_object": changedFields]))
                case (true, false):
                    guard let old = touch.before, org.isVisible(user: old, in: scope) else { continue }
                    deleted.append(PendingEvent(appID: app.appID, type: "contact.user.deleted_v3", event: [
                        "object": render(user, IDTypes(), app: app),
                        "old_object": ["department_ids": .array(old.departments.map(JSON.string)),
                                       "open_id": .string(org.openID(of: user.key, app: app.appID))],
                    ]))
                default:
                    continue
                }
            }
        }
        // Users who left come before the departments they left (a department is deleted once empty).
        let leavers = deleted.filter { $0.type == "contact.user.deleted_v3" }
        return changed + leavers + deleted.filter { $0.type != "contact.user.deleted_v3" }
    }

    /// `contact.scope.updated_v3` for an app whose contact scope changed: the departments and users it sees now and did
    /// not see before (`added`), and those it no longer sees (`removed`). Nil when it sees the same.
    func scopeEvent(app: App, before: ScopeView, after: ScopeView) -> PendingEvent? {
        var added: (departments: [JSON], users: [JSON]) = ([], [])
        var removed: (departments: [JSON], users: [JSON]) = ([], [])
        for department in org.departments.values.sorted(by: { $0.sequence < $1.sequence }) {
            switch (org.isVisible(department: department.openID, in: before), org.isVisible(department: department.openID, in: after)) {
            case (false, true): added.departments.append(eventObject(department, app: app))
            case (true, false): removed.departments.append(eventObject(department, app: app))
            default: break
            }
        }
        for user in org.users.values.sorted(by: { $0.sequence < $1.sequence }) where !user.status.isResigned {
            switch (org.isVisible(user: user, in: before), org.isVisible(user: user, in: after)) {
            case (false, true): added.users.append(render(user, IDTypes(), app: app))
            case (true, false): removed.users.append(render(user, IDTypes(), app: app))
            default: break
            }
        }
        guard !(added.departments + added.users + removed.departments + removed.users).isEmpty else { return nil }
        return PendingEvent(appID: app.appID, type: "contact.scope.updated_v3", event: [
            "added": ["departments": .array(added.departments), "users": .array(added.users), "user_groups": []],
            "removed": ["departments": .array(removed.departments), "users": .array(removed.users), "user_groups": []],
        ])
    }

    /// A `DepartmentEvent`: the department as the API answers it with open ids, without member counts.
    private func eventObject(_ department: Department, app: App, deleted: Bool = false) -> JSON {
        var object: [String: JSON] = [
            "name": .string(department.name),
            "parent_department_id": .string(department.parent),
            "department_id": .string(department.customID),
            "open_department_id": .string(department.openID),
            "order": .string(String(department.order)),
            "unit_ids": [],
            "status": ["is_deleted": .bool(deleted)],
        ]
        if let leader = department.leaderUserKey {
            let id = org.openID(of: leader, app: app.appID)
            object["leader_user_id"] = .string(id)
            object["leaders"] = [["leader_type": 1, "leader_id": .string(id)]]
        }
        if let chat = department.chatID { object["chat_id"] = .string(chat) }
        return .object(object)
    }

    /// The old values of the fields that differ between two renderings (null for a field that was absent); nil when
    /// nothing differs.
    static func changedFields(old: JSON, new: JSON) -> JSON? {
        guard let before = old.objectValue, let after = new.objectValue else { return nil }
        var fields: [String: JSON] = [:]
        for key in Set(before.keys).union(after.keys) where before[key] != after[key] {
            fields[key] = before[key] ?? .null
        }
        return fields.isEmpty ? nil : .object(fields)
    }
}
