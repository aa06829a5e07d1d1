import Foundation

/// How an emulator instance is set up: its apps, its org, and how "real" its network behaviour is.
public struct EmulatorConfiguration: Sendable {
    public enum Brand: String, Sendable, CaseIterable {
        case feishu, lark
    }

    /// Which part of the directory an app may see (飞书「通讯录权限范围」).
    public enum ContactScope: Sendable, Equatable {
        /// "All members": the whole tenant, including the root department.
        case all
        /// Departments (with their subtrees) and single users, by their custom `department_id` / `user_id`.
        case limited(departments: [String], users: [String])
    }

    /// Which card callback an app's "request URL" receives (`feishu-api.md` §6.8, §6.9).
    public enum CardCallbackProtocol: String, Sendable, CaseIterable {
        /// The current protocol: a v2 envelope with `header.event_type == "card.action.trigger"`, signed with the
        /// Encrypt Key (SHA-256) when one is set.
        case v2 = "card.action.trigger"
        /// The old "message card request URL": a flat body signed with the Verification Token (SHA-1).
        case v1 = "card.action.trigger_v1"
    }

    public struct App: Sendable, Equatable {
        public var appID: String
        public var appSecret: String
        public var scope: ContactScope
        /// Sensitive user fields the app has no field scope for: they are omitted from answers
        /// (`mobile`, `email`, `user_id`, `employee_no`, `status`, …), as the platform does.
        public var withheldFields: Set<String>
        /// The app's Verification Token (§6.5); `nil` = one derived from the app id and secret, as the platform
        /// generates one for every app.
        public var verificationToken: String?
        /// The app's Encrypt Key (§6.3): callbacks are encrypted and signed when set, plaintext and unsigned when not.
        public var encryptKey: String?
        /// Where card callbacks (button clicks, `/_emulator/click`) are sent; `nil` = not configured.
        public var cardCallbackURL: String?
        public var cardCallbackProtocol: CardCallbackProtocol
        /// Where contact events are pushed (the app's event request URL, `feishu-api.md` §6.1); `nil` = none.
        public var eventURL: String?

        public init(appID: String, appSecret: String, scope: ContactScope = .all, withheldFields: Set<String> = [],
                    verificationToken: String? = nil, encryptKey: String? = nil, cardCallbackURL: String? = nil,
                    cardCallbackProtocol: CardCallbackProtocol = .v2, eventURL: String? = nil)
        {
            self.eventURL = eventURL
            self.appID = appID
            self.appSecret = appSecret
            self.scope = scope
            self.withheldFields = withheldFields
            self.verificationToken = verificationToken
            self.encryptKey = encryptKey
            self.cardCallbackURL = cardCallbackURL
            self.cardCallbackProtocol = cardCallbackProtocol
        }
    }

    /// Where the org comes from.
    public enum OrgSource: Sendable {
        case empty
        case generated(users: Int, departments: Int)
        case fixture(EmulatorFixture)
    }

    public static let defaultApp = App(appID: "cli_yunqiaodemo0001", appSecret: "demo-app-secret-0001")

    public var host: String
    public var port: Int
    public var brand: Brand
    public var apps: [App]
    public var org: OrgSource
    /// Per app per API: 50/s and 1000/min, answered with 429 + 99991400 when exceeded.
    public var rateLimit: Bool
    /// Added to every answer (a realistic round trip to Feishu is 30–80 ms).
    public var latency: Duration
    /// Lifetime of tenant/app access tokens in seconds (the platform uses 7200).
    public var tokenLifetime: Int
    /// Seed for ids, generated orgs and fault injection: one seed, one behaviour.
    public var seed: UInt64
    /// The tenant's licensed seats: users who have not resigned (frozen ones too) count; creating or resurrecting one
    /// more is refused with 40107, as on a tenant whose plan is full. Nil = no limit.
    public var seats: Int?

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        brand: Brand = .feishu,
        apps: [App] = [EmulatorConfiguration.defaultApp],
        org: OrgSource = .generated(users: 60, departments: 12),
        rateLimit: Bool = true,
        latency: Duration = .zero,
        tokenLifetime: Int = 7200,
        seed: UInt64 = 42,
        seats: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.brand = brand
        self.apps = apps
        self.org = org
        self.rateLimit = rateLimit
        self.latency = latency
        self.tokenLifetime = tokenLifetime
        self.seed = seed
        self.seats = seats
    }
}
