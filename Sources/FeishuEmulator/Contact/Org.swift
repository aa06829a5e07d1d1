import Foundation

/// The virtual root department: `"0"` in both id types.
let rootDepartment = "0"

/// A department as the emulator stores it. `openID` (`od-…`) is the primary key.
struct Department: Sendable {
    var openID: String
    var customID: String
    var name: String
    var i18nName: [String: String] = [:]
    /// `openID` of the parent, or `"0"` under the root.
    var parent: String
    var order: Int
    var leaderUserKey: Int?
    var chatID: String?
    var sequence: Int
    /// The custom `department_id` can be changed once (`update_department_id`).
    var customIDChanged = false
}

/// A user as the emulator stores it. `key` is an internal, never-exposed primary key.
struct User: Sendable {
    struct Status: Sendable, Equatable {
        var isFrozen = false
        var isResigned = false
        var isActivated = true
        var isExited = false
        var isUnjoin = false
    }

    var key: Int
    var unionID: String
    var userID: String
    var name: String
    var enName: String = ""
    var nickname: String = ""
    var email: String = ""
    var enterpriseEmail: String = ""
    var mobile: String = ""
    var mobileVisible = true
    var gender = 0
    var departments: [String] = []  // open department ids, "0" = directly under root
    var leaderUserKey: Int?
    var city = ""
    var country = ""
    var workStation = ""
    var joinTime = 0
    var employeeNo = ""
    var employeeType = 1
    var jobTitle = ""
    var description = ""
    var isTenantManager = false
    var status = Status()
    var avatarSeed: String
    var sequence: Int
    /// The custom `user_id` can be changed once (`update_user_id`, else 40119).
    var userIDChanged = false
}

/// Which ids a caller speaks, from `user_id_type` and `department_id_type`.
struct IDTypes: Sendable {
    enum UserIDType: String, Sendable { case openID = "open_id", unionID = "union_id", userID = "user_id" }
    enum DepartmentIDType: String, Sendable { case openDepartmentID = "open_department_id", departmentID = "department_id" }
    var user: UserIDType = .openID
    var department: DepartmentIDType = .openDepartmentID
}

/// The tenant's organisation plus the indices the API needs. Mutated only inside ``EmulatorState``.
struct Org: Sendable {
    var tenantName: String
    var tenantKey: String
    private(set) var departments: [String: Department] = [:]
    private(set) var users: [Int: User] = [:]
    private var departmentByCustomID: [String: String] = [:]
    private var userByUserID: [String: Int] = [:]
    private var userByUnionID: [String: Int] = [:]
    private var userByMobile: [String: Int] = [:]
    private var userByEmail: [String: Int] = [:]
    /// open_id per app: `openIDs[appID][key]` and the reverse.
    private var openIDs: [String: [Int: String]] = [:]
    private var userByOpenID: [String: [String: Int]] = [:]
    private var childrenByParent: [String: [String]] = [:]
    private var membersByDepartment: [String: Set<Int>] = [:]
    /// Bumped on every change, so derived data (member counts) can be cached.
    private(set) var version = 0
    /// What changed since the last ``drainChanges()``: each entry touched, with its state before the first change (nil:
    /// it is new). Contact events are made from it (`Events/ContactEvents.swift`).
    private var changes = OrgChanges()
    private var nextSequence = 1
    private var nextUserKey = 1
    var random: SplitMix64

    init(tenantName: String, tenantKey: String, seed: UInt64) {
        self.tenantName = tenantName
        self.tenantKey = tenantKey
        self.random = SplitMix64(seed: seed)
    }

    // MARK: ids

    mutating func newHex(_ count: Int) -> String {
        var s = ""
        s.reserveCapacity(count)
        let digits = Array("0123456789abcdef")
        for _ in 0..<count { s.append(digits[Int(random.next() & 15)]) }
        return s
    }

    mutating func takeSequence() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    func isKnownApp(_ appID: String) -> Bool { openIDs[appID] != nil }

    /// Registers an app: every user gets an open_id for it.
    mutating func addApp(_ appID: String) {
        guard openIDs[appID] == nil else { return }
        openIDs[appID] = [:]
        userByOpenID[appID] = [:]
        for key in users.keys.sorted() { assignOpenID(app: appID, key: key) }
    }

    private mutating func assignOpenID(app: String, key: Int) {
        var openID = "ou_" + newHex(32)
        while userByOpenID[app]?[openID] != nil { openID = "ou_" + newHex(32) }
        openIDs[app, default: [:]][key] = openID
        userByOpenID[app, default: [:]][openID] = key
    }

