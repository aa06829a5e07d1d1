import Foundation

/// The changes one sync applies to the mirror: source → **plan** → apply → report.
public struct SyncPlan: Sendable, Equatable {
    public struct Changes<Item: Sendable & Equatable>: Sendable, Equatable {
        public var created: [Item] = []
        /// Changed entries, moved ones included.
        public var updated: [Item] = []
        /// Keys of updated entries whose place changed (parent department, or a user's departments).
        public var moved: Set<String> = []
        /// Keys of entries gone from Feishu: marked deleted, never dropped.
        public var deleted: [String] = []
        /// Keys of entries no longer visible because they left the app's contact scope: reported, kept.
        public var outOfScope: [String] = []

        public init() {}

        public var isEmpty: Bool { created.isEmpty && updated.isEmpty && deleted.isEmpty }
    }

    public var departments = Changes<MirrorDepartment>()
    public var users = Changes<MirrorUser>()

    public init() {}

    public var isEmpty: Bool { departments.isEmpty && users.isEmpty }
}

/// Keys present in the mirror but absent from a snapshot, before the source says why.
public struct VanishedEntries: Sendable, Equatable {
    public var departments: [String]
    public var users: [String]

    public init(departments: [String], users: [String]) {
        self.departments = departments
        self.users = users
    }

    public var isEmpty: Bool { departments.isEmpty && users.isEmpty }
}

/// The source's verdict on vanished entries: really gone (deleted / resigned), or only outside the app's scope.
public struct VanishedVerdict: Sendable, Equatable {
    public var deletedDepartments: Set<String>
    public var deletedUsers: Set<String>

    public init(deletedDepartments: Set<String> = [], deletedUsers: Set<String> = []) {
        self.deletedDepartments = deletedDepartments
        self.deletedUsers = deletedUsers
    }
}

/// Pure planning: compares a snapshot with the mirror.
public enum SyncPlanner {
    /// Entries the mirror has and the snapshot lacks.
    public static func vanished(mirror: DirectoryMirror, snapshot: DirectorySnapshot) -> VanishedEntries {
        let departments = Set(snapshot.departments.map(\.openDepartmentID))
        let users = Set(snapshot.users.map(\.unionID))
        return VanishedEntries(departments: mirror.departments.keys.filter { !departments.contains($0) }.sorted(),
                               users: mirror.users.keys.filter { !users.contains($0) }.sorted())
    }

    /// The plan that makes the mirror equal to the snapshot. Vanished entries are deleted only when `verdict`
    /// says they are gone; the others are reported as out of scope and kept.
    public static func plan(mirror: DirectoryMirror, snapshot: DirectorySnapshot, verdict: VanishedVerdict) -> SyncPlan {
        var plan = SyncPlan()
        for department in snapshot.departments {
            guard let old = mirror.departments[department.openDepartmentID] else {
                plan.departments.created.append(department)
                continue
            }
            if old != department {
                plan.departments.updated.append(department)
                if old.parentOpenDepartmentID != department.parentOpenDepartmentID {
                    plan.departments.moved.insert(department.openDepartmentID)
                }
            }
        }
        for user in snapshot.users {
            guard let old = mirror.users[user.unionID] else {
                plan.users.created.append(user)
                continue
            }
            if old != user {
                plan.users.updated.append(user)
                if Set(old.departmentIDs) != Set(user.departmentIDs) { plan.users.moved.insert(user.unionID) }
            }
        }
        let gone = vanished(mirror: mirror, snapshot: snapshot)
        for key in gone.departments {
            if verdict.deletedDepartments.contains(key) { plan.departments.deleted.append(key) } else { plan.departments.outOfScope.append(key) }
        }
        for key in gone.users {
            if verdict.deletedUsers.contains(key) { plan.users.deleted.append(key) } else { plan.users.outOfScope.append(key) }
        }
        return plan
    }
}
