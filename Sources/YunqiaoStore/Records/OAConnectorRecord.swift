import Foundation
import GRDB
import YunqiaoCore

/// How the OA login form of the first visit checks a password (issue #6, "OA login check").
public enum OALoginCheck: String, Sendable, Codable, CaseIterable {
    /// Against the password hashes of the bridge's own OA directory.
    case embedded
    /// With the external OA's `POST {base}/verify-login` (the connector's base URL and secret).
    case external
}

/// The pull connector of a tenant (table `oaConnector`, one row per tenant): where the external OA is, the secret the
/// bridge sends it (sealed like app secrets, see ``SecretBox``), the schedule and how OA logins are checked.
public struct OAConnectorRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oaConnector"
    public var tenantId: Int64
    /// The OA's base URL: absolute http(s), no trailing `/`, no query; the contract's paths are appended to it.
    public var baseURL: String
    public var sealedSecret: String
    /// Pulls on the schedule; "run now" works either way.
    public var enabled: Bool
    public var intervalMinutes: Int
    public var loginCheck: OALoginCheck
    public var updatedBy: String
    public var updatedAt: Date
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
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let baseURL = Column(CodingKeys.baseURL)
        public static let sealedSecret = Column(CodingKeys.sealedSecret)
        public static let enabled = Column(CodingKeys.enabled)
        public static let intervalMinutes = Column(CodingKeys.intervalMinutes)
        public static let loginCheck = Column(CodingKeys.loginCheck)
        public static let updatedBy = Column(CodingKeys.updatedBy)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
