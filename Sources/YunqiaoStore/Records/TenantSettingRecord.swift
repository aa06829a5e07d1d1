import Foundation
import GRDB
import YunqiaoCore

struct TenantSettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tenantSetting"
    var tenantId: Int64
    var key: String
    var value: String
    var updatedAt: Date
}

extension TenantSettingRecord {
    /// The columns, for requests (`TenantSettingRecord.Columns.tenantId`).
    enum Columns {
        static let tenantId = Column(CodingKeys.tenantId)
        static let key = Column(CodingKeys.key)
        static let value = Column(CodingKeys.value)
        static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
