import FeishuKit
import Foundation
import YunqiaoCore

// What the admin API answers and the console shows: one set of views for both.

public struct SettingsView: Codable, Sendable, Equatable {
    public var externalDomain: String?
    /// Hosts a message's `image.url` may name although they resolve to a private address.
    public var imageHosts: [String]
}

public struct EnterpriseView: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var brand: String
    public var baseURL: String
    public var appCount: Int
    public var createdAt: Date
    public var updatedAt: Date
}

public struct AppView: Codable, Sendable, Equatable {
    public struct Homepage: Codable, Sendable, Equatable {
        /// `none`, `oaApp` or `custom`.
        public var kind: String
        public var homepageAppId: Int64?
        public var homepageAppName: String?
        /// Where the homepage leads: the OA homepage app's URL or the custom URL.
        public var target: String?
    }

    public var id: Int64
    public var enterpriseId: Int64
    public var enterpriseName: String
    public var name: String
    public var appID: String
    /// Only a mask: the last 4 characters.
    public var appSecret: String
    public var homepage: Homepage
    /// The 桌面端主页 / 移动端主页 URL to paste into Feishu (网页应用), or nil without an external domain.
    public var homepageURL: String?
    /// The 重定向 URL to paste into Feishu (安全设置), or nil without an external domain.
    public var oauthRedirectURL: String?
    /// The H5 trusted domain (H5 可信域名) for JSAPI: the external domain's host (the bridge's own pages).
    public var trustedDomain: String?
    /// Every H5 trusted domain to list in Feishu: the external domain's host and the host of the app's homepage (the
    /// OA's pages). The JSAPI signature endpoint signs pages on these hosts only.
    public var trustedDomains: [String]
    /// The OA API path that signs the app's H5 pages for `h5sdk.config` (`POST`, with an OA key).
    public var jsapiSignaturePath: String
    /// That endpoint on the external domain, or nil without one (the OA server may also reach the bridge another way).
    public var jsapiSignatureURL: String?
    /// Only a mask (the last 4 characters) of the Verification Token of card callbacks, or nil when it is not set.
    public var verificationToken: String?
    /// Only a mask (the last 4 characters) of the Encrypt Key of card callbacks, or nil when it is not set.
    public var encryptKey: String?
    /// The 消息卡片请求网址 to paste into Feishu (quick approval's card callbacks), or nil without an external domain.
    public var cardCallbackURL: String?
    /// The 事件请求网址 to paste into Feishu (contact events), or nil without an external domain.
    public var eventURL: String?
    public var warnings: [Warning]
    public var createdAt: Date
    public var updatedAt: Date
}

/// A problem the admin should know about: a stable `code` (the console translates it) and an English message.
public struct Warning: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
}

public struct HomepageAppView: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var url: String
    public var note: String
    public var usedBy: [String]
}

public struct DepartmentNode: Codable, Sendable, Equatable {
    public var openDepartmentID: String
    public var departmentID: String?
    public var name: String
    public var parentOpenDepartmentID: String
    public var userCount: Int
    public var children: [DepartmentNode]
}

public struct UserView: Codable, Sendable, Equatable {
    public struct Department: Codable, Sendable, Equatable {
        public var openDepartmentID: String
        public var name: String
        public var primary: Bool
    }

    public var unionID: String
    public var openID: String?
    public var userID: String?
    public var name: String
    public var enName: String?
    public var email: String?
    public var mobile: String?
    public var employeeNo: String?
    public var jobTitle: String?
    public var departments: [Department]
    /// `active`, `frozen`, `resigned`, `inactive` (not activated) or `unknown` (the app may not read status).
    public var status: String
    public var deletedAt: Date?
    /// The OA user the Feishu user is bound to in this enterprise; nil when unbound (in lists) or not looked up.
    public var binding: Binding? = nil

    /// A Feishu user's binding as a directory list shows it.
    public struct Binding: Codable, Sendable, Equatable {
        public var oaUserID: String
        public var oaName: String?
        public var oaLoginID: String?
        public var method: String
    }
}

public struct UserPage: Codable, Sendable, Equatable {
    public var users: [UserView]
    public var total: Int
    public var limit: Int
    public var offset: Int
}

public struct SyncRunView: Codable, Sendable, Equatable {
    public var id: Int64
    public var enterpriseId: Int64
    public var kind: String
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: String?
    public var summary: String?
    public var report: SyncReport?
}

