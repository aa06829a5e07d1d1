import Foundation

/// What an app's contact scope (通讯录权限范围) lets it see, resolved against the org: everything, or some
/// departments (with their subtrees) and some users.
struct ScopeView: Sendable {
    var all: Bool
    var departments: Set<String>
    var users: Set<Int>
}

/// The apps' visibility rules, read by the contact APIs and by IM (a bot reaches the users it can see).
extension Org {
    func scope(of app: EmulatorConfiguration.App) -> ScopeView {
        guard case .limited(let departmentIDs, let userIDs) = app.scope else {
            return ScopeView(all: true, departments: [], users: [])
        }
        let departments = Set(departmentIDs.compactMap { department(id: $0, type: .departmentID)?.openID })
        let users = Set(userIDs.compactMap { user(id: $0, type: .userID, app: app.appID)?.key })
        return ScopeView(all: false, departments: departments, users: users)
    }

    func isVisible(department openID: String, in scope: ScopeView) -> Bool {
        if scope.all { return true }
        if openID == rootDepartment { return false }
        var current: String? = openID
        while let id = current, id != rootDepartment {
            if scope.departments.contains(id) { return true }
            current = departments[id]?.parent
        }
        return false
    }

    func isVisible(user: User, in scope: ScopeView) -> Bool {
        scope.all || scope.users.contains(user.key) || user.departments.contains { isVisible(department: $0, in: scope) }
    }
}
