import Foundation
import GRDB
import YunqiaoCore

/// Tenants and the integration settings: the external domain, enterprises, their Feishu apps (with sealed
/// secrets) and the OA homepage apps.
public struct IntegrationRepository: StoreRepository {
    let writer: any DatabaseWriter
    let secrets: SecretBox
}

extension IntegrationRepository {
    /// The tenant named `name`, created when missing.
    public func tenant(named name: String = "default") async throws -> TenantRecord {
        try await writer.write { db in
            if let existing = try TenantRecord.filter(TenantRecord.Columns.name == name).fetchOne(db) { return existing }
            var tenant = TenantRecord(id: nil, name: name, createdAt: Date())
            try tenant.insert(db)
            return tenant
        }
    }

    /// The plaintext secret of an app, for the Feishu client only.
    public func secret(of app: AppRecord) throws -> String { try secrets.open(app.sealedSecret) }
}

/// Integration settings (seed 云桥对外域名, 一 企业集成, 二 应用集成): the external domain, enterprises, their apps and the
/// OA homepage apps. Every change is validated here — the API and the console share these rules — and written in one
/// transaction together with its audit entry, so nothing is half-saved.
extension IntegrationRepository {
    /// The bridge's external domain (云桥对外域名), e.g. `https://bridge.example.com`, or nil when unset.
    public func externalDomain(tenantId: Int64) async throws -> String? {
        try await read { db in try Self.externalDomain(db, tenantId: tenantId) }
    }

    /// Every tenant's external domain (for the server's Strict-Transport-Security on the https ones).
    public func externalDomains() async throws -> [String] {
        try await read { db in try TenantSettingRecord.filter(Column("key") == Self.externalDomainKey).fetchAll(db).map(\.value) }
    }

