import FeishuKit
import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// Brings OA todos into Feishu's Approval Center (issue #18): pushes the modules' external approval definitions and
/// the todos' instances from their queues of the outbox, and reconciles on a schedule (``ApprovalCenterCheck``). A
/// `Service` of the bridge on a ``WorkerLoop``.
///
/// - A definition is pushed first; its instances wait for the code Feishu answers.
/// - An instance is pushed as it is when claimed (`REPLACE`, `update_time` = its change time): a change while it is on
///   its way leaves it pending for another push, and Feishu ignores a push not newer than what it holds, so the
///   Approval Center ends in the newest state whatever order the pushes land in.
/// - Each approver is named by `user_id` (from the binding), else by the app's `open_id`, asked of Feishu once by
///   union_id and kept.
/// - Failures that may pass (``FeishuAPIError/isRetryable``, the network) come back after `retry`'s back-off; others,
///   or the attempts used up, make a dead letter, which the console can send again.
/// - Claims are leases (``OutboxLease``): the work of a process killed mid-push is due again when its lease runs out.
public struct ApprovalCenterSync: Service, Sendable {
    public struct Configuration: Sendable {
        public var retry = RetryPolicy(maxAttempts: 8, baseDelay: .seconds(2), maxDelay: .seconds(300))
        public var poll: Duration = .seconds(1)
        public var batch = 32
        /// How often the reconciliation runs (nil: only on demand).
        public var checkEvery: Duration? = .seconds(3600)
        public var lease: TimeInterval = 60

        public init() {}
    }

    let database: any BridgeStore
    let clients: FeishuClients
    let configuration: Configuration
    let logger: Logger
    let loop: WorkerLoop
    let lease: OutboxLease
    public let check: ApprovalCenterCheck

    public init(database: any BridgeStore, clients: FeishuClients, configuration: Configuration = Configuration(), logger: Logger) {
        self.database = database
        self.clients = clients
        self.configuration = configuration
        self.logger = logger
        self.lease = OutboxLease(owner: OutboxLease.processOwner(), duration: configuration.lease)
        self.loop = WorkerLoop(name: "approval center", every: configuration.poll, logger: logger)
        self.check = ApprovalCenterCheck(database: database, clients: clients, logger: logger)
    }

    /// Look for due work now (a todo changed).
    public func wake() { loop.wake() }

    public func run() async throws {
        let lastCheck = LastCheck()
        await loop.run { _ in
            await processDue()
            if let every = configuration.checkEvery, await lastCheck.due(every: every) {
                await check.run(tenantId: nil)
                processAgainSoon()
            }
            return WorkerLoop.Tick()
        }
    }

    private func processAgainSoon() { loop.wake() }

    /// Pushes due definitions, then due instances, a batch at a time, until none is due.
    func processDue() async {
        while !Task.isCancelled {
            do {
                let definitions = try await database.approvalCenter.claimDueApprovalDefinitions(limit: configuration.batch, now: Date(), lease: lease)
                for job in definitions { await define(job) }
                let instances = try await database.approvalCenter.claimDueApprovalInstances(limit: configuration.batch, now: Date(), lease: lease)
                await withDiscardingTaskGroup { group in
                    for job in instances { group.addTask { await push(job) } }
                }
                if definitions.isEmpty && instances.isEmpty { return }
            } catch {
                logger.error("approval center: cannot read due work", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private func define(_ job: ApprovalDefinitionJob) async {
        let id = job.definition.id ?? 0
        let metadata: Logger.Metadata = ["approval.definition": "\(id)", "oa.module": "\(job.module.key)", "app": "\(job.app.id ?? 0)"]
        let outcome: ApprovalPushOutcome
        do {
            let client = try await clients.client(enterprise: job.enterprise, app: job.app, database: database)
            let (definition, digest) = try ApprovalCenterPayload.definition(job, appSecret: try database.integration.secret(of: job.app))
            if job.definition.approvalCode != nil, job.definition.digest == digest {
                outcome = .synced(approvalCode: nil, digest: digest)
            } else {
                let code = try await client.saveExternalApproval(definition)
                logger.info("approval center: definition saved", metadata: metadata.merging(["approval.code": "\(code)"]) { $1 })
                outcome = .synced(approvalCode: code, digest: digest)
            }
        } catch {
            outcome = failure(error, attempts: job.definition.attempts)
            logger.warning("approval center: definition not saved", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        do { try await database.approvalCenter.finishApprovalDefinition(id, outcome, lease: lease, at: Date()) } catch {
            logger.error("approval center: cannot record a definition's push", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    private func push(_ job: ApprovalInstanceJob) async {
        var job = job
        let id = job.instance.id ?? 0
        let metadata: Logger.Metadata = ["approval.instance": "\(job.instance.instanceId)", "app": "\(job.app.id ?? 0)"]
        let outcome: ApprovalPushOutcome
        var status = ""
        do {
            let client = try await clients.client(enterprise: job.enterprise, app: job.app, database: database)
            job.tasks = try await identify(job.tasks, client: client)
            let instance = ApprovalCenterPayload.instance(job)
            status = instance.status
            try await client.syncExternalInstance(instance)
            outcome = .synced(approvalCode: nil, digest: nil)
        } catch {
            outcome = failure(error, attempts: job.instance.attempts)
            logger.warning("approval center: instance not pushed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        do {
            try await database.approvalCenter.finishApprovalInstance(id, changeTime: job.instance.changeTime, status: status, outcome,
                                                                     lease: lease, at: Date())
        } catch {
            logger.error("approval center: cannot record an instance's push", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Tasks whose approver has neither a user_id nor an open_id yet: asked of Feishu by union_id, and kept. One Feishu
    /// no longer knows (left the company) stays without, and its task is left out.
    private func identify(_ tasks: [ApprovalTaskRecord], client: FeishuClient) async throws -> [ApprovalTaskRecord] {
        var identified: [ApprovalTaskRecord] = []
        for var task in tasks {
            if task.userID == nil, task.openID == nil {
                do {
                    let user = try await client.user(task.unionID, userIDType: .unionID)
                    task.userID = user.userID
                    task.openID = user.openID
                    try await database.approvalCenter.setApprovalTaskUser(task.id ?? 0, userID: user.userID, openID: user.openID)
                } catch let error as FeishuAPIError where !error.isRetryable {
                    logger.info("approval center: an approver is unknown to Feishu", metadata: ["oa.user": "\(task.oaUserID)", "error": "\(error)"])
                }
            }
            identified.append(task)
        }
        return identified
    }

    private func failure(_ error: any Error, attempts: Int) -> ApprovalPushOutcome {
        let retryable = (error as? FeishuAPIError)?.isRetryable ?? !(error is EncodingError)
        let text = "\(error)"
        if let next = configuration.retry.nextAttempt(afterAttempt: attempts + 1, retryable: retryable, now: Date()) {
            return .retry(at: next, error: text)
        }
        return .dead(error: text)
    }
}

/// When the scheduled reconciliation last ran.
private actor LastCheck {
    var at: ContinuousClock.Instant?

    func due(every: Duration) -> Bool {
        let now = ContinuousClock.now
        guard let at else {
            // The first one an interval after the start: a restart does not check at once.
            self.at = now
            return false
        }
        guard now - at >= every else { return false }
        self.at = now
        return true
    }
}
