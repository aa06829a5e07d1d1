import Foundation

/// How an enterprise's directory is written from the OA to Feishu (mode 3, seed 4.2.3 / 4.3.2 同步通讯录到飞书): where
/// the OA tree hangs, which users are created, which fields follow the OA, what happens to leavers, which part of the
/// OA is in scope, and the safety threshold.
public struct OAToFeishuSettings: Codable, Sendable, Equatable {
    /// What happens in Feishu to a bound user who left the OA (离职用户处理方式).
    public enum LeaverAction: String, Codable, Sendable, CaseIterable {
        /// Freeze the account (`is_frozen`); deleted later when `deleteDisabledAfterDays` says so.
        case disable
        case delete
    }

    /// The interface permission (接口参数设置): read-only (the default) runs only Feishu → bridge, and every write to
    /// Feishu is refused; read-write also runs OA → Feishu. A preview works in both.
    public var writable: Bool
    /// The Feishu department the OA tree is mounted under (顶级部门): the OA's top-level departments become its
    /// sub-departments (`"0"`: the root's). Nil: the OA's one top-level department *is* the Feishu root and must carry
    /// the organisation's name (the manual's rule).
    public var topDepartmentID: String?
    /// Create OA users that have no Feishu user (新用户是否添加到飞书); off = only report them.
    public var createUsers: Bool
    /// The OA field that becomes a new Feishu user's account (`user_id`).
    public var accountField: OAUserField
    /// OA field → Feishu field; `synced` fields follow the OA on every run, the others are set when a user is created.
    public var fieldMapping: [FieldMapping]
    /// Part-time departments (兼职部门) too, or the primary department only. Feishu takes at most 50.
    public var includePartTimeDepartments: Bool
    public var leaverAction: LeaverAction
    /// A user disabled by a run is deleted this many days later; nil or 0 = never.
    public var deleteDisabledAfterDays: Int?
    /// Disabled users are moved to a department of this name under the mount point (禁用成员是否移动到统一部门,
    /// created when first needed); nil = they stay where they are.
    public var disabledDepartmentName: String?
    /// The OA departments in scope, with their sub-departments; empty = all (范围设置).
    public var includeDepartments: [String]
    /// OA users in scope whatever their department.
    public var includeUsers: [String]
    /// OA users never written, whatever else says (exclude wins).
    public var excludeUsers: [String]
    /// The user-decrease safety threshold (安全设置).
    public var threshold: DecreaseThreshold

    public static let defaultDisabledDepartmentName = "已禁用用户"

    public static let standard = OAToFeishuSettings(
        writable: false, topDepartmentID: nil, createUsers: true, accountField: .loginID,
        fieldMapping: [FieldMapping(oa: .name, feishu: .name), FieldMapping(oa: .mobile, feishu: .mobile),
                       FieldMapping(oa: .email, feishu: .email), FieldMapping(oa: .employeeNo, feishu: .employeeNo),
                       FieldMapping(oa: .title, feishu: .jobTitle)],
        includePartTimeDepartments: false, leaverAction: .disable, deleteDisabledAfterDays: nil,
        disabledDepartmentName: defaultDisabledDepartmentName, includeDepartments: [], includeUsers: [], excludeUsers: [],
        threshold: .standard)

    public init(writable: Bool, topDepartmentID: String?, createUsers: Bool, accountField: OAUserField, fieldMapping: [FieldMapping],
                includePartTimeDepartments: Bool, leaverAction: LeaverAction, deleteDisabledAfterDays: Int?,
                disabledDepartmentName: String?, includeDepartments: [String], includeUsers: [String], excludeUsers: [String],
                threshold: DecreaseThreshold)
    {
        self.writable = writable
        self.topDepartmentID = topDepartmentID
        self.createUsers = createUsers
        self.accountField = accountField
        self.fieldMapping = fieldMapping
        self.includePartTimeDepartments = includePartTimeDepartments
        self.leaverAction = leaverAction
        self.deleteDisabledAfterDays = deleteDisabledAfterDays
        self.disabledDepartmentName = disabledDepartmentName
        self.includeDepartments = includeDepartments
        self.includeUsers = includeUsers
        self.excludeUsers = excludeUsers
        self.threshold = threshold
    }

    /// One OA field written to one Feishu field.
    public struct FieldMapping: Codable, Sendable, Equatable {
        public var oa: OAUserField
        public var feishu: FeishuUserField
        /// Kept in step on every run (else only set at creation).
        public var synced: Bool

        public init(oa: OAUserField, feishu: FeishuUserField, synced: Bool = true) {
            self.oa = oa
            self.feishu = feishu
            self.synced = synced
        }
    }
}

/// A field of an OA user the bridge keeps.
public enum OAUserField: String, Codable, Sendable, CaseIterable {
    case oaID, loginID, name, mobile, email, employeeNo, title

    public func value(of user: OAUserRecord) -> String? {
        let value: String? = switch self {
        case .oaID: user.oaID
        case .loginID: user.loginID
        case .name: user.name
        case .mobile: user.mobile
        case .email: user.email
        case .employeeNo: user.employeeNo
        case .title: user.title
        }
        return value.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
    }
}

/// A field of a Feishu user the bridge writes.
public enum FeishuUserField: String, Codable, Sendable, CaseIterable {
    case name, enName, mobile, email, employeeNo, jobTitle

    public func value(of user: MirrorUser) -> String? {
        let value: String? = switch self {
        case .name: user.name
        case .enName: user.enName
        case .mobile: user.mobile
        case .email: user.email
        case .employeeNo: user.employeeNo
        case .jobTitle: user.jobTitle
        }
        return value.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
    }

    /// Whether two values are the same for Feishu: mobiles by their digits with the country code, emails without case.
    public func same(_ lhs: String?, _ rhs: String?) -> Bool {
        switch self {
        case .mobile:
            if lhs == rhs { return true }
            return lhs.map { BindingField.normalizeMobile($0) ?? $0 } == rhs.map { BindingField.normalizeMobile($0) ?? $0 }
        case .email: return lhs?.lowercased() == rhs?.lowercased()
        default: return lhs == rhs
        }
    }
}