public struct AuditView: Codable, Sendable, Equatable {
    public var id: Int64
    public var actor: String
    public var action: String
    public var target: String
    public var before: [String: String]?
    public var after: [String: String]?
    public var at: Date
}

public struct TokenView: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// `••••` and the token's last 4 characters.
    public var hint: String
    public var createdBy: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// `readOnly` (GET only) or `full`.
    public var scope: String
    /// When the token stops working; missing: never.
    public var expiresAt: Date?
    /// The token itself: only in the answer that creates it.
    public var token: String?
    /// A super-admin token manages the tenants too.
    public var superAdmin: Bool = false
}

/// The result of "check network" or "test credentials": each step in order; steps after a failure are skipped.
public struct CheckResult: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        /// `dns`, `tcp`, `tls`, `http`, `token`, `scope`.
        public var name: String
        /// `ok`, `failed` or `skipped`.
        public var status: String
        public var message: LocalizedText
        public var durationMs: Int
    }

    public var ok: Bool
    public var steps: [Step]
    /// For "test credentials": the app's contact scope.
    public var scope: Scope?

    public struct Scope: Codable, Sendable, Equatable {
        public var allMembers: Bool
        public var departments: Int
        public var users: Int
    }
}

// MARK: inputs

public struct SettingsInput: Codable, Sendable {
    public var externalDomain: String?
    /// Replaces the image-host allow-list when present; absent keeps it.
    public var imageHosts: [String]?

    public init(externalDomain: String? = nil, imageHosts: [String]? = nil) {
        self.externalDomain = externalDomain
        self.imageHosts = imageHosts
    }
}

public struct EnterpriseInput: Codable, Sendable {
    public var name: String
    /// `feishu` (default) or `lark`.
    public var brand: String?
    /// Defaults to the brand's API base (https://open.feishu.cn, https://open.larksuite.com).
    public var baseURL: String?

    public init(name: String, brand: String? = nil, baseURL: String? = nil) {
        self.name = name
        self.brand = brand
        self.baseURL = baseURL
    }
}

public struct AppInput: Codable, Sendable {
    public var name: String?
    public var appID: String
    /// Required when creating; empty or missing when editing keeps the stored secret.
    public var appSecret: String?
    /// `none` (default), `oaApp` (with `homepageAppId`) or `custom` (with `homepageURL`).
    public var homepageKind: String?
    public var homepageAppId: Int64?
    public var homepageURL: String?
    /// The app's Verification Token (card callbacks); empty or missing keeps the stored one.
    public var verificationToken: String?
    /// The app's Encrypt Key (card callbacks); empty or missing keeps the stored one.
    public var encryptKey: String?

    public init(name: String? = nil, appID: String, appSecret: String? = nil, homepageKind: String? = nil, homepageAppId: Int64? = nil,
                homepageURL: String? = nil, verificationToken: String? = nil, encryptKey: String? = nil)
    {
        self.name = name
        self.appID = appID
        self.appSecret = appSecret
        self.homepageKind = homepageKind
        self.homepageAppId = homepageAppId
        self.homepageURL = homepageURL
        self.verificationToken = verificationToken
        self.encryptKey = encryptKey
    }
}

public struct HomepageAppInput: Codable, Sendable {
    public var name: String
    public var url: String
    public var note: String?

    public init(name: String, url: String, note: String? = nil) {
        self.name = name
        self.url = url
        self.note = note
    }
}

public struct TokenInput: Codable, Sendable {
    public var name: String
    /// `full` (default) or `readOnly`.
    public var scope: String?
    /// 1…3650; missing: the token does not expire.
    public var expiresInDays: Int?
    /// Ask for a super-admin token (only a super-admin may).
    public var superAdmin: Bool?

    public init(name: String, scope: String? = nil, expiresInDays: Int? = nil, superAdmin: Bool? = nil) {
        self.name = name
        self.scope = scope
        self.expiresInDays = expiresInDays
        self.superAdmin = superAdmin
    }
}

public struct CheckNetworkInput: Codable, Sendable {
    public var enterpriseId: Int64

    public init(enterpriseId: Int64) {
        self.enterpriseId = enterpriseId
    }
}

extension MirrorUser {
    var statusName: String {
        guard let status else { return "unknown" }
        if status.isResigned { return "resigned" }
        if status.isFrozen { return "frozen" }
        if !status.isActivated { return "inactive" }
        return "active"
    }
}
