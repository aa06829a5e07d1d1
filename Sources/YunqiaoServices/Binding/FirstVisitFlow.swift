import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// A Feishu user opens an app (issue #6, manual bind on first visit): the app's homepage URL sends them through Feishu's
/// OAuth code flow; back at the callback a bound user goes straight to the homepage target, an unbound one is bound
/// automatically (when the enterprise enables it) or logs in to the OA once with the bridge's OA login form.
///
/// The use case without HTTP: the server's `FirstVisitController` turns its answers into redirects, cookies and pages.
/// CSRF: the OAuth `state` is random, kept ``lifetime`` in the store (spent once) and in a cookie of the browser that
/// started the flow; the OA form carries a one-time token that ties it to the Feishu user the callback saw. Codes are
/// spent by Feishu at the exchange.
public struct FirstVisitFlow: Sendable {
    let database: any BridgeStore
    let clients: FeishuClients
    let throttle: LoginThrottle
    /// Checks the bridge's own OA password hashes (the same time for an unknown login).
    let passwords: PasswordVerifier
    /// Checks OA logins with the external OA when the tenant's connector says `external` (else the bridge's hashes).
    let oaLogin: OALoginVerifier?

    /// How long a started sign-in (state) and an OA login form (token) stay usable.
    public static let lifetime: TimeInterval = 600
    static let statePrefix = "oauth.state."
    static let ticketPrefix = "oauth.bind."

    public init(database: any BridgeStore, clients: FeishuClients, throttle: LoginThrottle, passwords: PasswordVerifier = .bcrypt,
                oaLogin: OALoginVerifier?)
    {
        self.database = database
        self.clients = clients
        self.throttle = throttle
        self.passwords = passwords
        self.oaLogin = oaLogin
    }

    /// A started sign-in, under `oauth.state.<state>`.
    struct PendingState: Codable {
        var appId: Int64
        /// Where the sign-in goes on once the user is bound (an OIDC authorization: `oidc:<key>`); nil = the homepage.
        var continuation: String?
    }

    /// The Feishu user an OA login form is for, under `oauth.bind.<token>`.
    public struct BindTicket: Codable, Sendable {
        var appId: Int64
        var enterpriseId: Int64
        var unionID: String
        var openID: String?
        var userID: String?
        public var name: String
        /// The sign-in's continuation (``PendingState/continuation``), kept across the OA login form.
        public var continuation: String?
    }

    /// An app and what its pages need.
    public struct Visit: Sendable {
        public var app: AppRecord
        public var enterprise: EnterpriseRecord
        public var appId: Int64
        public var externalDomain: String?
    }

    /// The flow ends on a page: its HTTP status and the console string key of its message.
    public struct Refusal: Error, Sendable {
        public var status: Int
        public var key: String

        public init(_ status: Int, _ key: String) {
            self.status = status
            self.key = key
        }
    }

    /// Where the callback leads.
    public enum Arrival: Sendable {
        /// Bound (now or before): to the homepage target.
        case bound(BindingRecord)
        /// Not bound: the OA login form with its one-time `token`.
        case loginForm(token: String, ticket: BindTicket)
    }

    /// What the OA login form came to.
    public enum BindOutcome: Sendable {
        case bound(BindingRecord)
        /// The form again with the message of `key`; `retryAfter` seconds when throttled.
        case again(key: String, status: Int, retryAfter: Int?)
    }

    /// The app `id` and its enterprise.
    public func visit(appId id: Int64?) async throws -> Visit {
        guard let id else { throw Refusal(404, "fv_app_not_found") }
        let (app, enterprise): (AppRecord, EnterpriseRecord)
        do { (app, enterprise) = try await database.integration.app(id: id) } catch YunqiaoError.notFound {
            throw Refusal(404, "fv_app_not_found")
        }
        let domain = try await database.integration.externalDomain(tenantId: enterprise.tenantId)
        return Visit(app: app, enterprise: enterprise, appId: id, externalDomain: domain)
    }

    /// Starts a sign-in: Feishu's authorize URL with a fresh `state`, kept ``lifetime``.
    /// `continuation` says where the sign-in goes once the user is bound (nil: the app's homepage).
    public func start(_ visit: Visit, continuation: String? = nil) async throws -> (authorizeURL: String, state: String) {
        guard let redirectURI = Self.redirectURI(visit) else { throw Refusal(503, "fv_domain_unset") }
        let state = Passwords.token(bytes: 24)
        try await database.admins.persist(key: Self.statePrefix + state, value: JSONEncoder().encode(PendingState(appId: visit.appId, continuation: continuation)),
                                          expiresAt: Date(timeIntervalSinceNow: Self.lifetime), onlyIfAbsent: false, now: Date())
        let query = PercentEncoding.query(["client_id": visit.app.appID, "response_type": "code", "redirect_uri": redirectURI, "state": state])
        return (Self.authorizeBase(visit.enterprise.baseURL) + "/open-apis/authen/v1/authorize" + query, state)
    }