    /// Sets (or, with an empty value, clears) the external domain: an absolute http(s) URL without query or fragment;
    /// a trailing `/` is dropped. Returns the stored value.
    @discardableResult
    public func setExternalDomain(tenantId: Int64, _ value: String, by actor: AuditActor) async throws -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        let normalized: String? = trimmed.isEmpty ? nil : try Validate.externalDomain(trimmed, field: "externalDomain")
        return try await write { db in
            try Self.setTenantSetting(db, tenantId: tenantId, Self.externalDomainKey, normalized, by: actor) { ["externalDomain": $0] }
            // The Approval Center's definitions carry the quick-approval callback URL on this domain: pushed again
            // (one whose payload is unchanged is skipped by the worker).
            try db.execute(sql: """
                UPDATE approvalDefinition SET state = 'pending', attempts = 0, nextAttemptAt = ?, lastError = NULL WHERE tenantId = ?
                """, arguments: [Date(), tenantId])
            return normalized
        }
    }

    // MARK: enterprises

    public func createEnterprise(tenantId: Int64, name: String, brand: String, baseURL: String,
                                 by actor: AuditActor = .cli) async throws -> EnterpriseRecord
    {
        let fields = try Validate.enterprise(name: name, brand: brand, baseURL: baseURL)
        return try await write { db in
            try Self.requireUniqueEnterprise(db, tenantId: tenantId, name: fields.name, except: nil)
            let now = Date()
            var enterprise = EnterpriseRecord(id: nil, tenantId: tenantId, name: fields.name, brand: fields.brand,
                                              baseURL: fields.baseURL, createdAt: now, updatedAt: now)
            try enterprise.insert(db)
            try Self.audit(db, tenantId: tenantId, actor, "enterprise.create", target: enterprise.auditTarget,
                           before: nil, after: enterprise.auditView)
            return enterprise
        }
    }

    public func enterprises(tenantId: Int64) async throws -> [EnterpriseRecord] {
        try await read { db in try EnterpriseRecord.filter(EnterpriseRecord.Columns.tenantId == tenantId).order(EnterpriseRecord.Columns.name).fetchAll(db) }
    }

    public func enterprise(tenantId: Int64, name: String) async throws -> EnterpriseRecord {
        guard let found = try await read({ db in
            try EnterpriseRecord.filter(EnterpriseRecord.Columns.tenantId == tenantId && EnterpriseRecord.Columns.name == name).fetchOne(db)
        }) else { throw StoreError.notFound("enterprise \(name)") }
        return found
    }

    public func enterprise(tenantId: Int64, id: Int64) async throws -> EnterpriseRecord {
        try await read { db in try Self.enterprise(db, tenantId: tenantId, id: id) }
    }

    public func updateEnterprise(tenantId: Int64, id: Int64, name: String, brand: String, baseURL: String,
                                 by actor: AuditActor) async throws -> EnterpriseRecord
    {
        let fields = try Validate.enterprise(name: name, brand: brand, baseURL: baseURL)
        return try await write { db in
            var enterprise = try Self.enterprise(db, tenantId: tenantId, id: id)
            try Self.requireUniqueEnterprise(db, tenantId: tenantId, name: fields.name, except: id)
            let before = enterprise
            enterprise.name = fields.name
            enterprise.brand = fields.brand
            enterprise.baseURL = fields.baseURL
            return try Self.saveEdit(db, tenantId: tenantId, actor, "enterprise.update", before: before, after: enterprise)
        }
    }

    /// Deletes an enterprise and its mirror. Refused while push rules send through it or apps use it; the error names them.
    public func deleteEnterprise(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: id)
            try Self.refuseIfPushTargets(db, enterpriseId: id, what: "enterprise \(enterprise.name)")
            let apps = try AppRecord.filter(AppRecord.Columns.enterpriseId == id).order(AppRecord.Columns.id).fetchAll(db)
            try Self.deleteUnlessUsed(db, tenantId: tenantId, actor, "enterprise.delete", enterprise, usedBy: apps) { names in
                "enterprise \(enterprise.name) still has apps: \(names); delete them first"
            }
        }
    }

    // MARK: apps

    /// Adds an app; the secret (and the callback credentials, when given) are sealed before they reach the database.
    /// - Parameters:
    ///   - verificationToken: the app's Verification Token for card callbacks; nil or empty = not set.
    ///   - encryptKey: the app's Encrypt Key for card callbacks; nil or empty = not set.
    public func addApp(enterpriseId: Int64, name: String, appID: String, appSecret: String, homepage: AppHomepage = .none,
                       verificationToken: String? = nil, encryptKey: String? = nil,
                       by actor: AuditActor = .cli) async throws -> AppRecord
    {
        let fields = try Validate.app(name: name, appID: appID)
        guard !appSecret.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError.invalid(field: "appSecret", message: "required")
        }
        let sealed = try secrets.seal(appSecret.trimmingCharacters(in: .whitespacesAndNewlines))
        let secretMask = maskSecret(appSecret.trimmingCharacters(in: .whitespacesAndNewlines))
        let homepage = try Validate.homepage(homepage)
        let token = try Validate.callbackCredential(verificationToken, field: "verificationToken")
        let key = try Validate.callbackCredential(encryptKey, field: "encryptKey")
        let sealedToken = try token.map { try secrets.seal($0) }
        let sealedKey = try key.map { try secrets.seal($0) }
        return try await write { db in
            guard let enterprise = try EnterpriseRecord.fetchOne(db, key: enterpriseId) else {
                throw StoreError.notFound("enterprise \(enterpriseId)")
            }
            try Self.requireUniqueApp(db, enterpriseId: enterpriseId, appID: fields.appID, except: nil)
            try Self.requireHomepageApp(db, homepage, tenantId: enterprise.tenantId)
            let now = Date()
            var app = AppRecord(id: nil, enterpriseId: enterpriseId, name: fields.name.isEmpty ? fields.appID : fields.name,
                                appID: fields.appID, sealedSecret: sealed, createdAt: now, updatedAt: now,
                                sealedVerificationToken: sealedToken, sealedEncryptKey: sealedKey)
            app.set(homepage)
            try app.insert(db)
            try Self.audit(db, tenantId: enterprise.tenantId, actor, "app.create", target: app.auditTarget(enterprise),
                           before: nil, after: app.auditView(secretMask: secretMask, tokenMask: token.map(maskSecret),
                                                             keyMask: key.map(maskSecret)))
            return app
        }
    }

    public func apps(enterpriseId: Int64) async throws -> [AppRecord] {
        try await read { db in try AppRecord.filter(AppRecord.Columns.enterpriseId == enterpriseId).order(AppRecord.Columns.id).fetchAll(db) }
    }

    /// An app of the tenant and its enterprise.
    public func app(tenantId: Int64, id: Int64) async throws -> (app: AppRecord, enterprise: EnterpriseRecord) {
        try await read { db in try Self.app(db, tenantId: tenantId, id: id) }
    }

    /// Edits an app. A nil or empty `appSecret`, `verificationToken` or `encryptKey` keeps the stored value.
    public func updateApp(tenantId: Int64, id: Int64, name: String, appID: String, appSecret: String?, homepage: AppHomepage,
                          verificationToken: String? = nil, encryptKey: String? = nil,
                          by actor: AuditActor) async throws -> AppRecord
    {
        let fields = try Validate.app(name: name, appID: appID)
        let newSecret = appSecret?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let sealed = try newSecret.map { try secrets.seal($0) }
        let homepage = try Validate.homepage(homepage)
        let newToken = try Validate.callbackCredential(verificationToken, field: "verificationToken")
        let newKey = try Validate.callbackCredential(encryptKey, field: "encryptKey")
        let sealedToken = try newToken.map { try secrets.seal($0) }
        let sealedKey = try newKey.map { try secrets.seal($0) }
        let stored = try await read { db in try Self.app(db, tenantId: tenantId, id: id).app }
        let oldSecretMask = secretMask(of: stored)
        let oldTokenMask = verificationTokenMask(of: stored)
        let oldKeyMask = encryptKeyMask(of: stored)
        return try await write { db in
            var (app, enterprise) = try Self.app(db, tenantId: tenantId, id: id)
            try Self.requireUniqueApp(db, enterpriseId: app.enterpriseId, appID: fields.appID, except: id)
            try Self.requireHomepageApp(db, homepage, tenantId: tenantId)
            let before = app
            app.name = fields.name.isEmpty ? fields.appID : fields.name
            app.appID = fields.appID
            if let sealed { app.sealedSecret = sealed }
            if let sealedToken { app.sealedVerificationToken = sealedToken }
            if let sealedKey { app.sealedEncryptKey = sealedKey }
            app.set(homepage)
            guard app != before else { return app }
            app.updatedAt = Date()
            try app.update(db)
            try Self.audit(db, tenantId: tenantId, actor, "app.update", target: app.auditTarget(enterprise),
                           before: before.auditView(secretMask: oldSecretMask, tokenMask: oldTokenMask, keyMask: oldKeyMask),
                           after: app.auditView(secretMask: newSecret.map(maskSecret) ?? oldSecretMask,
                                                tokenMask: newToken.map(maskSecret) ?? oldTokenMask,
                                                keyMask: newKey.map(maskSecret) ?? oldKeyMask))
            return app
        }
    }

    /// Deletes an app. Refused while push rules send through it; the error names them.
    public func deleteApp(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            let (app, enterprise) = try Self.app(db, tenantId: tenantId, id: id)
            try Self.refuseIfPushTargets(db, appId: id, what: "app \(app.name) (\(app.appID))")
            _ = try app.delete(db)
            try Self.audit(db, tenantId: tenantId, actor, "app.delete", target: app.auditTarget(enterprise),
                           before: app.auditView(secretMask: "••••••••",
                                                 tokenMask: app.sealedVerificationToken.map { _ in "••••••••" },
                                                 keyMask: app.sealedEncryptKey.map { _ in "••••••••" }),
                           after: nil)
        }
    }

    /// The mask of an app's secret (last 4 characters), for display.
    public func secretMask(of app: AppRecord) -> String {
        (try? secrets.open(app.sealedSecret)).map(maskSecret) ?? "••••••••"
    }

    /// The mask of an app's Verification Token (last 4 characters), or nil when it is not set.
    public func verificationTokenMask(of app: AppRecord) -> String? {
        app.sealedVerificationToken.map { sealed in (try? secrets.open(sealed)).map(maskSecret) ?? "••••••••" }
    }

    /// The mask of an app's Encrypt Key (last 4 characters), or nil when it is not set.
    public func encryptKeyMask(of app: AppRecord) -> String? {
        app.sealedEncryptKey.map { sealed in (try? secrets.open(sealed)).map(maskSecret) ?? "••••••••" }
    }

    /// The app's plaintext callback credentials, for checking card callbacks only (never returned or logged).
    public func callbackCredentials(of app: AppRecord) throws -> (verificationToken: String?, encryptKey: String?) {
        (try app.sealedVerificationToken.map { try secrets.open($0) }, try app.sealedEncryptKey.map { try secrets.open($0) })
    }

    // MARK: OA homepage apps

    public func homepageApps(tenantId: Int64) async throws -> [HomepageAppRecord] {
        try await read { db in try HomepageAppRecord.filter(HomepageAppRecord.Columns.tenantId == tenantId).order(HomepageAppRecord.Columns.name).fetchAll(db) }
    }

    public func homepageApp(tenantId: Int64, id: Int64) async throws -> HomepageAppRecord {
        try await read { db in try Self.homepageApp(db, tenantId: tenantId, id: id) }
    }

    public func createHomepageApp(tenantId: Int64, name: String, url: String, note: String = "",
                                  by actor: AuditActor) async throws -> HomepageAppRecord
    {
        let fields = try Validate.homepageApp(name: name, url: url)
        return try await write { db in
            try Self.requireUniqueHomepageApp(db, tenantId: tenantId, name: fields.name, except: nil)
            let now = Date()
            var entry = HomepageAppRecord(id: nil, tenantId: tenantId, name: fields.name, url: fields.url,
                                          note: note.trimmingCharacters(in: .whitespacesAndNewlines), createdAt: now, updatedAt: now)
            try entry.insert(db)
            try Self.audit(db, tenantId: tenantId, actor, "homepageApp.create", target: entry.auditTarget, before: nil, after: entry.auditView)
            return entry
        }
    }

    public func updateHomepageApp(tenantId: Int64, id: Int64, name: String, url: String, note: String = "",
                                  by actor: AuditActor) async throws -> HomepageAppRecord
    {
        let fields = try Validate.homepageApp(name: name, url: url)
        return try await write { db in
            var entry = try Self.homepageApp(db, tenantId: tenantId, id: id)
            try Self.requireUniqueHomepageApp(db, tenantId: tenantId, name: fields.name, except: id)
            let before = entry
            entry.name = fields.name
            entry.url = fields.url
            entry.note = note.trimmingCharacters(in: .whitespacesAndNewlines)
            return try Self.saveEdit(db, tenantId: tenantId, actor, "homepageApp.update", before: before, after: entry)
        }
    }

    /// Deletes an OA homepage app. Refused while Feishu apps open it; the error names them.
    public func deleteHomepageApp(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            let entry = try Self.homepageApp(db, tenantId: tenantId, id: id)
            let apps = try AppRecord.filter(AppRecord.Columns.homepageAppId == id).order(AppRecord.Columns.id).fetchAll(db)
            try Self.deleteUnlessUsed(db, tenantId: tenantId, actor, "homepageApp.delete", entry, usedBy: apps) { names in
                "homepage app \(entry.name) is the homepage of \(names); change their homepage first"
            }
        }
    }

    private static func requireUniqueEnterprise(_ db: Database, tenantId: Int64, name: String, except id: Int64?) throws {
        let clash = try EnterpriseRecord.filter(EnterpriseRecord.Columns.tenantId == tenantId && EnterpriseRecord.Columns.name == name && EnterpriseRecord.Columns.id != id).fetchCount(db)
        if clash > 0 { throw StoreError.conflict(field: "name", message: "an enterprise named \(name) already exists") }
    }

    private static func requireUniqueApp(_ db: Database, enterpriseId: Int64, appID: String, except id: Int64?) throws {
        let clash = try AppRecord.filter(AppRecord.Columns.enterpriseId == enterpriseId && AppRecord.Columns.appID == appID && AppRecord.Columns.id != id)
            .fetchCount(db)
        if clash > 0 { throw StoreError.conflict(field: "appID", message: "app \(appID) is already added to this enterprise") }
    }

    private static func requireUniqueHomepageApp(_ db: Database, tenantId: Int64, name: String, except id: Int64?) throws {
        let clash = try HomepageAppRecord.filter(HomepageAppRecord.Columns.tenantId == tenantId && HomepageAppRecord.Columns.name == name && HomepageAppRecord.Columns.id != id)
            .fetchCount(db)
        if clash > 0 { throw StoreError.conflict(field: "name", message: "a homepage app named \(name) already exists") }
    }

    private static func requireHomepageApp(_ db: Database, _ homepage: AppHomepage, tenantId: Int64) throws {
        guard case .oaApp(let id) = homepage else { return }
        guard let entry = try HomepageAppRecord.fetchOne(db, key: id), entry.tenantId == tenantId else {
            throw StoreError.invalid(field: "homepageAppId", message: "no OA homepage app \(id)")
        }
    }
}

