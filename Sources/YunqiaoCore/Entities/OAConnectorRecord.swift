import Foundation

/// How the OA login form of the first visit checks a password (issue #6, "OA login check").
public enum OALoginCheck: String, Sendable, Codable, CaseIterable {
    /// Against the password hashes of the bridge's own OA directory.
    case embedded
    /// With the external OA's `POST {base}/verify-login` (the connector's base URL and secret).
    case external
}

/// The pull connector of a tenant (table `oaConnector`, one row per tenant): where the external OA is, the secret the
/// bridge sends it (sealed like app secrets, see ``SecretBox``), the schedule and how OA logins are checked.
public struct OAConnectorRecord: Codable, Sendable, Equatable {
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

    public init(tenantId: Int64, baseURL: String, sealedSecret: String, enabled: Bool, intervalMinutes: Int,
                loginCheck: OALoginCheck, updatedBy: String, updatedAt: Date)
    {
        self.tenantId = tenantId
        self.baseURL = baseURL
        self.sealedSecret = sealedSecret
        self.enabled = enabled
        self.intervalMinutes = intervalMinutes
        self.loginCheck = loginCheck
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }
}
