import Foundation

/// A user of the OA directory kept in the bridge (seed 4.2.4, 4.3.1).
public struct OAUserRecord: Codable, Sendable, Equatable {
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
        self.departmentOaIDs = IDList.encode(departmentOaIDs)
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