extension StoreRepository {
    /// The tenant's external domain, when set.
    static func externalDomain(_ db: Database, tenantId: Int64) throws -> String? {
        try tenantSetting(db, tenantId: tenantId, externalDomainKey)
    }

    // MARK: settings

    static var externalDomainKey: String { "externalDomain" }

    // MARK: helpers inside a transaction

    /// Deletes an entry with its audit entry; refused (naming them) while apps use it.
    static func deleteUnlessUsed<Entry: AuditedRecord>(_ db: Database, tenantId: Int64, _ actor: AuditActor, _ action: String,
                                                       _ entry: Entry, usedBy apps: [AppRecord], refusal: (String) -> LocalizedText) throws
    {
        guard apps.isEmpty else {
            throw StoreError.inUse(refusal(apps.map { "\($0.name) (\($0.appID))" }.joined(separator: ", ")))
        }
        _ = try entry.delete(db)
        try audit(db, tenantId: tenantId, actor, action, target: entry.auditTarget, before: entry.auditView, after: nil)
    }

    /// Saves an edited entry with its audit entry, or nothing when the edit changed nothing.
    static func saveEdit<Entry: AuditedRecord>(_ db: Database, tenantId: Int64, _ actor: AuditActor, _ action: String,
                                               before: Entry, after: Entry) throws -> Entry
    {
        guard after != before else { return after }
        var saved = after
        saved.updatedAt = Date()
        try saved.update(db)
        try audit(db, tenantId: tenantId, actor, action, target: saved.auditTarget, before: before.auditView, after: saved.auditView)
        return saved
    }

