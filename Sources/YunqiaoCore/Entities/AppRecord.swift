import Foundation

/// A self-built app of an enterprise. The secret is stored sealed (see ``SecretBox``).
public struct AppRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var enterpriseId: Int64
    public var name: String
    public var appID: String
    public var sealedSecret: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The OA homepage app the Feishu app opens, or nil.
    public var homepageAppId: Int64?
    /// A custom homepage URL, or nil.
    public var homepageURL: String?
    /// The app's Verification Token (飞书「事件与回调」), sealed like the secret; nil = not set. Card callbacks are
    /// refused while it is unset.
    public var sealedVerificationToken: String?
    /// The app's Encrypt Key, sealed like the secret; nil = not set (callbacks then arrive in plaintext and unsigned).
    public var sealedEncryptKey: String?

    public init(id: Int64? = nil, enterpriseId: Int64, name: String, appID: String, sealedSecret: String,
                createdAt: Date, updatedAt: Date, homepageAppId: Int64? = nil, homepageURL: String? = nil,
                sealedVerificationToken: String? = nil, sealedEncryptKey: String? = nil)
    {
        self.id = id
        self.enterpriseId = enterpriseId
        self.name = name
        self.appID = appID
        self.sealedSecret = sealedSecret
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.homepageAppId = homepageAppId
        self.homepageURL = homepageURL
        self.sealedVerificationToken = sealedVerificationToken
        self.sealedEncryptKey = sealedEncryptKey
    }

    /// Where the app's homepage leads.
    public var homepage: AppHomepage {
        if let homepageAppId { return .oaApp(homepageAppId) }
        if let homepageURL { return .custom(homepageURL) }
        return .none
    }
}
