import Foundation
import GRDB
import YunqiaoCore

extension OAUserRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaUser"
}

extension OAUserRecord {
    /// The columns, for requests (`OAUserRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column("tenantId")
        public static let oaID = Column("oaID")
        public static let loginID = Column("loginID")
        public static let name = Column("name")
        public static let mobile = Column("mobile")
        public static let email = Column("email")
        public static let employeeNo = Column("employeeNo")
        public static let title = Column("title")
        public static let departmentOaIDs = Column("departmentOaIDs")
        public static let status = Column("status")
        public static let passwordHash = Column("passwordHash")
        public static let updatedAt = Column("updatedAt")
    }
}