    func openID(of key: Int, app: String) -> String { openIDs[app]?[key] ?? "" }

    /// True when `openID` is another app's open_id for someone in this tenant (not one of `app`'s own).
    func isOpenIDOfAnotherApp(_ openID: String, app: String) -> Bool {
        userByOpenID[app]?[openID] == nil && userByOpenID.contains { $0.key != app && $0.value[openID] != nil }
    }

    func allOpenIDs(of key: Int) -> [String: String] {
        var result: [String: String] = [:]
        for (app, map) in openIDs { if let id = map[key] { result[app] = id } }
        return result
    }

    // MARK: departments

    func department(id: String, type: IDTypes.DepartmentIDType) -> Department? {
        switch type {
        case .openDepartmentID: return departments[id]
        case .departmentID: return departmentByCustomID[id].flatMap { departments[$0] }
        }
    }

    /// Resolves a department id of the given type to its open id; `"0"` stays `"0"`.
    func resolveDepartment(_ id: String, type: IDTypes.DepartmentIDType) -> String? {
        if id == rootDepartment { return rootDepartment }
        return department(id: id, type: type)?.openID
    }

    func externalID(ofDepartment openID: String, type: IDTypes.DepartmentIDType) -> String {
        guard openID != rootDepartment, let department = departments[openID] else { return rootDepartment }
        return type == .openDepartmentID ? department.openID : department.customID
    }

    func children(of parent: String) -> [Department] {
        (childrenByParent[parent] ?? []).compactMap { departments[$0] }.sorted {
            ($0.order, $0.sequence) < ($1.order, $1.sequence)
        }
    }

    /// Every department below `parent`, breadth first (parents before their children).
    func descendants(of parent: String) -> [Department] {
        var queue = children(of: parent)
        var index = 0
        while index < queue.count {
            queue.append(contentsOf: children(of: queue[index].openID))
            index += 1
        }
        return queue
    }

    func isAncestor(_ ancestor: String, of openID: String) -> Bool {
        var current = departments[openID]?.parent
        while let id = current, id != rootDepartment {
            if id == ancestor { return true }
            current = departments[id]?.parent
        }
        return ancestor == rootDepartment
    }

    func siblingNameTaken(_ name: String, parent: String, except: String? = nil) -> Bool {
        children(of: parent).contains { $0.name == name && $0.openID != except }
    }

    func siblingOrderTaken(_ order: Int, parent: String, except: String? = nil) -> Bool {
        children(of: parent).contains { $0.order == order && $0.openID != except }
    }

    func nextOrder(under parent: String) -> Int {
        (children(of: parent).map(\.order).max() ?? 0) + 1000
    }

    func isCustomDepartmentIDTaken(_ id: String) -> Bool { departmentByCustomID[id] != nil }

    /// The changes since the last call, and a fresh start.
    mutating func drainChanges() -> OrgChanges {
        defer { changes = OrgChanges() }
        return changes
    }

    mutating func insertDepartment(_ department: Department) {
        version += 1
        changes.touch(department: department.openID, before: nil)
        departments[department.openID] = department
        departmentByCustomID[department.customID] = department.openID
        childrenByParent[department.parent, default: []].append(department.openID)
    }

    mutating func updateDepartment(_ department: Department) {
        version += 1
        guard let old = departments[department.openID] else { return }
        changes.touch(department: old.openID, before: old)
        if old.parent != department.parent {
            childrenByParent[old.parent]?.removeAll { $0 == old.openID }
            childrenByParent[department.parent, default: []].append(department.openID)
        }
        if old.customID != department.customID {
            departmentByCustomID[old.customID] = nil
            departmentByCustomID[department.customID] = department.openID
        }
        departments[department.openID] = department
    }

    mutating func removeDepartment(_ openID: String) {
        version += 1
        guard let old = departments.removeValue(forKey: openID) else { return }
        changes.touch(department: openID, before: old)
        departmentByCustomID[old.customID] = nil
        childrenByParent[old.parent]?.removeAll { $0 == openID }
        childrenByParent[openID] = nil
        membersByDepartment[openID] = nil
    }

    // MARK: users

    func user(id: String, type: IDTypes.UserIDType, app: String) -> User? {
        let key: Int?
        switch type {
        case .openID: key = userByOpenID[app]?[id]
        case .unionID: key = userByUnionID[id]
        case .userID: key = userByUserID[id]
        }
        return key.flatMap { users[$0] }
    }

    func externalID(ofUser key: Int, type: IDTypes.UserIDType, app: String) -> String {
        guard let user = users[key] else { return "" }
        switch type {
        case .openID: return openID(of: key, app: app)
        case .unionID: return user.unionID
        case .userID: return user.userID
        }
    }

