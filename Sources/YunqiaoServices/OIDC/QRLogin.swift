import Foundation
import YunqiaoCore

/// 扫码登录 (seed 五, issue #16): when the tenant enables it, a sign-in of the OIDC provider or the CAS server that is
/// not already inside the Feishu client shows Feishu's QR code instead of Feishu's web login. The QR page belongs to
/// the bridge (`/qr-login/{tenant}`); Feishu's QR SDK (LarkSSOSDKWebQRCode, `feishu-api.md` §2.7) draws the code in
/// an iframe, the phone confirms, the page sends the browser to the authorize URL with the `tmp_code`, and Feishu
/// answers at the app's OAuth callback as for any first visit: bound → the OA, unbound → bound automatically or the
/// OA login form first.
///
/// The continuation of a sign-in waits for the QR page ``lifetime`` in the store under a random handle; the page may
/// be reloaded (a QR code expires) until the sign-in completes.
public struct QRLogin: Sendable {
    let database: any BridgeStore

    public init(database: any BridgeStore) { self.database = database }

    /// How long a sign-in waits on the QR page.
    public static let lifetime: TimeInterval = 600
    static let flowPrefix = "qr.flow."

    /// A sign-in waiting on the QR page: its tenant and where it goes once the user is bound (nil: the app's homepage).
    public struct Flow: Codable, Sendable, Equatable {
        public var tenantId: Int64
        public var continuation: String?

        public init(tenantId: Int64, continuation: String?) {
            self.tenantId = tenantId
            self.continuation = continuation
        }
    }

    /// An app the QR page offers, with its enterprise's name.
    public struct Choice: Sendable, Equatable {
        public var appId: Int64
        public var enterpriseName: String
        public var appName: String
    }

    /// The tenant's apps for QR login, when it is enabled (else empty).
    public func choices(tenantId: Int64) async throws -> [Choice] {
        let setting = try await database.integration.qrLoginSetting(tenantId: tenantId)
        guard setting.enabled else { return [] }
        var choices: [Choice] = []
        for id in setting.appIds {
            guard let (app, enterprise) = try? await database.integration.app(id: id), enterprise.tenantId == tenantId else { continue }
            choices.append(Choice(appId: id, enterpriseName: enterprise.name, appName: app.name))
        }
        return choices
    }

    /// Whether a sign-in should go through the QR page: QR login is on for the tenant and the browser is not the Feishu
    /// client (whose webview signs in without a scan). `userAgent` is the browser's.
    public func offered(tenantId: Int64, userAgent: String?) async throws -> Bool {
        guard !Self.isFeishuClient(userAgent) else { return false }
        return try await !choices(tenantId: tenantId).isEmpty
    }

    /// Feishu's and Lark's desktop and mobile clients name themselves in their webviews' user agent.
    public static func isFeishuClient(_ userAgent: String?) -> Bool {
        guard let agent = userAgent?.lowercased() else { return false }
        return agent.contains("lark/") || agent.contains("feishu/")
    }

    /// Keeps a sign-in's continuation for the QR page; answers the handle its URL carries.
    public func park(_ flow: Flow) async throws -> String {
        let handle = Passwords.token(bytes: 24)
        try await database.admins.persist(key: Self.flowPrefix + handle, value: JSONEncoder().encode(flow),
                                          expiresAt: Date(timeIntervalSinceNow: Self.lifetime), onlyIfAbsent: false, now: Date())
        return handle
    }

    /// The sign-in of `handle` (of this tenant); without a handle, a sign-in that ends on the app's homepage.
    public func flow(tenantId: Int64, handle: String?) async throws -> Flow {
        guard let handle = handle?.nilIfEmpty else { return Flow(tenantId: tenantId, continuation: nil) }
        guard handle.count <= 64, let stored = try await database.admins.persistedValue(key: Self.flowPrefix + handle, now: Date()),
              let flow = try? JSONDecoder().decode(Flow.self, from: stored.value), flow.tenantId == tenantId
        else { throw FirstVisitFlow.Refusal(400, "qr_expired") }
        return flow
    }

    /// Where Feishu's QR SDK lives for an enterprise's API base, and the `goto` URL it needs for an authorize URL of
    /// ``FirstVisitFlow/start(_:continuation:)``: Feishu's and Lark's public platforms serve the script from their CDN
    /// and the QR frame and the historic authorize page (the one the SDK documents as `goto`) from their passport host;
    /// any other API base (a private deployment, an emulator) serves all three itself.
    public struct SDK: Sendable, Equatable {
        public var scriptURL: String
        /// The origin of the QR iframe (the page's Content-Security-Policy allows it).
        public var frameOrigin: String
        /// The origin of the script (the page's Content-Security-Policy allows it).
        public var scriptOrigin: String { WebOrigin.of(scriptURL) ?? "'none'" }
        public var goto: String
    }

    public static func sdk(baseURL: String, authorizeURL: String) -> SDK {
        let query = authorizeURL.firstIndex(of: "?").map { String(authorizeURL[$0...]) } ?? ""
        let script = "/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js"
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let passport: String
        let cdn: String
        switch URL(string: base)?.host?.lowercased() {
        case "open.feishu.cn": (passport, cdn) = ("https://passport.feishu.cn", "https://lf-package-cn.feishucdn.com")
        case "open.larksuite.com": (passport, cdn) = ("https://passport.larksuite.com", "https://lf-package-cn.feishucdn.com")
        default: (passport, cdn) = (base, base)
        }
        return SDK(scriptURL: cdn + script, frameOrigin: WebOrigin.of(passport) ?? passport, goto: passport + "/suite/passport/oauth/authorize" + query)
    }
}

// MARK: the setting as an admin sees it (admin API, console)

extension QRLogin {
    /// The setting with the addresses it gives: the QR page and the embed script (nil while the external domain is
    /// unset).
    public struct SettingView: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var appIds: [Int64]
        public var pageURL: String?
        public var embedScriptURL: String?
    }

    public func setting(_ admin: AdminIdentity) async throws -> SettingView {
        view(try await database.integration.qrLoginSetting(tenantId: admin.tenantId), tenantId: admin.tenantId,
             domain: try await database.integration.externalDomain(tenantId: admin.tenantId))
    }

    /// Saves the setting; audited as `settings.update` (key `qrLogin`) when it changes.
    public func save(_ admin: AdminIdentity, _ setting: QRLoginSetting) async throws -> SettingView {
        let stored = try await database.integration.setQRLoginSetting(tenantId: admin.tenantId, setting, by: admin.actor)
        return view(stored, tenantId: admin.tenantId, domain: try await database.integration.externalDomain(tenantId: admin.tenantId))
    }

    private func view(_ setting: QRLoginSetting, tenantId: Int64, domain: String?) -> SettingView {
        SettingView(enabled: setting.enabled, appIds: setting.appIds, pageURL: domain.map { "\($0)/qr-login/\(tenantId)" },
                    embedScriptURL: domain.map { "\($0)/static/qr-login-embed.js" })
    }
}
