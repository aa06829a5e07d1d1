import Foundation
import GRDB
import YunqiaoCore

/// 扫码登录 (issue #16): the tenant's QR login setting, a JSON value of the `tenantSetting` table. An app deleted since
/// the setting was saved drops out of it when read.
extension IntegrationRepository {
    public func qrLoginSetting(tenantId: Int64) async throws -> QRLoginSetting {
        try await read { db in try Self.qrLoginSetting(db, tenantId: tenantId) }
    }

    @discardableResult
    public func setQRLoginSetting(tenantId: Int64, _ setting: QRLoginSetting, by actor: AuditActor) async throws -> QRLoginSetting {
        try setting.validate()
        return try await write { db in
            var enterprises: Set<Int64> = []
            for (index, id) in setting.appIds.enumerated() {
                guard let app = try AppRecord.fetchOne(db, key: id),
                      let enterprise = try EnterpriseRecord.fetchOne(db, key: app.enterpriseId), enterprise.tenantId == tenantId
                else { throw StoreError.invalid(field: "appIds[\(index)]", message: "no app \(id) in this tenant") }
                guard enterprises.insert(enterprise.id ?? 0).inserted else {
                    throw StoreError.invalid(field: "appIds[\(index)]", message: "one app per enterprise: \(enterprise.name) has one already")
                }
            }
            let stored = setting.enabled || !setting.appIds.isEmpty ? setting : nil
            try Self.setTenantSetting(db, tenantId: tenantId, Self.qrLoginKey, try stored.map(Self.encode), by: actor, view: Self.auditView)
            return setting
        }
    }

    static var qrLoginKey: String { "qrLogin" }

    static func qrLoginSetting(_ db: Database, tenantId: Int64) throws -> QRLoginSetting {
        guard let text = try tenantSetting(db, tenantId: tenantId, qrLoginKey),
              var setting = try? JSONDecoder().decode(QRLoginSetting.self, from: Data(text.utf8))
        else { return QRLoginSetting() }
        setting.appIds = try setting.appIds.filter { id in
            guard let app = try AppRecord.fetchOne(db, key: id) else { return false }
            return try EnterpriseRecord.fetchOne(db, key: app.enterpriseId)?.tenantId == tenantId
        }
        return setting
    }

    /// The audit log's fields: on or off and the apps' ids.
    static func auditView(_ text: String) -> [String: String] {
        guard let setting = try? JSONDecoder().decode(QRLoginSetting.self, from: Data(text.utf8)) else { return [:] }
        return ["qrLoginEnabled": "\(setting.enabled)", "qrLoginAppIds": setting.appIds.map(String.init).joined(separator: ", ")]
    }

    private static func encode(_ setting: QRLoginSetting) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(setting), as: UTF8.self)
    }
}
