import Foundation
import GRDB
import YunqiaoCore

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
        departmentIDs = IDList.encode(user.departmentIDs)
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
                          departmentIDs: IDList.decode(departmentIDs), leaderOpenID: leaderOpenID, status: status)
    }
}

extension FeishuUserRecord {
    /// The columns, for requests (`FeishuUserRecord.Columns.enterpriseId`).
    enum Columns {
        static let enterpriseId = Column(CodingKeys.enterpriseId)
        static let unionID = Column(CodingKeys.unionID)
        static let openID = Column(CodingKeys.openID)
        static let userID = Column(CodingKeys.userID)
        static let name = Column(CodingKeys.name)
        static let enName = Column(CodingKeys.enName)
        static let email = Column(CodingKeys.email)
        static let mobile = Column(CodingKeys.mobile)
        static let employeeNo = Column(CodingKeys.employeeNo)
        static let jobTitle = Column(CodingKeys.jobTitle)
        static let employeeType = Column(CodingKeys.employeeType)
        static let departmentIDs = Column(CodingKeys.departmentIDs)
        static let leaderOpenID = Column(CodingKeys.leaderOpenID)
        static let isFrozen = Column(CodingKeys.isFrozen)
        static let isResigned = Column(CodingKeys.isResigned)
        static let isActivated = Column(CodingKeys.isActivated)
        static let deletedAt = Column(CodingKeys.deletedAt)
        static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
