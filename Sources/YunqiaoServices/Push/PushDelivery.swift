import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import ServiceLifecycle
import YunqiaoCore

/// How the delivery worker paces itself. The defaults suit production; tests shorten the waits.
public struct PushDeliveryConfiguration: Sendable {
    /// Deliveries (and card updates) claimed from the store at once, at most.
    public var batchSize = 200
    /// Sends in flight per app. The app's ``FeishuClient`` paces them to 50/s (and 1000/min); a few in flight hide the
    /// round trip (8 hide up to 160 ms at 50/s).
    public var concurrencyPerApp = 8
    /// Claimed jobs kept queued per app at most, so one app's backlog does not hold up the others' messages.
    public var queuedPerApp = 64
    /// Sends in flight to one recipient of an app, so a burst to one user (5/s at Feishu) cannot take every slot.
    public var concurrencyPerRecipient = 2
    /// A delivery is dead after `retry.maxAttempts` failed attempts; the pauses between them grow from
    /// `retry.baseDelay` to `retry.maxDelay` (``RetryPolicy``).
    public var retry = RetryPolicy(maxAttempts: 8, baseDelay: .seconds(2), maxDelay: .seconds(300))
    /// How long claimed work stays this worker's without renewal (``OutboxLease``): work of a process that died is sent
    /// by another one, or after the restart, once this has passed. The worker renews its leases every third of it.
    public var lease: TimeInterval = 30
    /// How often the store is looked at without a wake-up (retries coming due, work of another process).
    public var pollInterval: Duration = .seconds(1)
    /// Downloading a message's image: at most this long and this big.
    public var imageTimeout: Duration = .seconds(10)
    public var imageMaxBytes = FeishuIMLimits.imageBytes
    /// A sent card is PATCHed while younger than this (Feishu: 14 days; an hour kept in hand); older ones get a
    /// "handled" text instead.
    public var cardUpdateWindow: TimeInterval = 14 * 86_400 - 3_600
    /// The language of cards and texts (rich text carries both).
    public var language: MessageLanguage = .zhCN
    /// The time written to the store and compared with due times.
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}

