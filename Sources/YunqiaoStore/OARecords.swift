import Foundation
import GRDB
import YunqiaoCore

/// A user of the OA directory kept in the bridge (seed 4.2.4, 4.3.1).
public struct OAUserRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaUser"
    public var tenantId: Int64
    /// The OA's own id of the user.
    public var oaID: String
    /// What the user types to log in to the OA.
    public var loginID: String
    public var name: String
    public var mobile: String?
    public var email: String?
    public var employeeNo: String?
    public var title: String?
    /// JSON array of OA department ids: the primary department first, part-time departments after.
    public var departmentOaIDs: String
    /// `active` or `left`.
    public var status: String
    /// A slow salted hash (never the password) for OA logins checked by the bridge itself.
    public var passwordHash: String?
    public var updatedAt: Date

    public init(tenantId: Int64, oaID: String, loginID: String, name: String, mobile: String? = nil, email: String? = nil,
                employeeNo: String? = nil, title: String? = nil, departmentOaIDs: [String] = [], status: String = "active",
                passwordHash: String? = nil, updatedAt: Date = Date())
    {
        self.tenantId = tenantId
        self.oaID = oaID
        self.loginID = loginID
        self.name = name
        self.mobile = mobile
        self.email = email
        self.employeeNo = employeeNo
        self.title = title
        self.departmentOaIDs = FeishuUserRecord.encode(departmentOaIDs)
        self.status = status
        self.passwordHash = passwordHash
        self.updatedAt = updatedAt
    }

    /// The user's values for matching with Feishu users (`userID` ⇄ the OA login id).
    public var bindingCandidate: BindingCandidate {
        var values: [BindingField: String] = [.userID: loginID]
        values[.mobile] = mobile
        values[.email] = email
        values[.employeeNo] = employeeNo
        return BindingCandidate(key: oaID, values: values)
    }
}

/// One OA user ⇄ one Feishu user per enterprise.
public struct BindingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "binding"
    public var enterpriseId: Int64
    public var oaUserID: String
    public var unionID: String
    public var openID: String?
    public var userID: String?
    /// `manual`, `auto`, `import` or `card`.
    public var method: String
    public var field: String?
    public var createdBy: String
    public var createdAt: Date
}

/// A Feishu user auto-bind could not bind; the admin resolves it.
public struct BindingConflictRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bindingConflict"
    public var enterpriseId: Int64
    public var unionID: String
    public var kind: String
    public var field: String
    public var value: String
    public var oaUserIDs: String
    public var createdAt: Date
}