    func user(mobile: String) -> User? { userByMobile[mobile].flatMap { users[$0] } }
    func user(email: String) -> User? { userByEmail[email.lowercased()].flatMap { users[$0] } }
    func isUserIDTaken(_ id: String) -> Bool { userByUserID[id] != nil }

    /// Direct, active members of a department, in creation order.
    func members(of department: String) -> [User] {
        (membersByDepartment[department] ?? []).compactMap { users[$0] }.filter { !$0.status.isResigned }
            .sorted { $0.sequence < $1.sequence }
    }

    func hasMembers(_ department: String) -> Bool {
        (membersByDepartment[department] ?? []).contains { users[$0]?.status.isResigned == false }
    }

    mutating func newUserKey() -> Int {
        defer { nextUserKey += 1 }
        return nextUserKey
    }

    mutating func insertUser(_ user: User) {
        version += 1
        changes.touch(user: user.key, before: nil)
        users[user.key] = user
        userByUserID[user.userID] = user.key
        userByUnionID[user.unionID] = user.key
        indexContacts(of: user)
        for department in user.departments { membersByDepartment[department, default: []].insert(user.key) }
        for app in openIDs.keys.sorted() { assignOpenID(app: app, key: user.key) }
    }

    mutating func updateUser(_ user: User) {
        version += 1
        guard let old = users[user.key] else { return }
        changes.touch(user: old.key, before: old)
        unindexContacts(of: old)
        for department in old.departments { membersByDepartment[department]?.remove(user.key) }
        if old.userID != user.userID {
            userByUserID[old.userID] = nil
            userByUserID[user.userID] = user.key
        }
        users[user.key] = user
        indexContacts(of: user)
        for department in user.departments { membersByDepartment[department, default: []].insert(user.key) }
    }

    private mutating func indexContacts(of user: User) {
        guard !user.status.isResigned else { return }
        if !user.mobile.isEmpty { userByMobile[user.mobile] = user.key }
        if !user.email.isEmpty { userByEmail[user.email.lowercased()] = user.key }
    }

    private mutating func unindexContacts(of user: User) {
        if userByMobile[user.mobile] == user.key { userByMobile[user.mobile] = nil }
        if userByEmail[user.email.lowercased()] == user.key { userByEmail[user.email.lowercased()] = nil }
    }

    // MARK: counts

    /// Users holding a licensed seat: everyone who has not resigned (frozen users too).
    var seatsTaken: Int { users.values.count { !$0.status.isResigned } }

    /// Members of each department counted over its whole subtree (`member_count`) and as primary department.
    func memberCounts() -> (all: [String: Int], primary: [String: Int]) {
        var all: [String: Int] = [:]
        var primary: [String: Int] = [:]
        for user in users.values where !user.status.isResigned {
            var seen = Set<String>()
            for (index, department) in user.departments.enumerated() {
                var current: String? = department
                while let id = current, id != rootDepartment, seen.insert(id).inserted {
                    all[id, default: 0] += 1
                    current = departments[id]?.parent
                }
                if index == 0 { primary[department, default: 0] += 1 }
            }
        }
        return (all, primary)
    }
}

/// A small, fast, seedable generator (SplitMix64) so a seed always yields the same org and fault pattern.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Org {
    /// Every department and user with all their ids, as `/_emulator/state` shows them.
    var operatorJSON: JSON {
        let departmentItems = self.departments.values.sorted { $0.sequence < $1.sequence }.map { department -> JSON in
            var item: [String: JSON] = [
                "open_department_id": .string(department.openID), "department_id": .string(department.customID),
                "name": .string(department.name), "parent_open_department_id": .string(department.parent),
                "order": .string(String(department.order)),
            ]
            if let leader = department.leaderUserKey, let user = users[leader] { item["leader_user_id"] = .string(user.userID) }
            return .object(item)
        }
        let userItems = self.users.values.sorted { $0.sequence < $1.sequence }.map { user -> JSON in
            [
                "user_id": .string(user.userID), "union_id": .string(user.unionID),
                "open_ids": .object(allOpenIDs(of: user.key).mapValues(JSON.string)),
                "name": .string(user.name), "mobile": .string(user.mobile), "email": .string(user.email),
                "employee_no": .string(user.employeeNo),
                "open_department_ids": .array(user.departments.map(JSON.string)),
                "is_frozen": .bool(user.status.isFrozen), "is_resigned": .bool(user.status.isResigned),
            ]
        }
        return ["departments": .array(departmentItems), "users": .array(userItems)]
    }
}
