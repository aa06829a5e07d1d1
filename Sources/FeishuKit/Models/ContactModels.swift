import Foundation

/// Which user id a call speaks (`user_id_type`).
public enum UserIDType: String, Sendable, Codable, CaseIterable {
    case openID = "open_id", unionID = "union_id", userID = "user_id"
}

/// Which department id a call speaks (`department_id_type`).
public enum DepartmentIDType: String, Sendable, Codable, CaseIterable {
    case openDepartmentID = "open_department_id", departmentID = "department_id"
}

/// A department as the contact v3 API returns it. Decoded leniently: `order` comes as a string, counts may be absent.
public struct FeishuDepartment: Sendable, Equatable, Decodable {
    public var name: String
    public var openDepartmentID: String
    public var departmentID: String?
    public var parentDepartmentID: String
    public var order: Int
    public var leaderUserID: String?
    public var memberCount: Int?
    public var primaryMemberCount: Int?
    public var isDeleted: Bool
    public var i18nName: [String: String]

    public init(name: String, openDepartmentID: String, departmentID: String? = nil, parentDepartmentID: String, order: Int = 0,
                leaderUserID: String? = nil, memberCount: Int? = nil, isDeleted: Bool = false, i18nName: [String: String] = [:])
    {
        self.name = name
        self.openDepartmentID = openDepartmentID
        self.departmentID = departmentID
        self.parentDepartmentID = parentDepartmentID
        self.order = order
        self.leaderUserID = leaderUserID
        self.memberCount = memberCount
        self.primaryMemberCount = nil
        self.isDeleted = isDeleted
        self.i18nName = i18nName
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        guard let open = c.lenientString(AnyKey("open_department_id")) ?? c.lenientString(AnyKey("department_id")) else {
            throw DecodingError.keyNotFound(AnyKey("open_department_id"),
                                            .init(codingPath: c.codingPath, debugDescription: "a department without an id"))
        }
        openDepartmentID = open
        departmentID = c.lenientString(AnyKey("department_id"))
        name = c.lenientString(AnyKey("name")) ?? ""
        parentDepartmentID = c.lenientString(AnyKey("parent_department_id")) ?? "0"
        order = c.lenientInt(AnyKey("order")) ?? 0
        leaderUserID = c.lenientString(AnyKey("leader_user_id")).flatMap { $0.isEmpty ? nil : $0 }
        memberCount = c.lenientInt(AnyKey("member_count"))
        primaryMemberCount = c.lenientInt(AnyKey("primary_member_count"))
        isDeleted = c.lenient([String: Bool].self, AnyKey("status"))?["is_deleted"] ?? false
        i18nName = (c.lenient([String: String].self, AnyKey("i18n_name")) ?? [:]).filter { !$0.value.isEmpty }
    }
}

/// A user as the contact v3 API returns it. Every field but the ids may be missing (field scopes), and the
/// decoder never fails a page for a missing or oddly typed optional field.
public struct FeishuUser: Sendable, Equatable, Decodable {
    public struct Status: Sendable, Equatable, Codable {
        public var isFrozen = false
        public var isResigned = false
        public var isActivated = true
        public var isExited = false
        public var isUnjoin = false

        public init(isFrozen: Bool = false, isResigned: Bool = false, isActivated: Bool = true, isExited: Bool = false,
                    isUnjoin: Bool = false)
        {
            self.isFrozen = isFrozen
            self.isResigned = isResigned
            self.isActivated = isActivated
            self.isExited = isExited
            self.isUnjoin = isUnjoin
        }
    }

    public var openID: String?
    public var unionID: String?
    public var userID: String?
    public var name: String
    public var enName: String?
    public var email: String?
    public var enterpriseEmail: String?
    public var mobile: String?
    public var employeeNo: String?
    public var employeeType: Int?
    public var jobTitle: String?
    public var departmentIDs: [String]
    public var leaderUserID: String?
    public var gender: Int?
    public var city: String?
    public var joinTime: Int?
    /// `nil` when the app has no field scope for it.
    public var status: Status?

    public init(openID: String? = nil, unionID: String? = nil, userID: String? = nil, name: String, email: String? = nil,
                mobile: String? = nil, employeeNo: String? = nil, departmentIDs: [String] = [], status: Status? = Status())
    {
        self.openID = openID
        self.unionID = unionID
        self.userID = userID
        self.name = name
        self.email = email
        self.mobile = mobile
        self.employeeNo = employeeNo
        self.departmentIDs = departmentIDs
        self.status = status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        func text(_ key: String) -> String? { c.lenientString(AnyKey(key)).flatMap { $0.isEmpty ? nil : $0 } }
        openID = text("open_id")
        unionID = text("union_id")
        userID = text("user_id")
        guard openID != nil || unionID != nil || userID != nil else {
            throw DecodingError.keyNotFound(AnyKey("open_id"), .init(codingPath: c.codingPath, debugDescription: "a user without an id"))
        }
        name = text("name") ?? ""
        enName = text("en_name")
        email = text("email")
        enterpriseEmail = text("enterprise_email")
        mobile = text("mobile")
        employeeNo = text("employee_no")
        employeeType = c.lenientInt(AnyKey("employee_type"))
        jobTitle = text("job_title")
        departmentIDs = c.lenientStrings(AnyKey("department_ids"))
        leaderUserID = text("leader_user_id")
        gender = c.lenientInt(AnyKey("gender"))
        city = text("city")
        joinTime = c.lenientInt(AnyKey("join_time"))
        if let raw = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("status")) {
            var status = Status()
            status.isFrozen = raw.lenientBool(AnyKey("is_frozen")) ?? false
            status.isResigned = raw.lenientBool(AnyKey("is_resigned")) ?? false
            status.isActivated = raw.lenientBool(AnyKey("is_activated")) ?? true
            status.isExited = raw.lenientBool(AnyKey("is_exited")) ?? false
            status.isUnjoin = raw.lenientBool(AnyKey("is_unjoin")) ?? false
            self.status = status
        } else {
            status = nil
        }
    }
}

/// One page of a paged list.
public struct FeishuPage<Item: Decodable & Sendable>: Sendable, Decodable {
    public var items: [Item]
    public var hasMore: Bool
    public var pageToken: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        items = try c.decodeIfPresent([Item].self, forKey: AnyKey("items")) ?? []
        hasMore = c.lenientBool(AnyKey("has_more")) ?? false
        pageToken = c.lenientString(AnyKey("page_token")).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The app's contact scope (通讯录权限范围), one page of `GET /contact/v3/scopes`.
public struct FeishuScopePage: Sendable, Decodable {
    public var departmentIDs: [String]
    public var userIDs: [String]
    public var hasMore: Bool
    public var pageToken: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        departmentIDs = c.lenientStrings(AnyKey("department_ids"))
        userIDs = c.lenientStrings(AnyKey("user_ids"))
        hasMore = c.lenientBool(AnyKey("has_more")) ?? false
        pageToken = c.lenientString(AnyKey("page_token")).flatMap { $0.isEmpty ? nil : $0 }
    }
}
