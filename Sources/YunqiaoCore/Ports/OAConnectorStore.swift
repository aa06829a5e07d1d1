import Foundation

/// The OA connector and its runs.
public protocol OAConnectorStore: Sendable {
    func oaConnector(tenantId: Int64) async throws -> OAConnectorRecord?

    /// Every tenant's connector that pulls on the schedule.
    func enabledOAConnectors() async throws -> [OAConnectorRecord]

    /// The connector's secret, for the connector's HTTP client only.
    func secret(of connector: OAConnectorRecord) throws -> String

    /// `••••••••` and the secret's last 4 characters.
    func secretMask(of connector: OAConnectorRecord) -> String

    /// Creates or changes the tenant's connector: the base URL is an absolute http(s) URL (a trailing `/` is dropped),
    /// the secret is required the first time (an empty one keeps the stored secret), the interval is within
    /// ``intervals``, the login check `embedded` or `external`. Audited as `oaConnector.create` or
    /// `oaConnector.update` with the secret masked; an edit that changes nothing writes nothing.
    @discardableResult
    func saveOAConnector(tenantId: Int64, _ settings: OAConnectorSettings, by actor: AuditActor,
                         at time: Date) async throws -> OAConnectorRecord

    /// Starts a run of the tenant's connector, or answers the one already running (`started == false`): at most one
    /// run per tenant at a time, decided inside the transaction. A manual start is audited as `oaConnector.run`.
    func startOAConnectorRun(tenantId: Int64, source: OAConnectorRunRecord.Source, by actor: AuditActor,
                             at time: Date) async throws -> (run: OAConnectorRunRecord, started: Bool)

    /// Stores how a run ended (the first ``itemErrorLimit`` bad items).
    @discardableResult
    func finishOAConnectorRun(_ run: OAConnectorRunRecord, _ outcome: OAConnectorRunOutcome,
                              at time: Date) async throws -> OAConnectorRunRecord

    /// The tenant's runs, newest first.
    func oaConnectorRuns(tenantId: Int64, limit: Int) async throws -> [OAConnectorRunRecord]

    func oaConnectorRun(tenantId: Int64, id: Int64) async throws -> OAConnectorRunRecord?

    /// When the tenant's newest run started, or nil before the first one.
    func lastOAConnectorRunStart(tenantId: Int64) async throws -> Date?

    /// Marks runs left `running` by a process that died as failed (called at startup).
    @discardableResult
    func failAbandonedOAConnectorRuns(reason: String, at time: Date) async throws -> Int
}

/// A bad item of a pull: its list (`departments` or `users`), its position in the whole list (from 0; absent when the
/// problem is the list's), the field at fault and why.
public struct OAConnectorItemError: Codable, Sendable, Equatable, CustomStringConvertible {
    public var list: String
    public var index: Int?
    public var field: String?
    public var message: LocalizedText

    public init(list: String, index: Int?, field: String?, message: LocalizedText) {
        self.list = list
        self.index = index
        self.field = field
        self.message = message
    }

    /// `users[5].email: not an email address: "x@"`.
    public var description: String {
        let position = index.map { "[\($0)]" } ?? ""
        let name = field.map { ".\($0)" } ?? ""
        return list + position + name + ": " + message.description
    }
}

/// What an admin sends to configure the connector. A nil or empty `secret` keeps the stored one.
public struct OAConnectorSettings: Sendable, Equatable {
    public var baseURL: String
    public var secret: String?
    public var enabled: Bool
    public var intervalMinutes: Int
    public var loginCheck: String

    public init(baseURL: String, secret: String?, enabled: Bool, intervalMinutes: Int, loginCheck: String) {
        self.baseURL = baseURL
        self.secret = secret
        self.enabled = enabled
        self.intervalMinutes = intervalMinutes
        self.loginCheck = loginCheck
    }
}

/// How a finished run went.
public struct OAConnectorRunOutcome: Sendable, Equatable {
    public var status: OAConnectorRunRecord.Status
    public var pagesFetched = 0
    public var departmentsFetched = 0
    public var usersFetched = 0
    public var result = OADirectoryImportResult()
    public var error: String?
    public var itemErrors: [OAConnectorItemError] = []

    public init(status: OAConnectorRunRecord.Status) {
        self.status = status
    }
}

extension OAConnectorSettings {
    /// The schedule's bounds, in minutes.
    public static let intervals = 5...1440
}