    /// The callback: checks and spends the state (`cookieState` is the browser's copy), exchanges the code, finds the
    /// user's binding (or makes one automatically), else opens an OA login form.
    /// Answers with the sign-in's continuation (see ``start(_:continuation:)``).
    public func callback(_ visit: Visit, state: String?, cookieState: String?, code: String?, denied: Bool,
                         logger: Logger) async throws -> (arrival: Arrival, continuation: String?)
    {
        guard let state = state?.nilIfEmpty, let cookieState, Passwords.constantTimeEquals(cookieState, state),
              let stored = try await database.admins.takePersisted(key: Self.statePrefix + state, now: Date()),
              let pending = try? JSONDecoder().decode(PendingState.self, from: stored), pending.appId == visit.appId
        else { throw Refusal(400, "fv_state_expired") }
        if denied { throw Refusal(400, "fv_denied") }
        guard let code = code?.nilIfEmpty else { throw Refusal(400, "fv_state_expired") }
        guard let redirectURI = Self.redirectURI(visit) else { throw Refusal(503, "fv_domain_unset") }

        let client = try await clients.client(enterprise: visit.enterprise, app: visit.app, database: database)
        let info: FeishuUserInfo
        do {
            let token = try await client.userAccessToken(code: code, redirectURI: redirectURI)
            info = try await client.userInfo(userAccessToken: token.accessToken)
        } catch let error as FeishuOAuthError where error.isCodeSpent {
            logger.info("first visit: code refused", metadata: ["app": "\(visit.appId)", "feishu.code": "\(error.code)"])
            throw Refusal(400, "fv_code_spent")
        } catch let error as FeishuOAuthError {
            logger.warning("first visit: code exchange refused", metadata: ["app": "\(visit.appId)", "error": "\(error)"])
            throw Refusal(502, "fv_feishu_failed")
        } catch let error where !(error is CancellationError) {
            logger.warning("first visit: Feishu sign-in failed", metadata: ["app": "\(visit.appId)", "error": "\(error)"])
            throw Refusal(502, "fv_feishu_failed")
        }

        let enterpriseId = visit.app.enterpriseId
        if let binding = try await database.bindings.binding(enterpriseId: enterpriseId, unionID: info.unionID) {
            return (.bound(binding), pending.continuation)
        }
        let settings = try await database.bindings.bindingSettings(tenantId: visit.enterprise.tenantId, enterpriseId: enterpriseId)
        if settings.autoBindEnabled,
           let binding = try await database.bindings.autoBindUser(tenantId: visit.enterprise.tenantId, enterpriseId: enterpriseId, unionID: info.unionID,
                                                                  fields: settings.fields, by: AuditActor("feishu:\(info.unionID)"), at: Date())
        {
            logger.info("first visit: bound automatically",
                        metadata: ["app": "\(visit.appId)", "feishu.union_id": "\(info.unionID)", "oa.user": "\(binding.oaUserID)"])
            return (.bound(binding), pending.continuation)
        }

        // The mirror's view of the user when it has them (its ids are the sync app's), else what the login told.
        let listed = try await database.mirror.mirrorUser(enterpriseId: enterpriseId, id: info.unionID)?.user
        let ticket = BindTicket(appId: visit.appId, enterpriseId: enterpriseId, unionID: info.unionID, openID: listed?.openID ?? info.openID,
                                userID: listed?.userID ?? info.userID, name: listed?.name ?? info.name, continuation: pending.continuation)
        let token = Passwords.token(bytes: 24)
        try await database.admins.persist(key: Self.ticketPrefix + token, value: JSONEncoder().encode(ticket),
                                          expiresAt: Date(timeIntervalSinceNow: Self.lifetime), onlyIfAbsent: false, now: Date())
        return (.loginForm(token: token, ticket: ticket), pending.continuation)
    }

    /// The ticket of an open OA login form, or a refusal when it expired or belongs to another app.
    public func ticket(_ visit: Visit, token: String?) async throws -> BindTicket {
        guard let token = token?.nilIfEmpty, let stored = try await database.admins.persistedValue(key: Self.ticketPrefix + token, now: Date()),
              let ticket = try? JSONDecoder().decode(BindTicket.self, from: stored.value), ticket.appId == visit.appId
        else { throw Refusal(400, "fv_form_expired") }
        return ticket
    }

