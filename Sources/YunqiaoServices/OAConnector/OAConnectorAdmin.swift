import Foundation
import YunqiaoCore

/// The connector as the admin API answers it and the console shows it. The secret is only a mask.
public struct OAConnectorView: Codable, Sendable, Equatable {
    /// False until the connector is saved the first time (the other fields are then the defaults).
    public var configured: Bool
    public var baseURL: String?
    /// `••••••••` and the secret's last 4 characters.
    public var secret: String?
    public var enabled: Bool
    public var intervalMinutes: Int
    /// `embedded` or `external`.
    public var loginCheck: String
    public var updatedBy: String?
    public var updatedAt: Date?
    /// A pull is running now.
    public var running: Bool
    public var lastRun: OAConnectorRunView?
}

/// One pull of the OA directory.
public struct OAConnectorRunView: Codable, Sendable, Equatable {
    public var id: Int64
    /// `running`, `succeeded` or `failed`.
    public var status: String
    /// `schedule` or `manual`.
    public var source: String
    public var startedBy: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMs: Int?
    public var pagesFetched: Int
    public var departmentsFetched: Int
    public var usersFetched: Int
    public var created: Int
    public var updated: Int
    public var unchanged: Int
    public var left: Int
    public var deleted: Int
    public var error: String?
    /// The first bad items of a failed run.
    public var itemErrors: [OAConnectorItemError]

    init(_ run: OAConnectorRunRecord) {
        id = run.id ?? 0
        status = run.status.rawValue
        source = run.source.rawValue
        startedBy = run.startedBy
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        durationMs = run.finishedAt.map { Int(($0.timeIntervalSince(run.startedAt) * 1000).rounded()) }
        pagesFetched = run.pagesFetched
        departmentsFetched = run.departmentsFetched
        usersFetched = run.usersFetched
        created = run.createdCount
        updated = run.updatedCount
        unchanged = run.unchangedCount
        left = run.leftCount
        deleted = run.deletedCount
        error = run.error
        itemErrors = run.decodedItemErrors
    }
}

/// `PUT oa-connector`. `baseURL` is required; a missing or empty `secret` keeps the stored one (required the first
/// time); other missing fields keep their stored values (new: disabled, 60 minutes, `embedded`).
public struct OAConnectorInput: Codable, Sendable {
    public var baseURL: String
    public var secret: String?
    public var enabled: Bool?
    public var intervalMinutes: Int?
    public var loginCheck: String?

    public init(baseURL: String, secret: String? = nil, enabled: Bool? = nil, intervalMinutes: Int? = nil, loginCheck: String? = nil) {
        self.baseURL = baseURL
        self.secret = secret
        self.enabled = enabled
        self.intervalMinutes = intervalMinutes
        self.loginCheck = loginCheck
    }
}

/// What an admin can do with the OA connector, for the JSON API and the console alike, scoped to the caller's tenant.
public struct OAConnectorAdmin: Sendable {
    let database: any BridgeStore
    let scheduler: OAConnectorScheduler

    static let defaultInterval = 60

    public func view(_ admin: AdminIdentity) async throws -> OAConnectorView {
        let lastRun = try await database.oaConnectors.oaConnectorRuns(tenantId: admin.tenantId, limit: 1).first
        guard let connector = try await database.oaConnectors.oaConnector(tenantId: admin.tenantId) else {
            return OAConnectorView(configured: false, enabled: false, intervalMinutes: Self.defaultInterval,
                                   loginCheck: OALoginCheck.embedded.rawValue, running: false, lastRun: lastRun.map(OAConnectorRunView.init))
        }
        return OAConnectorView(configured: true, baseURL: connector.baseURL, secret: database.oaConnectors.secretMask(of: connector), enabled: connector.enabled,
                               intervalMinutes: connector.intervalMinutes, loginCheck: connector.loginCheck.rawValue,
                               updatedBy: connector.updatedBy, updatedAt: connector.updatedAt, running: lastRun?.status == .running,
                               lastRun: lastRun.map(OAConnectorRunView.init))
    }

    public func save(_ admin: AdminIdentity, _ input: OAConnectorInput) async throws -> OAConnectorView {
        let stored = try await database.oaConnectors.oaConnector(tenantId: admin.tenantId)
        let settings = OAConnectorSettings(baseURL: input.baseURL, secret: input.secret, enabled: input.enabled ?? stored?.enabled ?? false,
                                           intervalMinutes: input.intervalMinutes ?? stored?.intervalMinutes ?? Self.defaultInterval,
                                           loginCheck: input.loginCheck ?? stored?.loginCheck.rawValue ?? OALoginCheck.embedded.rawValue)
        try await database.oaConnectors.saveOAConnector(tenantId: admin.tenantId, settings, by: admin.actor, at: Date())
        return try await view(admin)
    }

    public func check(_ admin: AdminIdentity) async throws -> CheckResult {
        try await requireConfigured(admin)
        return try await scheduler.puller.check(tenantId: admin.tenantId)
    }

    /// Starts a pull now, or answers the running one (`started == false`).
    public func runNow(_ admin: AdminIdentity) async throws -> (run: OAConnectorRunView, started: Bool) {
        try await requireConfigured(admin)
        let (run, started) = try await scheduler.runNow(tenantId: admin.tenantId, by: admin.actor)
        return (OAConnectorRunView(run), started)
    }

    public func runs(_ admin: AdminIdentity, limit: Int = 50) async throws -> [OAConnectorRunView] {
        try await database.oaConnectors.oaConnectorRuns(tenantId: admin.tenantId, limit: limit).map(OAConnectorRunView.init)
    }

    public func run(_ admin: AdminIdentity, id: Int64) async throws -> OAConnectorRunView {
        guard let run = try await database.oaConnectors.oaConnectorRun(tenantId: admin.tenantId, id: id) else {
            throw YunqiaoError.notFound("OA connector run \(id)")
        }
        return OAConnectorRunView(run)
    }

    private func requireConfigured(_ admin: AdminIdentity) async throws {
        guard try await database.oaConnectors.oaConnector(tenantId: admin.tenantId) != nil else {
            throw YunqiaoError.conflict(field: "baseURL", message: "configure the OA connector first")
        }
    }
}
