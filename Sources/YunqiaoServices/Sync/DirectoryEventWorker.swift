import FeishuKit
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import YunqiaoCore

/// Applies Feishu's contact events to the directory mirror as they come (issue #15): the incremental half of mode 1,
/// with no read of the organisation and no API call. A `Service` of the bridge on a ``WorkerLoop``.
///
/// - Events come from the inbox (``DirectoryEventStore``), oldest `create_time` first. Created and updated events carry
///   the whole entry, which replaces the mirror's; a deleted user or department is marked deleted.
/// - The newest state wins: the store applies a change only when it is not older than what the mirror holds of the
///   entry, so events arriving late, twice, or older than the last full read change nothing.
/// - `contact.scope.updated_v3`: what the app sees now is added; what it no longer sees is **parked** for the
///   administrator (keep or remove), never deleted silently.
/// - Auto-bind runs after a batch that created users, when the enterprise enabled it.
/// - A malformed event is kept as failed with the reason; a store failure is tried again after `retry`'s back-off.
public struct DirectoryEventWorker: Service, Sendable {
    public struct Configuration: Sendable {
        public var retry = RetryPolicy(maxAttempts: 8, baseDelay: .seconds(1), maxDelay: .seconds(300))
        public var poll: Duration = .seconds(5)
        public var batch = 64
        public var lease: TimeInterval = 60
        /// Applied events are kept this long to dedupe repeats (the platform re-pushes for ≈ 7 h).
        public var keep: TimeInterval = 3 * 86_400

        public init() {}
    }

    let database: any BridgeStore
    let configuration: Configuration
    let logger: Logger
    let loop: WorkerLoop
    let lease: OutboxLease

    public init(database: any BridgeStore, configuration: Configuration = Configuration(), logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.lease = OutboxLease(owner: OutboxLease.processOwner(), duration: configuration.lease)
        self.loop = WorkerLoop(name: "directory events", every: configuration.poll, logger: logger)
    }

    /// An event was received: apply it now.
    public func wake() { loop.wake() }

    public func run() async throws {
        await loop.run { wake in
            if wake.start || wake.timer { _ = try await database.directoryEvents.purge(receivedBefore: Date().addingTimeInterval(-configuration.keep)) }
            let more = try await processBatch()
            return WorkerLoop.Tick(more: more)
        }
    }

    /// Applies one batch of due events; true when the batch was full (more may be due).
    @discardableResult
    public func processBatch() async throws -> Bool {
        let events = try await database.directoryEvents.claimDue(limit: configuration.batch, now: Date(), lease: lease)
        var created: [Int64: Int64] = [:]  // enterprise → tenant
        for record in events {
            if let outcome = await apply(record), outcome.createdUsers > 0 { created[record.event.enterpriseId] = record.event.tenantId }
        }
        for (enterpriseId, tenantId) in created.sorted(by: { $0.key < $1.key }) { await autoBind(tenantId: tenantId, enterpriseId: enterpriseId) }
        return events.count == configuration.batch
    }

    private func apply(_ record: DirectoryEventRecord) async -> DirectoryEventOutcome? {
        let event = record.event
        let metadata: Logger.Metadata = ["feishu.event_id": "\(event.eventID)", "feishu.event_type": "\(event.eventType)",
                                         "enterprise": "\(event.enterpriseId)"]
        let change: DirectoryEventChange
        do {
            change = Self.change(try FeishuContactEvent.decode(type: event.eventType, envelope: event.payload), time: event.createTime)
        } catch {
            logger.warning("directory event: cannot be read", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            _ = try? await database.directoryEvents.fail(eventId: record.id, error: error.description, lease: lease, now: Date())
            return nil
        }
        do {
            guard let outcome = try await database.directoryEvents.apply(change, eventId: record.id, lease: lease, now: Date()) else { return nil }
            let latency = Date().timeIntervalSince1970 * 1000 - Double(event.createTime)
            Timer(label: "yunqiao_directory_event_latency_seconds", dimensions: [("channel", event.channel)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(max(latency, 0) * 1_000_000))
            Counter(label: "yunqiao_directory_events_total", dimensions: [("type", event.eventType), ("stale", outcome.stale > 0 ? "yes" : "no")]).increment()
            logger.debug("directory event applied", metadata: metadata.merging([
                "event.applied": "\(outcome.applied)", "event.stale": "\(outcome.stale)", "event.parked": "\(outcome.parked)",
            ]) { $1 })
            if outcome.parked > 0 {
                logger.notice("directory event: entries left the app's contact scope; parked for the administrator",
                              metadata: metadata.merging(["event.parked": "\(outcome.parked)"]) { $1 })
            }
            return outcome
        } catch {
            let next = configuration.retry.nextAttempt(afterAttempt: record.attempts + 1, retryable: true, now: Date())
            logger.warning("directory event: not applied", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            if let next {
                _ = try? await database.directoryEvents.retry(eventId: record.id, at: next, error: "\(error)", lease: lease, now: Date())
            } else {
                _ = try? await database.directoryEvents.fail(eventId: record.id, error: "\(error)", lease: lease, now: Date())
            }
            return nil
        }
    }

    /// The mirror changes of one event (pure).
    static func change(_ event: FeishuContactEvent, time: Int64) -> DirectoryEventChange {
        var change = DirectoryEventChange(time: time)
        switch event {
        case .userChanged(let user):
            if user.status?.isResigned == true { change.deletedUsers = [FeishuDirectoryReader.key(user)] } else { change.users = [FeishuDirectoryReader.mirror(user)] }
        case .userDeleted(let user):
            change.deletedUsers = [FeishuDirectoryReader.key(user)]
        case .departmentChanged(let department):
            if department.isDeleted { change.deletedDepartments = [department.openDepartmentID] } else { change.departments = [FeishuDirectoryReader.mirror(department)] }
        case .departmentDeleted(let department):
            change.deletedDepartments = [department.openDepartmentID]
        case .scopeUpdated(let added, let removed):
            change.departments = added.departments.map(FeishuDirectoryReader.mirror)
            change.users = added.users.filter { $0.status?.isResigned != true }.map(FeishuDirectoryReader.mirror)
            change.scopeRemovals = removed.departments.map { ScopeRemoval(kind: .department, key: $0.openDepartmentID, name: $0.name) }
                + removed.users.map { ScopeRemoval(kind: .user, key: FeishuDirectoryReader.key($0), name: $0.name) }
        }
        return change
    }

    private func autoBind(tenantId: Int64, enterpriseId: Int64) async {
        do {
            let enterprise = try await database.integration.enterprise(tenantId: tenantId, id: enterpriseId)
            try await FeishuDirectorySync.autoBindIfEnabled(enterprise, database: database, logger: logger)
        } catch {
            logger.warning("directory event: auto-bind failed", metadata: ["enterprise": "\(enterpriseId)", "error": "\(error)"])
        }
    }
}
