import Foundation
import GRDB
import YunqiaoCore

/// The OA connector of each tenant (pulling the OA directory on a schedule) and its runs.
public struct OAConnectorRepository: StoreRepository {
    let writer: any DatabaseWriter
    let secrets: SecretBox
}

/// The OA pull connector (issue #6, way 3): its settings, validated here for the API and the console alike and audited
/// with the secret masked, and its runs.
extension OAConnectorRepository {
    /// How many bad items a failed run keeps.
    public static let itemErrorLimit = 20

    public func oaConnector(tenantId: Int64) async throws -> OAConnectorRecord? {
        try await read { db in try OAConnectorRecord.fetchOne(db, key: tenantId) }
    }

    /// Every tenant's connector that pulls on the schedule.
    public func enabledOAConnectors() async throws -> [OAConnectorRecord] {
        try await read { db in try OAConnectorRecord.filter(OAConnectorRecord.Columns.enabled == true).order(OAConnectorRecord.Columns.tenantId).fetchAll(db) }
    }

    /// The connector's secret, for the connector's HTTP client only.
    public func secret(of connector: OAConnectorRecord) throws -> String { try secrets.open(connector.sealedSecret) }

    /// `••••••••` and the secret's last 4 characters.
    public func secretMask(of connector: OAConnectorRecord) -> String {
        (try? secrets.open(connector.sealedSecret)).map(maskSecret) ?? "••••••••"
    }

    /// Creates or changes the tenant's connector: the base URL is an absolute http(s) URL (a trailing `/` is dropped),
    /// the secret is required the first time (an empty one keeps the stored secret), the interval is within
    /// ``intervals``, the login check `embedded` or `external`. Audited as `oaConnector.create` or
    /// `oaConnector.update` with the secret masked; an edit that changes nothing writes nothing.
    @discardableResult
    public func saveOAConnector(tenantId: Int64, _ settings: OAConnectorSettings, by actor: AuditActor,
                                at time: Date = Date()) async throws -> OAConnectorRecord
    {
        let baseURL = try Validate.baseURL(settings.baseURL, field: "baseURL")
        // The secret as sent (the document's pattern): 512 code points at most, no space or line break of any kind and
        // no control character (Cc) — format characters (Cf) are text.
        let newSecret = settings.secret?.nilIfEmpty
        if let newSecret {
            guard newSecret.unicodeScalars.count <= 512 else { throw StoreError.invalid(field: "secret", message: "at most 512 characters") }
            guard !newSecret.unicodeScalars.contains(where: { CharacterSet.whitespacesAndNewlines.contains($0) || $0.properties.generalCategory == .control })
            else {
                throw StoreError.invalid(field: "secret", message: "must not contain spaces or control characters")
            }
        }
        let bounds = OAConnectorSettings.intervals
        guard bounds.contains(settings.intervalMinutes) else {
            throw StoreError.invalid(field: "intervalMinutes", message: "must be between \(bounds.lowerBound) and \(bounds.upperBound) minutes")
        }
        guard let loginCheck = OALoginCheck(rawValue: settings.loginCheck) else {
            throw StoreError.invalid(field: "loginCheck", message: "must be embedded or external")
        }
        let sealed = try newSecret.map { try secrets.seal($0) }
        let stored = try await oaConnector(tenantId: tenantId)
        let oldMask = stored.map { secretMask(of: $0) }
        return try await write { db in
            let before = try OAConnectorRecord.fetchOne(db, key: tenantId)
            guard let sealedSecret = sealed ?? before?.sealedSecret else {
                throw StoreError.invalid(field: "secret", message: "required")
            }
            let record = OAConnectorRecord(tenantId: tenantId, baseURL: baseURL, sealedSecret: sealedSecret, enabled: settings.enabled,
                                           intervalMinutes: settings.intervalMinutes, loginCheck: loginCheck, updatedBy: actor.name,
                                           updatedAt: time)
            if let before {
                var unchanged = record
                unchanged.updatedBy = before.updatedBy
                unchanged.updatedAt = before.updatedAt
                if unchanged == before { return before }
            }
            try record.save(db)
            let newMask = newSecret.map(maskSecret) ?? oldMask ?? "••••••••"
            try Self.audit(db, tenantId: tenantId, actor, before == nil ? "oaConnector.create" : "oaConnector.update", target: "oaConnector",
                           before: before.map { $0.auditView(secretMask: oldMask ?? "••••••••") },
                           after: record.auditView(secretMask: newMask))
            return record
        }
    }

    // MARK: runs

