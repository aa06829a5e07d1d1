import Foundation
import GRDB
import YunqiaoCore

/// Tenant-wide settings (table `tenantSetting`, one text value per key): the external domain, the image-host
/// allow-list, the OA directory's decrease threshold.
extension StoreRepository {
    static func tenantSetting(_ db: Database, tenantId: Int64, _ key: String) throws -> String? {
        try TenantSettingRecord.fetchOne(db, key: ["tenantId": tenantId, "key": key])?.value
    }

    /// Stores a setting (nil removes it) and audits the change as `settings.update` with the key as target, the values
    /// shown by `view`. Nothing is written, nor audited, when the value is the same.
    static func setTenantSetting(_ db: Database, tenantId: Int64, _ key: String, _ value: String?, by actor: AuditActor,
                                 view: (String) -> [String: String]) throws
    {
        let before = try tenantSetting(db, tenantId: tenantId, key)
        guard before != value else { return }
        if let value {
            try TenantSettingRecord(tenantId: tenantId, key: key, value: value, updatedAt: Date()).upsert(db)
        } else {
            _ = try TenantSettingRecord.deleteOne(db, key: ["tenantId": tenantId, "key": key])
        }
        try audit(db, tenantId: tenantId, actor, "settings.update", target: key, before: before.map(view), after: value.map(view))
    }
}
