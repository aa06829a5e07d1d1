import Foundation

/// 扫码登录 (seed 五, issue #16): whether the tenant's OA login offers Feishu's QR code, and with which Feishu apps —
/// at most one per enterprise. With more than one, the QR page first asks which enterprise the user belongs to (a QR
/// code is one app's, and a self-built app signs in only its own enterprise's users).
public struct QRLoginSetting: Sendable, Equatable, Codable {
    public var enabled: Bool
    /// The apps whose QR codes are offered, in the order the choice lists them.
    public var appIds: [Int64]

    public init(enabled: Bool = false, appIds: [Int64] = []) {
        self.enabled = enabled
        self.appIds = appIds
    }

    /// The most apps a setting names.
    public static let maxApps = 20

    private enum CodingKeys: String, CodingKey { case enabled, appIds }

    /// `appIds` may be left out (none).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try container.decode(Bool.self, forKey: .enabled),
                  appIds: try container.decodeIfPresent([Int64].self, forKey: .appIds) ?? [])
    }

    /// Checks what needs no store, naming the field: at most ``maxApps`` apps, no app twice, at least one when enabled.
    /// (That each app is one of the tenant's, one per enterprise, is the store's to check.)
    public func validate() throws(YunqiaoError) {
        guard appIds.count <= Self.maxApps else { throw .invalid(field: "appIds", message: "at most \(Self.maxApps) apps") }
        guard Set(appIds).count == appIds.count else { throw .invalid(field: "appIds", message: "an app is named twice") }
        if enabled && appIds.isEmpty { throw .invalid(field: "appIds", message: "choose the Feishu app the QR code signs in with") }
    }
}
