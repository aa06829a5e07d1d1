import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// Everything an admin can do, for the JSON API and the console alike: the same rules, the same views, every change
/// audited under the admin's name. Every call is scoped to the caller's tenant.
public struct AdminService: Sendable {
    public let database: any BridgeStore
    public let clients: FeishuClients
    public let coordinator: SyncCoordinator
    let check: ConnectivityCheck

    public init(database: any BridgeStore, clients: FeishuClients, coordinator: SyncCoordinator, httpClient: HTTPClient, logger: Logger) {
        self.database = database
        self.clients = clients
        self.coordinator = coordinator
        self.check = ConnectivityCheck(httpClient: httpClient, logger: logger)
    }

    typealias StoreError = YunqiaoError

    // MARK: settings

    public func settings(_ admin: AdminIdentity) async throws -> SettingsView {
        SettingsView(externalDomain: try await database.integration.externalDomain(tenantId: admin.tenantId),
                     imageHosts: try await database.integration.imageHosts(tenantId: admin.tenantId))
    }

    /// Sets the external domain (empty or absent clears it) and, when given, the image-host allow-list. The list is
    /// checked first, so a refused list changes nothing.
    public func updateSettings(_ admin: AdminIdentity, _ input: SettingsInput) async throws -> SettingsView {
        if let hosts = input.imageHosts {
            try await database.integration.setImageHosts(tenantId: admin.tenantId, hosts, by: admin.actor)
        }
        let stored = try await database.integration.setExternalDomain(tenantId: admin.tenantId, input.externalDomain ?? "", by: admin.actor)
        return SettingsView(externalDomain: stored, imageHosts: try await database.integration.imageHosts(tenantId: admin.tenantId))
    }

