import FeishuKit
import Foundation
import YunqiaoCore

/// Reads a Feishu directory completely through ``FeishuClient``: the department tree, then every member of every
/// department (root members included), following `page_token` to the end and fetching departments concurrently.
/// It respects the app's contact scope: with "all members" it starts at the root, otherwise at the scope's entries.
public struct FeishuDirectoryReader: DirectorySource {
    let client: FeishuClient
    /// Departments whose members are read at the same time. The client's limiter keeps the total under the cap;
    /// this only has to be large enough to hide round trips (cap × latency).
    var concurrency = 24

    public func read(progress: (@Sendable (SyncProgress) -> Void)?) async throws -> DirectorySnapshot {
        var departments: [FeishuDepartment] = []
        var memberQueue: [String] = []
        var departmentPages: Paged<FeishuDepartment>.AsyncIterator?
        var scopeUsers: [String] = []
        do {
            // "All members": the first page of the tree proves it; the rest is read while members are fetched.
            var first = client.departmentChildren(of: "0", recursive: true).makeAsyncIterator()
            departments = try await first.next() ?? []
            memberQueue = ["0"] + departments.map(\.openDepartmentID)
            departmentPages = first.finished ? nil : first
        } catch let error as FeishuAPIError where error.isOutsideScope {
            // Not "all members": read what the contact scope lists.
            let scope = try await client.contactScope()
            scopeUsers = scope.userIDs
            var seen = Set<String>()
            for id in scope.departmentIDs {
                let top = try await client.department(id)
                let below = try await client.departmentChildren(of: id, recursive: true).collect()
                for department in [top] + below where seen.insert(department.openDepartmentID).inserted {
                    departments.append(department)
                }
            }
            memberQueue = departments.map(\.openDepartmentID)
        }

        let tracker = ProgressTracker(report: progress)
        await tracker.found(departments: memberQueue.count, estimate: Self.estimate(departments))

        enum Work: Sendable {
            case departments([FeishuDepartment], next: Paged<FeishuDepartment>.AsyncIterator?)
            case members([FeishuUser])
        }
        var users: [String: MirrorUser] = [:]
        try await withThrowingTaskGroup(of: Work.self) { group in
            var next = 0
            var running = 0
            func readPage(_ iterator: Paged<FeishuDepartment>.AsyncIterator) {
                group.addTask {
                    var pages = iterator
                    let page = try await pages.next() ?? []
                    return .departments(page, next: pages.finished ? nil : pages)
                }
            }
            func fill() {
                while running < concurrency, next < memberQueue.count {
                    let id = memberQueue[next]
                    next += 1
                    running += 1
                    group.addTask { [client] in
                        var members: [FeishuUser] = []
                        for try await page in client.usersInDepartment(id) { members += page }
                        return .members(members)
                    }
                }
            }
            if let departmentPages { readPage(departmentPages) }
            fill()
            while let work = try await group.next() {
                switch work {
                case .departments(let page, let more):
                    departments += page
                    memberQueue += page.map(\.openDepartmentID)
                    await tracker.found(departments: page.count, estimate: Self.estimate(page))
                    if let more { readPage(more) }
                case .members(let members):
                    running -= 1
                    for member in members { users[Self.key(member)] = Self.mirror(member) }
                    await tracker.departmentDone(usersSeen: users.count)
                }
                fill()
            }
        }
        if !scopeUsers.isEmpty {
            let read = Set(users.values.compactMap(\.openID))
            let missing = scopeUsers.filter { !read.contains($0) }
            for member in try await client.users(ids: missing) where member.status?.isResigned != true {
                users[Self.key(member)] = Self.mirror(member)
            }
        }
        return DirectorySnapshot(departments: departments.map(Self.mirror), users: users.values.sorted { $0.unionID < $1.unionID })
    }

