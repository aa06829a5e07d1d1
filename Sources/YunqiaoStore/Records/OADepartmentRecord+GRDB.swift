import Foundation
import GRDB
import YunqiaoCore

extension OADepartmentRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaDepartment"
}

extension OADepartmentRecord {
    /// The columns, for requests (`OADepartmentRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column("tenantId")
        public static let oaID = Column("oaID")
        public static let name = Column("name")
        public static let parentOaID = Column("parentOaID")
        public static let subcompanyOaID = Column("subcompanyOaID")
        public static let sortOrder = Column("sortOrder")
        public static let updatedAt = Column("updatedAt")
    }
}