    static func enterprise(_ db: Database, tenantId: Int64, id: Int64) throws -> EnterpriseRecord {
        guard let enterprise = try EnterpriseRecord.fetchOne(db, key: id), enterprise.tenantId == tenantId else {
            throw StoreError.notFound("enterprise \(id)")
        }
        return enterprise
    }

    static func app(_ db: Database, tenantId: Int64, id: Int64) throws -> (app: AppRecord, enterprise: EnterpriseRecord) {
        guard let app = try AppRecord.fetchOne(db, key: id),
              let enterprise = try EnterpriseRecord.fetchOne(db, key: app.enterpriseId), enterprise.tenantId == tenantId
        else { throw StoreError.notFound("app \(id)") }
        return (app, enterprise)
    }

    static func homepageApp(_ db: Database, tenantId: Int64, id: Int64) throws -> HomepageAppRecord {
        guard let entry = try HomepageAppRecord.fetchOne(db, key: id), entry.tenantId == tenantId else {
            throw StoreError.notFound("homepage app \(id)")
        }
        return entry
    }
}

extension AppRecord {
    mutating func set(_ homepage: AppHomepage) {
        switch homepage {
        case .none: (homepageAppId, homepageURL) = (nil, nil)
        case .oaApp(let id): (homepageAppId, homepageURL) = (id, nil)
        case .custom(let url): (homepageAppId, homepageURL) = (nil, url)
        }
    }