/// The delivery worker (issue #7, "Delivery"): sends due deliveries of the outbox to Feishu and brings todo cards to
/// their final style. A `Service` of the bridge.
///
/// - A loop claims due work in batches, queues it per app and starts sends while the app has a free slot
///   (``PushDeliveryConfiguration/concurrencyPerApp``); each send goes through the app's shared ``FeishuClient`` (its
///   limiter keeps 50/s and 1000/min per app) and a per-recipient limiter (5/s), with `receive_id_type=union_id` and the
///   delivery's fixed `uuid`, then records its outcome in its own transaction.
/// - Retryable failures (``FeishuAPIError/isRetryable``, network) come back after the back-off of
///   ``PushDeliveryConfiguration/retry``; a delivery is dead when its attempts are used up or at once on a permanent
///   error.
/// - ``wake()`` after a change to the outbox starts work at once; otherwise the store is looked at every
///   ``PushDeliveryConfiguration/pollInterval`` (the ``WorkerLoop``).
/// - Claims are leases (``OutboxLease``) the worker renews while it holds the work: a killed process loses nothing —
///   its work is due again when the lease runs out — and a repeated send has the same `uuid`, so Feishu answers it
///   with the first message.
/// - Graceful shutdown: no new sends, the running ones finish and record, the queued ones go back to the store.
public actor PushDelivery: Service {
    /// A claimed piece of work.
    enum Job: Sendable {
        case delivery(DeliveryJob)
        case cardUpdate(CardUpdateJob)

        var appId: Int64 {
            switch self {
            case .delivery(let job): job.appId
            case .cardUpdate(let job): job.appId
            }
        }

        /// Sends to one recipient of an app are limited together.
        var recipientKey: String {
            switch self {
            case .delivery(let job): "\(job.appId) \(job.unionID ?? job.oaUserID)"
            case .cardUpdate(let job): "\(job.appId) \(job.unionID ?? "card \(job.deliveryId)")"
            }
        }
    }

    public let database: any BridgeStore
    let clients: FeishuClients
    let httpClient: HTTPClient
    let configuration: PushDeliveryConfiguration
    let logger: Logger
    /// 5/s per recipient and app (keys carry the app id), shared by every send of the process.
    let recipientLimiter = RateLimiter(limits: .feishuPerRecipient)
    /// The worker's loop: woken by ``wake()`` and finished sends, and every ``PushDeliveryConfiguration/pollInterval``.
    let loop: WorkerLoop
    /// This worker's hold on what it claims.
    let lease: OutboxLease
    private var lastRenewal = Date.distantPast
    let images = PushImageKeys()

    private var queues: [Int64: [Job]] = [:]
    private var queued = 0
    private var inFlight: [Int64: Int] = [:]
    private var recipientsInFlight: [String: Int] = [:]
    private var running = 0
    /// Apps whose last claim came back at the per-app limit: the store holds more of theirs.
    private var backlogged: Set<Int64> = []
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var messages = BoundedCache<Int64, PushMessage>(capacity: 512)
    var apps = BoundedCache<Int64, (client: FeishuClient, fetched: Date)>(capacity: 256)

    public init<C: Clock>(database: any BridgeStore, clients: FeishuClients, httpClient: HTTPClient,
                          configuration: PushDeliveryConfiguration = PushDeliveryConfiguration(), clock: C, logger: Logger)
        where C.Duration == Duration
    {
        self.database = database
        self.clients = clients
        self.httpClient = httpClient
        self.configuration = configuration
        self.logger = logger
        let sleep: @Sendable (Duration) async throws -> Void = { duration in try await clock.sleep(for: duration) }
        self.lease = OutboxLease(owner: OutboxLease.processOwner(), duration: configuration.lease)
        self.loop = WorkerLoop(name: "push", every: configuration.pollInterval, sleep: sleep, logger: logger)
    }

    public init(database: any BridgeStore, clients: FeishuClients, httpClient: HTTPClient,
                configuration: PushDeliveryConfiguration = PushDeliveryConfiguration(), logger: Logger)
    {
        self.init(database: database, clients: clients, httpClient: httpClient, configuration: configuration, clock: ContinuousClock(),
                  logger: logger)
    }

    /// New work is in the store (an accepted message, a todo change, a resend): look now instead of at the next poll.
    public nonisolated func wake() { loop.wake() }

    public func run() async throws {
        await loop.run(tick: { wake in try await self.tick(wake) }, stopped: {
            await self.giveBackQueued()
            return WorkerLoop.Tick()
        })
        finishedStopping()
        // Stopped early (``stop()``): idle until the service group shuts down.
        if !Task.isShuttingDownGracefully { try? await gracefulShutdown() }
    }

    /// One turn of the loop: claim due work when there may be some — new work was signalled, the timer fired (retries
    /// coming due, another process's work), the last claim came back full, or an app with more work in the store has
    /// room in its queue again — renew the leases on the timer, and start what the apps have slots for.
    private func tick(_ wake: WorkerLoop.Wake) async throws -> WorkerLoop.Tick {
        let now = configuration.now()
        if wake.timer, now.timeIntervalSince(lastRenewal) >= configuration.lease / 3 {
            lastRenewal = now
            try await database.outbox.renewOutboxLeases(lease, now: now)
        }
        var more = false
        if wake.start || wake.newWork || wake.timer || wake.again || backlogged.contains(where: { (queues[$0]?.count ?? 0) < refill }) {
            more = try await claim()
        }
        return WorkerLoop.Tick(work: startable().map { job in { await self.perform(job) } }, more: more)
    }

    /// Stops taking work before the service group shuts down: the running sends finish and are recorded, the claimed
    /// ones go back to the store. Returns when that is done; the service then idles until shutdown. (Tests and the
    /// bench use it to stand for a stopped process.)
    public func stop() async {
        loop.stop()
        if stopped { return }
        await withCheckedContinuation { stopWaiters.append($0) }
    }

    private func finishedStopping() {
        stopped = true
        stopWaiters.forEach { $0.resume() }
        stopWaiters = []
    }

    /// An app's queue is topped up by this many once it holds fewer (it then holds at most ``PushDeliveryConfiguration/queuedPerApp``).
    private var refill: Int { max(1, configuration.queuedPerApp / 2) }

    /// Claims due work: up to ``refill`` per app, for the apps whose queue is below it, a batch at most. Answers whether
    /// there may be more (a full batch came back). A failure is the loop's to log and back off from.
    private func claim() async throws -> Bool {
        let now = configuration.now()
        let full = Set(queues.filter { $0.value.count >= refill }.keys)
        let limit = configuration.batchSize
        do {
            let deliveries = try await database.outbox.claimDueDeliveries(limit: limit, perApp: refill, now: now, lease: lease, excludingApps: full)
            let cards = try await database.outbox.claimDueCardUpdates(limit: limit, perApp: refill, now: now, lease: lease, excludingApps: full)
            var claimed: [Int64: Int] = [:]
            for job in deliveries {
                enqueue(.delivery(job))
                claimed[job.appId, default: 0] += 1
            }
            for job in cards {
                enqueue(.cardUpdate(job))
                claimed[job.appId, default: 0] += 1
            }
            // Apps that came back at their limit have more in the store: claim again once their queue runs low.
            backlogged = backlogged.intersection(full).union(claimed.filter { $0.value >= refill }.keys)
            return deliveries.count >= limit || cards.count >= min(limit, refill)
        } catch {
            backlogged = []
            throw error
        }
    }

    private func enqueue(_ job: Job) {
        queues[job.appId, default: []].append(job)
        queued += 1
    }

    /// Takes the jobs that may start now: per app while it has free slots, skipping recipients at their limit.
    private func startable() -> [Job] {
        var start: [Job] = []
        for appId in queues.keys.sorted() {
            guard var queue = queues[appId], !queue.isEmpty else { continue }
            var slots = configuration.concurrencyPerApp - inFlight[appId, default: 0]
            var index = 0
            while slots > 0 && index < queue.count {
                let key = queue[index].recipientKey
                if recipientsInFlight[key, default: 0] >= configuration.concurrencyPerRecipient {
                    index += 1
                    continue
                }
                let job = queue.remove(at: index)
                recipientsInFlight[key, default: 0] += 1
                inFlight[appId, default: 0] += 1
                queued -= 1
                running += 1
                slots -= 1
                start.append(job)
            }
            queues[appId] = queue.isEmpty ? nil : queue
        }
        return start
    }

    /// A job has finished: its slots are free again.
    func finished(_ job: Job) {
        let key = job.recipientKey
        recipientsInFlight[key, default: 1] -= 1
        if recipientsInFlight[key] == 0 { recipientsInFlight[key] = nil }
        inFlight[job.appId, default: 1] -= 1
        if inFlight[job.appId] == 0 { inFlight[job.appId] = nil }
        running -= 1
        loop.wake(newWork: false)
    }

    /// At shutdown: what was claimed but not started goes back to the store, due as it was.
    private func giveBackQueued() async {
        let jobs = queues.values.flatMap { $0 }
        queues = [:]
        queued = 0
        let deliveries = jobs.compactMap { job -> (id: Int64, outcome: DeliveryOutcome)? in
            if case .delivery(let delivery) = job { return (delivery.id, .released) }
            return nil
        }
        let cards = jobs.compactMap { job -> (id: Int64, outcome: CardUpdateOutcome)? in
            if case .cardUpdate(let card) = job { return (card.id, .released) }
            return nil
        }
        do {
            try await database.outbox.finishDeliveries(deliveries, lease: lease, at: configuration.now())
            try await database.outbox.finishCardUpdates(cards, lease: lease, at: configuration.now())
        } catch {
            // Their leases run out: another worker (or this one after the restart) takes them then.
            logger.warning("push: cannot give back queued deliveries at shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// Sends in flight and claimed jobs waiting for a slot (for tests and the bench).
    public var load: (running: Int, queued: Int) { (running, queued) }
}

/// A dictionary that forgets its oldest entries beyond `capacity`.
struct BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var values: [Key: Value] = [:]
    /// Keys in insertion order (some may be removed already).
    private var order: [Key] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func get(_ key: Key) -> Value? { values[key] }

    mutating func set(_ key: Key, _ value: Value) {
        if values.updateValue(value, forKey: key) == nil { order.append(key) }
        while values.count > capacity, !order.isEmpty { values[order.removeFirst()] = nil }
        if order.count > 2 * capacity { order = order.filter { values[$0] != nil } }
    }

    mutating func remove(_ key: Key) { values[key] = nil }
}