    /// Starts a run of the tenant's connector, or answers the one already running (`started == false`): at most one
    /// run per tenant at a time, decided inside the transaction. A manual start is audited as `oaConnector.run`.
    public func startOAConnectorRun(tenantId: Int64, source: OAConnectorRunRecord.Source, by actor: AuditActor,
                                    at time: Date = Date()) async throws -> (run: OAConnectorRunRecord, started: Bool)
    {
        try await write { db in
            guard try OAConnectorRecord.fetchOne(db, key: tenantId) != nil else {
                throw StoreError.invalid(field: "baseURL", message: "configure the OA connector first")
            }
            if let running = try OAConnectorRunRecord.filter(OAConnectorRunRecord.Columns.tenantId == tenantId && OAConnectorRunRecord.Columns.status == "running")
                .order(OAConnectorRunRecord.Columns.id.desc).fetchOne(db)
            {
                return (running, false)
            }
            var run = OAConnectorRunRecord(id: nil, tenantId: tenantId, source: source, startedBy: actor.name, status: .running, startedAt: time,
                                           finishedAt: nil, pagesFetched: 0, departmentsFetched: 0, usersFetched: 0, createdCount: 0,
                                           updatedCount: 0, unchangedCount: 0, leftCount: 0, deletedCount: 0, error: nil, itemErrors: nil)
            try run.insert(db)
            if source == .manual {
                try Self.audit(db, tenantId: tenantId, actor, "oaConnector.run", target: "oaConnector", before: nil,
                               after: ["run": "\(run.id ?? 0)"])
            }
            return (run, true)
        }
    }

    /// Stores how a run ended (the first ``itemErrorLimit`` bad items).
    @discardableResult
    public func finishOAConnectorRun(_ run: OAConnectorRunRecord, _ outcome: OAConnectorRunOutcome,
                                     at time: Date = Date()) async throws -> OAConnectorRunRecord
    {
        var finished = run
        finished.status = outcome.status
        finished.finishedAt = time
        finished.pagesFetched = outcome.pagesFetched
        finished.departmentsFetched = outcome.departmentsFetched
        finished.usersFetched = outcome.usersFetched
        finished.createdCount = outcome.result.created
        finished.updatedCount = outcome.result.updated
        finished.unchangedCount = outcome.result.unchanged
        finished.leftCount = outcome.result.left
        finished.deletedCount = outcome.result.deleted
        finished.error = outcome.error
        let kept = Array(outcome.itemErrors.prefix(Self.itemErrorLimit))
        finished.itemErrors = kept.isEmpty ? nil : String(decoding: try JSONEncoder.keepingKeys().encode(kept), as: UTF8.self)
        let record = finished
        try await write { db in try record.update(db) }
        return record
    }

    /// The tenant's runs, newest first.
    public func oaConnectorRuns(tenantId: Int64, limit: Int = 50) async throws -> [OAConnectorRunRecord] {
        try await read { db in
            try OAConnectorRunRecord.filter(OAConnectorRunRecord.Columns.tenantId == tenantId).order(OAConnectorRunRecord.Columns.id.desc).limit(max(1, min(limit, 200))).fetchAll(db)
        }
    }

    public func oaConnectorRun(tenantId: Int64, id: Int64) async throws -> OAConnectorRunRecord? {
        try await read { db in try OAConnectorRunRecord.filter(OAConnectorRunRecord.Columns.tenantId == tenantId && OAConnectorRunRecord.Columns.id == id).fetchOne(db) }
    }

    /// When the tenant's newest run started, or nil before the first one.
    public func lastOAConnectorRunStart(tenantId: Int64) async throws -> Date? {
        try await read { db in
            try Date.fetchOne(db, sql: "SELECT startedAt FROM oaConnectorRun WHERE tenantId = ? ORDER BY id DESC LIMIT 1", arguments: [tenantId])
        }
    }

    /// Marks runs left `running` by a process that died as failed (called at startup).
    @discardableResult
    public func failAbandonedOAConnectorRuns(reason: String = "the server stopped during the run", at time: Date = Date()) async throws -> Int {
        try await write { db in
            try OAConnectorRunRecord.filter(OAConnectorRunRecord.Columns.status == "running")
                .updateAll(db, OAConnectorRunRecord.Columns.status.set(to: "failed"), OAConnectorRunRecord.Columns.error.set(to: reason), OAConnectorRunRecord.Columns.finishedAt.set(to: time))
        }
    }
}

extension OAConnectorRepository: OAConnectorStore {}
