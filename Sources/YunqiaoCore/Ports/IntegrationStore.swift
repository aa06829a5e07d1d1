import Foundation

/// Tenants, the external domain, enterprises, Feishu apps and homepage apps.
public protocol IntegrationStore: Sendable {
    /// The tenant named `name`, created when missing.
    func tenant(named name: String) async throws -> TenantRecord

    /// The plaintext secret of an app, for the Feishu client only.
    func secret(of app: AppRecord) throws -> String

    /// Every tenant's external domain (for the server's Strict-Transport-Security on the https ones).
    func externalDomains() async throws -> [String]

    /// The bridge's external domain (云桥对外域名), e.g. `https://bridge.example.com`, or nil when unset.
    func externalDomain(tenantId: Int64) async throws -> String?

    /// Sets (or, with an empty value, clears) the external domain: an absolute http(s) URL without query or fragment;
    /// a trailing `/` is dropped. Returns the stored value.
    @discardableResult
    func setExternalDomain(tenantId: Int64, _ value: String, by actor: AuditActor) async throws -> String?

    /// The hosts a message's `image.url` may name although they resolve to a private address (lower-case).
    func imageHosts(tenantId: Int64) async throws -> [String]

    /// Replaces the image-host allow-list (host names or IP addresses; blanks and duplicates dropped); audited.
    @discardableResult
    func setImageHosts(tenantId: Int64, _ hosts: [String], by actor: AuditActor) async throws -> [String]

    /// 扫码登录: off with no apps until set.
    func qrLoginSetting(tenantId: Int64) async throws -> QRLoginSetting

    /// Replaces the QR login setting (``QRLoginSetting/validate()``; each app one of the tenant's, at most one per
    /// enterprise); audited as `settings.update` when it changes. Returns the stored setting.
    @discardableResult
    func setQRLoginSetting(tenantId: Int64, _ setting: QRLoginSetting, by actor: AuditActor) async throws -> QRLoginSetting

    func createEnterprise(tenantId: Int64, name: String, brand: String, baseURL: String,
                          by actor: AuditActor) async throws -> EnterpriseRecord

    func enterprises(tenantId: Int64) async throws -> [EnterpriseRecord]

    func enterprise(tenantId: Int64, name: String) async throws -> EnterpriseRecord

    func enterprise(tenantId: Int64, id: Int64) async throws -> EnterpriseRecord

    func updateEnterprise(tenantId: Int64, id: Int64, name: String, brand: String, baseURL: String,
                          by actor: AuditActor) async throws -> EnterpriseRecord

    /// Deletes an enterprise and its mirror. Refused while push rules send through it or apps use it; the error names them.
    func deleteEnterprise(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    /// Adds an app; the secret (and the callback credentials, when given) are sealed before they reach the database.
    /// - Parameters:
    ///   - verificationToken: the app's Verification Token for card callbacks; nil or empty = not set.
    ///   - encryptKey: the app's Encrypt Key for card callbacks; nil or empty = not set.
    func addApp(enterpriseId: Int64, name: String, appID: String, appSecret: String, homepage: AppHomepage,
                verificationToken: String?, encryptKey: String?,
                by actor: AuditActor) async throws -> AppRecord

    func apps(enterpriseId: Int64) async throws -> [AppRecord]

    /// An app of the tenant and its enterprise.
    func app(tenantId: Int64, id: Int64) async throws -> (app: AppRecord, enterprise: EnterpriseRecord)

    /// Edits an app. A nil or empty `appSecret`, `verificationToken` or `encryptKey` keeps the stored value.
    func updateApp(tenantId: Int64, id: Int64, name: String, appID: String, appSecret: String?, homepage: AppHomepage,
                   verificationToken: String?, encryptKey: String?,
                   by actor: AuditActor) async throws -> AppRecord

    /// Deletes an app. Refused while push rules send through it; the error names them.
    func deleteApp(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    /// The mask of an app's secret (last 4 characters), for display.
    func secretMask(of app: AppRecord) -> String

    /// The mask of an app's Verification Token (last 4 characters), or nil when it is not set.
    func verificationTokenMask(of app: AppRecord) -> String?

    /// The mask of an app's Encrypt Key (last 4 characters), or nil when it is not set.
    func encryptKeyMask(of app: AppRecord) -> String?

    /// The app's plaintext callback credentials, for checking card callbacks only (never returned or logged).
    func callbackCredentials(of app: AppRecord) throws -> (verificationToken: String?, encryptKey: String?)

    func homepageApps(tenantId: Int64) async throws -> [HomepageAppRecord]

    func homepageApp(tenantId: Int64, id: Int64) async throws -> HomepageAppRecord

    func createHomepageApp(tenantId: Int64, name: String, url: String, note: String,
                           by actor: AuditActor) async throws -> HomepageAppRecord

    func updateHomepageApp(tenantId: Int64, id: Int64, name: String, url: String, note: String,
                           by actor: AuditActor) async throws -> HomepageAppRecord

    /// Deletes an OA homepage app. Refused while Feishu apps open it; the error names them.
    func deleteHomepageApp(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    /// An app by its id, whatever its tenant (the homepage and callback URLs carry only the id), with its enterprise.
    func app(id: Int64) async throws -> (app: AppRecord, enterprise: EnterpriseRecord)
}
