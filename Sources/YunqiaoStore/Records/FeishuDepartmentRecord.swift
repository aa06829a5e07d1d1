import Foundation
import GRDB
import YunqiaoCore

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

extension FeishuDepartmentRecord {
    /// The columns, for requests (`FeishuDepartmentRecord.Columns.enterpriseId`).
    enum Columns {
        static let enterpriseId = Column(CodingKeys.enterpriseId)
        static let openDepartmentID = Column(CodingKeys.openDepartmentID)
        static let departmentID = Column(CodingKeys.departmentID)
        static let name = Column(CodingKeys.name)
        static let parentOpenDepartmentID = Column(CodingKeys.parentOpenDepartmentID)
        static let sortOrder = Column(CodingKeys.sortOrder)
        static let leaderOpenID = Column(CodingKeys.leaderOpenID)
        static let deletedAt = Column(CodingKeys.deletedAt)
        static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
