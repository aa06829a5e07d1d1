import Foundation
import GRDB
import YunqiaoCore

extension OAConnectorRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaConnector"
}

extension OALoginCheck: DatabaseValueConvertible {}

extension OAConnectorRecord {
    func auditView(secretMask: String) -> [String: String] {
        ["baseURL": baseURL, "secret": secretMask, "enabled": "\(enabled)", "intervalMinutes": "\(intervalMinutes)",
         "loginCheck": loginCheck.rawValue]
    }
}

extension OAConnectorRecord {
    /// The columns, for requests (`OAConnectorRecord.Columns.tenantId`).
    public enum Columns {
        public static let tenantId = Column("tenantId")
        public static let baseURL = Column("baseURL")
        public static let sealedSecret = Column("sealedSecret")
        public static let enabled = Column("enabled")
        public static let intervalMinutes = Column("intervalMinutes")
        public static let loginCheck = Column("loginCheck")
        public static let updatedBy = Column("updatedBy")
        public static let updatedAt = Column("updatedAt")
    }
}
