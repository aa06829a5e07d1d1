import Foundation
import GRDB
import YunqiaoCore

/// A self-built app of an enterprise. The secret is stored sealed (see ``SecretBox``).
public struct AppRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "app"
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

    /// Where the app's homepage leads.
    public var homepage: AppHomepage {
        if let homepageAppId { return .oaApp(homepageAppId) }
        if let homepageURL { return .custom(homepageURL) }
        return .none
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AppRecord {
    /// The columns, for requests (`AppRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let enterpriseId = Column(CodingKeys.enterpriseId)
        public static let name = Column(CodingKeys.name)
        public static let appID = Column(CodingKeys.appID)
        public static let sealedSecret = Column(CodingKeys.sealedSecret)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
        public static let homepageAppId = Column(CodingKeys.homepageAppId)
        public static let homepageURL = Column(CodingKeys.homepageURL)
        public static let sealedVerificationToken = Column(CodingKeys.sealedVerificationToken)
        public static let sealedEncryptKey = Column(CodingKeys.sealedEncryptKey)
    }
}