    /// The OA login form was sent: checks the OA login (throttled per login and client address: the attempt is reserved
    /// before the check, so simultaneous guesses count each other) and binds.
    public func bind(_ visit: Visit, token: String, ticket: BindTicket, loginID: String, password: String, address: String,
                     logger: Logger) async throws -> BindOutcome
    {
        let throttleName = "oa:\(visit.enterprise.tenantId):" + loginID
        let attempt: LoginThrottle.Attempt
        switch await throttle.reserve(username: throttleName, address: address) {
        case .refused(let wait): return .again(key: "fv_throttled", status: 429, retryAfter: Int(max(1, wait.components.seconds)))
        case .admitted(let admitted): attempt = admitted
        }
        let tenantId = visit.enterprise.tenantId
        let user: OAUserRecord?
        switch try await oaLogin?.check(tenantId: tenantId, loginID: loginID, password: password) ?? .embedded {
        case .embedded:
            let found = loginID.isEmpty ? nil : try await database.oaDirectory.oaUser(tenantId: tenantId, loginID: loginID)
            let active = found.flatMap { $0.status == "active" ? $0 : nil }
            // Unknown, left or without a password: the dummy hash, in the same time.
            user = try await passwords.check(password, against: active?.passwordHash) ? active : nil
        case .valid(let oaUserID):
            // The OA vouches for the login; the user must be an active user of the bridge's OA directory.
            guard let found = try await database.oaDirectory.oaUser(tenantId: tenantId, oaID: oaUserID), found.status == "active" else {
                await throttle.succeeded(attempt)
                logger.warning("first visit: the OA accepted a login the OA directory does not hold",
                               metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "oa.user": "\(oaUserID)"])
                return .again(key: "oac_fv_unknown_user", status: 403, retryAfter: nil)
            }
            user = found
        case .invalid:
            user = nil
        case .unavailable(let reason):
            await throttle.release(attempt)
            logger.warning("first visit: OA login check unavailable",
                           metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "error": "\(reason)"])
            return .again(key: "oac_fv_unavailable", status: 503, retryAfter: nil)
        }
        guard let user else {
            await throttle.failed(attempt)
            logger.warning("first visit: OA login failed", metadata: ["app": "\(visit.appId)", "oa.login": "\(loginID)", "client": "\(address)"])
            return .again(key: "fv_login_failed", status: 401, retryAfter: nil)
        }
        await throttle.succeeded(attempt)

        let binding: BindingRecord
        do {
            binding = try await database.bindings.bind(tenantId: tenantId, enterpriseId: ticket.enterpriseId, oaUserID: user.oaID, unionID: ticket.unionID,
                                                       method: "manual", field: nil,
                                                       signedIn: SignedInFeishuUser(openID: ticket.openID, userID: ticket.userID, name: ticket.name),
                                                       by: AuditActor("oa:\(user.loginID)"))
        } catch YunqiaoError.conflict(let field, _) {
            // Bound meanwhile (another tab, auto-bind): that binding counts. Else the OA account is someone else's.
            if let existing = try await database.bindings.binding(enterpriseId: ticket.enterpriseId, unionID: ticket.unionID) {
                try await database.admins.removePersisted(key: Self.ticketPrefix + token)
                return .bound(existing)
            }
            return .again(key: field == "oaUserID" ? "fv_oa_taken" : "fv_bind_failed", status: 409, retryAfter: nil)
        }
        try await database.admins.removePersisted(key: Self.ticketPrefix + token)
        logger.info("first visit: bound by OA login",
                    metadata: ["app": "\(visit.appId)", "feishu.union_id": "\(ticket.unionID)", "oa.user": "\(user.oaID)"])
        return .bound(binding)
    }

    /// The app's homepage target: the OA homepage app's URL (a path is taken on the external domain: no OA base URL
    /// yet), or the custom URL; nil when the app has none.
    public func target(_ visit: Visit) async throws -> String? {
        switch visit.app.homepage {
        case .none: return nil
        case .custom(let url): return url
        case .oaApp(let id):
            guard let entry = try? await database.integration.homepageApp(tenantId: visit.enterprise.tenantId, id: id) else { return nil }
            if entry.url.hasPrefix("/"), !entry.url.hasPrefix("//"), let domain = visit.externalDomain { return domain + entry.url }
            return entry.url
        }
    }

    /// `<external domain>/feishu/apps/{id}/oauth/callback` (the app's 重定向 URL), or nil while the domain is unset.
    public static func redirectURI(_ visit: Visit) -> String? {
        visit.externalDomain.map { "\($0)/feishu/apps/\(visit.appId)/oauth/callback" }
    }

    /// Where the authorize page lives: Feishu's and Lark's public platforms serve it from their accounts host; any
    /// other API base (a private deployment, an emulator) serves it itself.
    public static func authorizeBase(_ baseURL: String) -> String {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        switch URL(string: base)?.host?.lowercased() {
        case "open.feishu.cn": return "https://accounts.feishu.cn"
        case "open.larksuite.com": return "https://accounts.larksuite.com"
        default: return base
        }
    }
}
