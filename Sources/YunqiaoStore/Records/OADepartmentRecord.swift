import Foundation
import GRDB
import YunqiaoCore

/// A department of the OA directory kept in the bridge (table `oaDepartment`).
public struct OADepartmentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaDepartment"
    public var tenantId: Int64
    public var oaID: String
    public var name: String
    public var parentOaID: String?
    public var subcompanyOaID: String?
    public var sortOrder: Int
    public var updatedAt: Date

    public init(tenantId: Int64, oaID: String, name: String, parentOaID: String? = nil, subcompanyOaID: String? = nil,
                sortOrder: Int = 0, updatedAt: Date = Date())
    {
        self.tenantId = tenantId
        self.oaID = oaID
        self.name = name
        self.parentOaID = parentOaID
        self.subcompanyOaID = subcompanyOaID
        self.sortOrder = sortOrder
        self.updatedAt = updatedAt
    }
}

extension OADepartmentRecord {
    /// The columns, for requests (`OADepartmentRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let oaID = Column(CodingKeys.oaID)
        public static let name = Column(CodingKeys.name)
        public static let parentOaID = Column(CodingKeys.parentOaID)
        public static let subcompanyOaID = Column(CodingKeys.subcompanyOaID)
        public static let sortOrder = Column(CodingKeys.sortOrder)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