    /// DNS, TCP, TLS and a token call against an enterprise's API base, with its first app.
    public func checkNetwork(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> CheckResult {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let app = try await database.integration.apps(enterpriseId: enterpriseId).first
        let credentials = try app.map { FeishuCredentials(appID: $0.appID, appSecret: try database.integration.secret(of: $0)) }
        return await check.network(baseURL: enterprise.baseURL, credentials: credentials)
    }

    // MARK: enterprises

    public func enterprises(_ admin: AdminIdentity) async throws -> [EnterpriseView] {
        var views: [EnterpriseView] = []
        for enterprise in try await database.integration.enterprises(tenantId: admin.tenantId) {
            views.append(try await view(enterprise))
        }
        return views
    }

    public func enterprise(_ admin: AdminIdentity, id: Int64) async throws -> EnterpriseView {
        try await view(database.integration.enterprise(tenantId: admin.tenantId, id: id))
    }

    public func createEnterprise(_ admin: AdminIdentity, _ input: EnterpriseInput) async throws -> EnterpriseView {
        let (brand, baseURL) = try Self.brandAndBase(input)
        return try await view(database.integration.createEnterprise(tenantId: admin.tenantId, name: input.name, brand: brand, baseURL: baseURL,
                                                        by: admin.actor))
    }

    public func updateEnterprise(_ admin: AdminIdentity, id: Int64, _ input: EnterpriseInput) async throws -> EnterpriseView {
        let (brand, baseURL) = try Self.brandAndBase(input)
        return try await view(database.integration.updateEnterprise(tenantId: admin.tenantId, id: id, name: input.name, brand: brand,
                                                        baseURL: baseURL, by: admin.actor))
    }

    public func deleteEnterprise(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.integration.deleteEnterprise(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    /// The brand (missing or null: Feishu; else exactly one of the document's enum) and the API base (missing, null or
    /// empty: the brand's).
    static func brandAndBase(_ input: EnterpriseInput) throws -> (String, String) {
        guard let brand = FeishuBrand(rawValue: input.brand ?? FeishuBrand.feishu.rawValue) else {
            throw StoreError.invalid(field: "brand", message: "must be feishu or lark")
        }
        let base = input.baseURL?.nilIfEmpty ?? brand.defaultBaseURL
        return (brand.rawValue, base)
    }

    private func view(_ enterprise: EnterpriseRecord) async throws -> EnterpriseView {
        let id = enterprise.id ?? 0
        return EnterpriseView(id: id, name: enterprise.name, brand: enterprise.brand, baseURL: enterprise.baseURL,
                              appCount: try await database.integration.apps(enterpriseId: id).count,
                              createdAt: enterprise.createdAt, updatedAt: enterprise.updatedAt)
    }

    // MARK: apps

    public func apps(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [AppView] {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let context = try await urlContext(admin)
        return try await database.integration.apps(enterpriseId: enterpriseId).map { view($0, enterprise: enterprise, context) }
    }

    public func app(_ admin: AdminIdentity, id: Int64) async throws -> AppView {
        let (app, enterprise) = try await database.integration.app(tenantId: admin.tenantId, id: id)
        return view(app, enterprise: enterprise, try await urlContext(admin))
    }

    public func createApp(_ admin: AdminIdentity, enterpriseId: Int64, _ input: AppInput) async throws -> AppView {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let app = try await database.integration.addApp(enterpriseId: enterpriseId, name: input.name ?? "", appID: input.appID,
                                            appSecret: input.appSecret ?? "", homepage: try Self.homepage(input),
                                            verificationToken: input.verificationToken, encryptKey: input.encryptKey, by: admin.actor)
        return view(app, enterprise: enterprise, try await urlContext(admin))
    }

    public func updateApp(_ admin: AdminIdentity, id: Int64, _ input: AppInput) async throws -> AppView {
        let app = try await database.integration.updateApp(tenantId: admin.tenantId, id: id, name: input.name ?? "", appID: input.appID,
                                               appSecret: input.appSecret, homepage: try Self.homepage(input),
                                               verificationToken: input.verificationToken, encryptKey: input.encryptKey, by: admin.actor)
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: app.enterpriseId)
        return view(app, enterprise: enterprise, try await urlContext(admin))
    }

    public func deleteApp(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.integration.deleteApp(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    /// A token fetch with the app's stored credentials, and the size of its contact scope.
    public func testCredentials(_ admin: AdminIdentity, appId: Int64) async throws -> CheckResult {
        let (app, enterprise) = try await database.integration.app(tenantId: admin.tenantId, id: appId)
        let credentials = FeishuCredentials(appID: app.appID, appSecret: try database.integration.secret(of: app))
        return await check.credentials(baseURL: enterprise.baseURL, credentials: credentials)
    }

    /// The homepage: `homepageKind` missing or null is `none`, else exactly one of the document's enum.
    static func homepage(_ input: AppInput) throws -> AppHomepage {
        switch input.homepageKind ?? "none" {
        case "none": return .none
        case "oaApp":
            guard let id = input.homepageAppId else { throw StoreError.invalid(field: "homepageAppId", message: "choose an OA homepage app") }
            return .oaApp(id)
        case "custom":
            guard let url = input.homepageURL?.nilIfEmpty else { throw StoreError.invalid(field: "homepageURL", message: "required") }
            return .custom(url)
        default:
            throw StoreError.invalid(field: "homepageKind", message: "must be none, oaApp or custom")
        }
    }

    private struct URLContext {
        var externalDomain: String?
        var homepageApps: [Int64: HomepageAppRecord]
    }

    private func urlContext(_ admin: AdminIdentity) async throws -> URLContext {
        let homepageApps = try await database.integration.homepageApps(tenantId: admin.tenantId)
        return URLContext(externalDomain: try await database.integration.externalDomain(tenantId: admin.tenantId),
                          homepageApps: Dictionary(homepageApps.compactMap { entry in entry.id.map { ($0, entry) } }) { a, _ in a })
    }

    private func view(_ app: AppRecord, enterprise: EnterpriseRecord, _ context: URLContext) -> AppView {
        let id = app.id ?? 0
        var homepage = AppView.Homepage(kind: "none")
        var warnings: [Warning] = []
        switch app.homepage {
        case .none:
            warnings.append(Warning(code: "homepageUnset", message: "no homepage chosen: the app opens the bridge's start page"))
        case .oaApp(let homepageAppId):
            let entry = context.homepageApps[homepageAppId]
            homepage = .init(kind: "oaApp", homepageAppId: homepageAppId, homepageAppName: entry?.name, target: entry?.url)
        case .custom(let url):
            homepage = .init(kind: "custom", target: url)
        }
        var homepageURL: String?
        var redirectURL: String?
        var trustedDomain: String?
        var cardCallbackURL: String?
        var eventURL: String?
        if let domain = context.externalDomain {
            homepageURL = "\(domain)/feishu/apps/\(id)/home"
            redirectURL = "\(domain)/feishu/apps/\(id)/oauth/callback"
            cardCallbackURL = "\(domain)/feishu/apps/\(id)/card-callback"
            eventURL = "\(domain)/feishu/apps/\(id)/events"
            trustedDomain = URL(string: domain)?.host
            if domain.lowercased().hasPrefix("http://") {
                warnings.append(Warning(code: "externalDomainHTTP",
                                        message: "the external domain uses http: Feishu clients outside your network need https"))
            }
        } else {
            warnings.append(Warning(code: "externalDomainUnset",
                                    message: "set the external domain (云桥对外域名) first: the homepage and redirect URLs are built from it"))
        }
        return AppView(id: id, enterpriseId: enterprise.id ?? 0, enterpriseName: enterprise.name, name: app.name, appID: app.appID,
                       appSecret: database.integration.secretMask(of: app), homepage: homepage, homepageURL: homepageURL,
                       oauthRedirectURL: redirectURL, trustedDomain: trustedDomain,
                       trustedDomains: JSAPISignatureRequest.trustedDomains(externalDomain: context.externalDomain, homepageTarget: homepage.target),
                       jsapiSignaturePath: JSAPISigner.endpointPath(appId: id),
                       jsapiSignatureURL: context.externalDomain.map { $0 + JSAPISigner.endpointPath(appId: id) },
                       verificationToken: database.integration.verificationTokenMask(of: app), encryptKey: database.integration.encryptKeyMask(of: app),
                       cardCallbackURL: cardCallbackURL, eventURL: eventURL, warnings: warnings,
                       createdAt: app.createdAt, updatedAt: app.updatedAt)
    }

    // MARK: OA homepage apps

    public func homepageApps(_ admin: AdminIdentity) async throws -> [HomepageAppView] {
        let entries = try await database.integration.homepageApps(tenantId: admin.tenantId)
        var usedBy: [Int64: [String]] = [:]
        for enterprise in try await database.integration.enterprises(tenantId: admin.tenantId) {
            for app in try await database.integration.apps(enterpriseId: enterprise.id ?? 0) {
                if let id = app.homepageAppId { usedBy[id, default: []].append(app.name) }
            }
        }
        return entries.map { entry in
            HomepageAppView(id: entry.id ?? 0, name: entry.name, url: entry.url, note: entry.note, usedBy: usedBy[entry.id ?? 0] ?? [])
        }
    }

    public func homepageApp(_ admin: AdminIdentity, id: Int64) async throws -> HomepageAppView {
        guard let view = try await homepageApps(admin).first(where: { $0.id == id }) else { throw StoreError.notFound("homepage app \(id)") }
        return view
    }

    public func createHomepageApp(_ admin: AdminIdentity, _ input: HomepageAppInput) async throws -> HomepageAppView {
        let entry = try await database.integration.createHomepageApp(tenantId: admin.tenantId, name: input.name, url: input.url,
                                                         note: input.note ?? "", by: admin.actor)
        return HomepageAppView(id: entry.id ?? 0, name: entry.name, url: entry.url, note: entry.note, usedBy: [])
    }

    public func updateHomepageApp(_ admin: AdminIdentity, id: Int64, _ input: HomepageAppInput) async throws -> HomepageAppView {
        _ = try await database.integration.updateHomepageApp(tenantId: admin.tenantId, id: id, name: input.name, url: input.url,
                                                 note: input.note ?? "", by: admin.actor)
        return try await homepageApp(admin, id: id)
    }

    public func deleteHomepageApp(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.integration.deleteHomepageApp(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    // MARK: audit log

    public func auditLog(_ admin: AdminIdentity, filter: AuditFilter) async throws -> [AuditView] {
        try await database.admins.auditLog(tenantId: admin.tenantId, filter: filter).map { entry in
            AuditView(id: entry.id ?? 0, actor: entry.actor, action: entry.action, target: entry.target,
                      before: entry.before.flatMap(Self.decodeView), after: entry.after.flatMap(Self.decodeView), at: entry.at)
        }
    }

    private static func decodeView(_ text: String) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    // MARK: API tokens

    public func tokens(_ admin: AdminIdentity) async throws -> [TokenView] {
        try await database.admins.apiTokens(tenantId: admin.tenantId).map { view($0, token: nil) }
    }

    /// The longest lifetime a token may be given.
    public static let maxTokenDays = 3650

    /// Creates a token; the answer is the only place its value ever appears. Whether the caller may (a console login
    /// only) is the edge's to check. Only a super-admin may ask for a super-admin token (`superAdmin`), which manages
    /// the tenants too.
    public func createToken(_ admin: AdminIdentity, _ input: TokenInput, now: Date = Date()) async throws -> TokenView {
        var scope = APITokenScope.full  // missing or null; a value is one of the document's enum exactly
        if let text = input.scope {
            guard let named = APITokenScope(rawValue: text) else { throw YunqiaoError.invalid(field: "scope", message: "must be readOnly or full") }
            scope = named
        }
        if let days = input.expiresInDays, !(1...Self.maxTokenDays).contains(days) {
            throw YunqiaoError.invalid(field: "expiresInDays", message: "1 to \(Self.maxTokenDays) days, or leave it out for a token that does not expire")
        }
        let expiresAt = input.expiresInDays.map { now.addingTimeInterval(Double($0) * 86_400) }
        let role: AdminRole = input.superAdmin == true ? .superAdmin : .admin
        if role == .superAdmin { try TenantAdmin.require(admin) }
        let token = Passwords.token(prefix: "yq_")
        let record = try await database.admins.createAPIToken(tenantId: admin.tenantId, name: input.name, token: token, scope: scope,
                                                              expiresAt: expiresAt, role: role, by: admin.actor)
        return view(record, token: token)
    }

    public func revokeToken(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.admins.revokeAPIToken(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    private func view(_ record: APITokenRecord, token: String?) -> TokenView {
        TokenView(id: record.id ?? 0, name: record.name, hint: "••••" + record.hint, createdBy: record.createdBy, createdAt: record.createdAt,
                  lastUsedAt: record.lastUsedAt, revokedAt: record.revokedAt, scope: record.scope.rawValue, expiresAt: record.expiresAt,
                  token: token, superAdmin: record.role == AdminRole.superAdmin.rawValue)
    }
}

extension AdminIdentity {
    public var actor: AuditActor { AuditActor(name) }
}

extension AdminService {
    /// The Feishu directory mirror and its sync runs.
    public var directory: DirectoryAdmin { DirectoryAdmin(database: database, coordinator: coordinator) }
}