    /// Users expected under top-level departments (their `member_count` covers the subtree).
    private static func estimate(_ departments: [FeishuDepartment]) -> Int {
        departments.filter { $0.parentDepartmentID == "0" }.compactMap(\.memberCount).reduce(0, +)
    }

    /// Decides, for entries the mirror has and the read did not return, whether they are gone from Feishu
    /// (deleted department, resigned or unknown user) or only outside the app's scope (kept and reported).
    public func verdict(on vanished: VanishedEntries, mirror: DirectoryMirror) async throws -> VanishedVerdict {
        var verdict = VanishedVerdict()
        var keyByOpenID: [String: String] = [:]
        for key in vanished.users { if let open = mirror.users[key]?.openID { keyByOpenID[open] = key } }
        var answered = Set<String>()
        for user in try await client.users(ids: Array(keyByOpenID.keys)) {
            guard let open = user.openID else { continue }
            answered.insert(open)
            if user.status?.isResigned == true, let key = keyByOpenID[open] { verdict.deletedUsers.insert(key) }
        }
        for key in vanished.users {
            guard let open = mirror.users[key]?.openID else {
                verdict.deletedUsers.insert(key)
                continue
            }
            guard !answered.contains(open) else { continue }
            if try await isGone({ _ = try await client.user(open) }) { verdict.deletedUsers.insert(key) }
        }
        let present = Set(try await client.departments(ids: vanished.departments).map(\.openDepartmentID))
        for key in vanished.departments where !present.contains(key) {
            if try await isGone({ _ = try await client.department(key) }) { verdict.deletedDepartments.insert(key) }
        }
        return verdict
    }

    /// `true` when the platform says the id does not exist; `false` when it exists but is outside the scope.
    private func isGone(_ lookup: () async throws -> Void) async throws -> Bool {
        do {
            try await lookup()
            return false
        } catch let error as FeishuAPIError {
            if error.isOutsideScope { return false }
            if [99992351, 99992360, 99992364, 99992357, 99992380, 40007, 40003].contains(error.code) { return true }
            throw error
        }
    }

    static func key(_ user: FeishuUser) -> String {
        user.unionID ?? user.userID.map { "user:" + $0 } ?? "open:" + (user.openID ?? "")
    }

    static func mirror(_ department: FeishuDepartment) -> MirrorDepartment {
        MirrorDepartment(openDepartmentID: department.openDepartmentID, departmentID: department.departmentID, name: department.name,
                         parentOpenDepartmentID: department.parentDepartmentID, order: department.order, leaderOpenID: department.leaderUserID)
    }

    static func mirror(_ user: FeishuUser) -> MirrorUser {
        MirrorUser(
            unionID: key(user), openID: user.openID, userID: user.userID, name: user.name, enName: user.enName, email: user.email,
            mobile: user.mobile, employeeNo: user.employeeNo, jobTitle: user.jobTitle, employeeType: user.employeeType,
            departmentIDs: user.departmentIDs, leaderOpenID: user.leaderUserID,
            status: user.status.map { MirrorUser.Status(isFrozen: $0.isFrozen, isResigned: $0.isResigned, isActivated: $0.isActivated) })
    }
}

/// Counts finished departments and tells the caller at most ~10 times a second.
private actor ProgressTracker {
    private var progress = SyncProgress()
    private let report: (@Sendable (SyncProgress) -> Void)?
    private var lastReport = ContinuousClock.now - .seconds(1)

    init(report: (@Sendable (SyncProgress) -> Void)?) {
        self.report = report
    }

    func found(departments: Int, estimate: Int) {
        progress.departmentsTotal += departments
        progress.usersEstimated += estimate
    }

    func departmentDone(usersSeen: Int) {
        progress.departmentsDone += 1
        progress.usersSeen = usersSeen
        let now = ContinuousClock.now
        if now - lastReport >= .milliseconds(100) || progress.departmentsDone == progress.departmentsTotal {
            lastReport = now
            report?(progress)
        }
    }
}
