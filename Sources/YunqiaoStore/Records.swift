import Foundation
import GRDB
import YunqiaoCore

public struct TenantRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "tenant"
    public var id: Int64?
    public var name: String
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A Feishu or Lark enterprise (tenant on the Feishu side) integrated by a Yunqiao tenant.
public struct EnterpriseRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "enterprise"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// `feishu` or `lark`.
    public var brand: String
    public var baseURL: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A self-built app of an enterprise. The secret is stored sealed (see ``SecretBox``).
public struct AppRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "app"
    public var id: Int64?
    public var enterpriseId: Int64
    public var name: String
    public var appID: String
    public var sealedSecret: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The OA homepage app the Feishu app opens, or nil.
    public var homepageAppId: Int64?
    /// A custom homepage URL, or nil.
    public var homepageURL: String?
    /// The app's Verification Token (飞书「事件与回调」), sealed like the secret; nil = not set. Card callbacks are
    /// refused while it is unset.
    public var sealedVerificationToken: String?
    /// The app's Encrypt Key, sealed like the secret; nil = not set (callbacks then arrive in plaintext and unsigned).
    public var sealedEncryptKey: String?

    /// Where the app's homepage leads.
    public var homepage: AppHomepage {
        if let homepageAppId { return .oaApp(homepageAppId) }
        if let homepageURL { return .custom(homepageURL) }
        return .none
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

struct FeishuDepartmentRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "feishuDepartment"
    var enterpriseId: Int64
    var openDepartmentID: String
    var departmentID: String?
    var name: String
    var parentOpenDepartmentID: String
    var sortOrder: Int
    var leaderOpenID: String?
    var deletedAt: Date?
    var updatedAt: Date

    init(_ department: MirrorDepartment, enterpriseId: Int64, at time: Date) {
        self.enterpriseId = enterpriseId
        openDepartmentID = department.openDepartmentID
        departmentID = department.departmentID
        name = department.name
        parentOpenDepartmentID = department.parentOpenDepartmentID
        sortOrder = department.order
        leaderOpenID = department.leaderOpenID
        deletedAt = nil
        updatedAt = time
    }

    var mirror: MirrorDepartment {
        MirrorDepartment(openDepartmentID: openDepartmentID, departmentID: departmentID, name: name,
                         parentOpenDepartmentID: parentOpenDepartmentID, order: sortOrder, leaderOpenID: leaderOpenID)
    }
}

struct FeishuUserRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "feishuUser"
    var enterpriseId: Int64
    var unionID: String
    var openID: String?
    var userID: String?
    var name: String
    var enName: String?
    var email: String?
    var mobile: String?
    var employeeNo: String?
    var jobTitle: String?
    var employeeType: Int?
    var departmentIDs: String
    var leaderOpenID: String?
    var isFrozen: Bool?
    var isResigned: Bool?
    var isActivated: Bool?
    var deletedAt: Date?
    var updatedAt: Date

    init(_ user: MirrorUser, enterpriseId: Int64, at time: Date) {
        self.enterpriseId = enterpriseId
        unionID = user.unionID
        openID = user.openID
        userID = user.userID
        name = user.name
        enName = user.enName
        email = user.email
        mobile = user.mobile
        employeeNo = user.employeeNo
        jobTitle = user.jobTitle
        employeeType = user.employeeType
        departmentIDs = Self.encode(user.departmentIDs)
        leaderOpenID = user.leaderOpenID
        isFrozen = user.status?.isFrozen
        isResigned = user.status?.isResigned
        isActivated = user.status?.isActivated
        deletedAt = nil
        updatedAt = time
    }

    var mirror: MirrorUser {
        var status: MirrorUser.Status?
        if let isFrozen, let isResigned, let isActivated {
            status = MirrorUser.Status(isFrozen: isFrozen, isResigned: isResigned, isActivated: isActivated)
        }
        return MirrorUser(unionID: unionID, openID: openID, userID: userID, name: name, enName: enName, email: email, mobile: mobile,
                          employeeNo: employeeNo, jobTitle: jobTitle, employeeType: employeeType,
                          departmentIDs: Self.decode(departmentIDs), leaderOpenID: leaderOpenID, status: status)
    }

    static func encode(_ ids: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(ids), as: UTF8.self)) ?? "[]"
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}

/// One sync run and its report.
public struct SyncRunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "syncRun"
    public var id: Int64?
    public var enterpriseId: Int64
    /// `feishu` for mode 1 (Feishu → bridge).
    public var kind: String
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var report: String?
    public var error: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var decodedReport: SyncReport? {
        report.flatMap { try? JSONDecoder().decode(SyncReport.self, from: Data($0.utf8)) }
    }
}
