import Foundation

/// A Feishu department as the bridge mirrors it. Keyed by `openDepartmentID` (tenant-wide, same for every app).
public struct MirrorDepartment: Sendable, Equatable, Codable {
    public var openDepartmentID: String
    public var departmentID: String?
    public var name: String
    /// Open id of the parent, `"0"` under the root.
    public var parentOpenDepartmentID: String
    public var order: Int
    public var leaderOpenID: String?

    public init(openDepartmentID: String, departmentID: String? = nil, name: String, parentOpenDepartmentID: String,
                order: Int = 0, leaderOpenID: String? = nil)
    {
        self.openDepartmentID = openDepartmentID
        self.departmentID = departmentID
        self.name = name
        self.parentOpenDepartmentID = parentOpenDepartmentID
        self.order = order
        self.leaderOpenID = leaderOpenID
    }
}

/// A Feishu user as the bridge mirrors it. Keyed by `unionID` (stable across one developer's apps); all three ids
/// are kept because messages, binding and login each speak a different one.
public struct MirrorUser: Sendable, Equatable, Codable {
    public struct Status: Sendable, Equatable, Codable {
        public var isFrozen: Bool
        public var isResigned: Bool
        public var isActivated: Bool

        public init(isFrozen: Bool = false, isResigned: Bool = false, isActivated: Bool = true) {
            self.isFrozen = isFrozen
            self.isResigned = isResigned
            self.isActivated = isActivated
        }
    }

    public var unionID: String
    public var openID: String?
    public var userID: String?
    public var name: String
    public var enName: String?
    public var email: String?
    public var mobile: String?
    public var employeeNo: String?
    public var jobTitle: String?
    public var employeeType: Int?
    /// Open department ids, primary department first; the others are part-time (兼职) departments. `"0"` = root.
    public var departmentIDs: [String]
    public var leaderOpenID: String?
    /// `nil` when the app has no field scope for the status.
    public var status: Status?

    public init(unionID: String, openID: String? = nil, userID: String? = nil, name: String, enName: String? = nil,
                email: String? = nil, mobile: String? = nil, employeeNo: String? = nil, jobTitle: String? = nil,
                employeeType: Int? = nil, departmentIDs: [String] = [], leaderOpenID: String? = nil, status: Status? = Status())
    {
        self.unionID = unionID
        self.openID = openID
        self.userID = userID
        self.name = name
        self.enName = enName
        self.email = email
        self.mobile = mobile
        self.employeeNo = employeeNo
        self.jobTitle = jobTitle
        self.employeeType = employeeType
        self.departmentIDs = departmentIDs
        self.leaderOpenID = leaderOpenID
        self.status = status
    }
}

/// Everything one full read of a Feishu directory returned.
public struct DirectorySnapshot: Sendable {
    public var departments: [MirrorDepartment]
    public var users: [MirrorUser]

    public init(departments: [MirrorDepartment], users: [MirrorUser]) {
        self.departments = departments
        self.users = users
    }
}

/// What the mirror holds now (entries not marked deleted).
public struct DirectoryMirror: Sendable {
    public var departments: [String: MirrorDepartment]
    public var users: [String: MirrorUser]

    public init(departments: [String: MirrorDepartment] = [:], users: [String: MirrorUser] = [:]) {
        self.departments = departments
        self.users = users
    }
}