    func auditTarget(_ enterprise: EnterpriseRecord) -> String { "app \(id ?? 0) \(name) (\(enterprise.name))" }

    func auditView(secretMask: String, tokenMask: String?, keyMask: String?) -> [String: String] {
        var view = ["name": name, "appID": appID, "appSecret": secretMask]
        if let tokenMask { view["verificationToken"] = tokenMask }
        if let keyMask { view["encryptKey"] = keyMask }
        if let homepageAppId { view["homepageAppId"] = "\(homepageAppId)" }
        if let homepageURL { view["homepageURL"] = homepageURL }
        return view
    }
}

/// A settings entry whose edits are audited with its own description and view.
protocol AuditedRecord: MutablePersistableRecord, Equatable {
    var updatedAt: Date { get set }
    var auditTarget: String { get }
    var auditView: [String: String] { get }
}

extension EnterpriseRecord: AuditedRecord {
    var auditTarget: String { "enterprise \(id ?? 0) \(name)" }
    var auditView: [String: String] { ["name": name, "brand": brand, "baseURL": baseURL] }
}

extension HomepageAppRecord: AuditedRecord {
    var auditTarget: String { "homepageApp \(id ?? 0) \(name)" }
    var auditView: [String: String] { ["name": name, "url": url, "note": note] }
}

extension IntegrationRepository {
    /// An app by its id, whatever its tenant (the homepage and callback URLs carry only the id), with its enterprise.
    public func app(id: Int64) async throws -> (app: AppRecord, enterprise: EnterpriseRecord) {
        try await read { db in
            guard let app = try AppRecord.fetchOne(db, key: id), let enterprise = try EnterpriseRecord.fetchOne(db, key: app.enterpriseId)
            else { throw StoreError.notFound("app \(id)") }
            return (app, enterprise)
        }
    }
}

extension IntegrationRepository: IntegrationStore {}
