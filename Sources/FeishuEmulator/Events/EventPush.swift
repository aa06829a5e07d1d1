import Foundation
import ServiceLifecycle
import Synchronization

/// Where and how an app receives events (`feishu-api.md` §6.1): its request URL and its keys.
struct EventSubscription: Sendable, Equatable {
    /// The request URL; nil when the app receives events over the long connection only.
    var url: String?
    var verificationToken: String
    var encryptKey: String?
}

/// One event on its way to an app: its plaintext envelope and where it goes.
struct OutgoingEvent: Sendable {
    var appID: String
    var eventID: String
    var type: String
    var envelope: JSON
    var subscription: EventSubscription
    /// 2 when the duplicate fault hit (the platform delivers at least once).
    var copies = 1
}

/// Pushes events to the apps' request URLs as the platform does (`feishu-api.md` §6.3, §6.4, §6.7):
///
/// - the body is `{"encrypt": …}` when the app has an Encrypt Key, with `X-Lark-Request-Timestamp`, `-Nonce` and
///   `X-Lark-Signature` (always, with a key); plaintext and unsigned without one;
/// - a delivery succeeded when the app answered HTTP 200 within the deadline (3 s); otherwise it is pushed again after
///   each pause of the retry schedule (15 s, 5 min, 1 h, 6 h; shorter in tests), then given up;
/// - at most ``maxInFlight`` requests at a time, so events may arrive out of order, as they do from the platform.
///
/// A service of the emulator's application: it sends while the emulator runs.
public final class EventPush: Service, Sendable {
    public struct Settings: Sendable, Equatable {
        public var retrySchedule: [Duration] = [.seconds(15), .seconds(300), .seconds(3600), .seconds(21_600)]
        public var deadline: Duration = .seconds(3)
        public init() {}
    }

    static let maxInFlight = 8
    static let keptDeliveries = 500

    private let stream: AsyncStream<OutgoingEvent>
    private let continuation: AsyncStream<OutgoingEvent>.Continuation
    let journal = EventJournal()
    private let settingsBox = Mutex(Settings())
    /// Events queued per app (counted as they are queued, so a test sees them at once).
    private let queued = Mutex([String: Int]())

    let hub: LongConnectionHub

    init(hub: LongConnectionHub) {
        self.hub = hub
        (stream, continuation) = AsyncStream.makeStream(of: OutgoingEvent.self)
    }

    var settings: Settings {
        get { settingsBox.withLock { $0 } }
        set { settingsBox.withLock { $0 = newValue } }
    }

    /// Queues an event; never blocks.
    func enqueue(_ event: OutgoingEvent) {
        queued.withLock { $0[event.appID, default: 0] += 1 }
        continuation.yield(event)
    }

    /// The counters and last deliveries, as `/_emulator/events` shows them.
    func json(appID: String?) async -> JSON {
        await journal.json(appID: appID, published: queued.withLock { $0 })
    }

    public func run() async throws {
        let slots = Slots(Self.maxInFlight)
        await withDiscardingTaskGroup { group in
            for await event in stream.cancelOnGracefulShutdown() {
                if event.copies == 0 {
                    await journal.dropped(appID: event.appID)
                    continue
                }
                await journal.published(event)
                for copy in 0..<max(event.copies, 1) {
                    group.addTask { await self.deliver(event, copy: copy, slots: slots) }
                }
            }
        }
    }

    /// Every attempt of one event: sent, and on failure sent again after each pause of the schedule.
    private func deliver(_ event: OutgoingEvent, copy: Int, slots: Slots) async {
        let schedule = settings.retrySchedule
        for attempt in 0...schedule.count {
            if attempt > 0 {
                do { try await Task.sleep(for: schedule[attempt - 1]) } catch { return }
            }
            await slots.acquire()
            let deadline = settings.deadline
            let outcome = await send(event, deadline: deadline)
            await slots.release()
            let succeeded = outcome.status == 200 && outcome.elapsed <= deadline
            await journal.record(event, attempt: attempt + 1, copy: copy, outcome: outcome, succeeded: succeeded,
                                 final: succeeded || attempt == schedule.count)
            if succeeded { return }
        }
    }

    /// One push: over the long connection when the app has one open (plaintext, `feishu-longconn.md` §1), else one POST
    /// to its request URL, encrypted and signed with its keys.
    func send(_ event: OutgoingEvent, deadline: Duration) async -> CallbackOutcome {
        let plain = Data(event.envelope.serialized.utf8)
        if hub.isConnected(event.appID) {
            let started = ContinuousClock.now
            let ack = await hub.push(appID: event.appID, envelope: plain, deadline: deadline)
            return CallbackOutcome(status: ack?.code, contentType: nil, body: ack?.data ?? Data(),
                                   error: ack == nil ? "no ack over the long connection" : nil, elapsed: ContinuousClock.now - started)
        }
        guard let url = event.subscription.url else {
            return CallbackOutcome(status: nil, contentType: nil, body: Data(), error: "no request URL and no long connection", elapsed: .zero)
        }
        let (headers, body) = Self.sealed(plain, subscription: event.subscription)
        return await CallbackOutcome.post(to: url, headers: headers, body: body, timeout: deadline)
    }

    /// The body and headers of a push of `plain` (§6.3, §6.4): encrypted and signed when the app has an Encrypt Key.
    static func sealed(_ plain: Data, subscription: EventSubscription) -> (headers: [(String, String)], body: Data) {
        var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Feishu-Emulator-Event/1.0")]
        guard let key = subscription.encryptKey, !key.isEmpty,
              let encrypted = try? CallbackCrypto.encrypt(plain, encryptKey: key)
        else { return (headers, plain) }
        let body = Data(JSON.object(["encrypt": .string(encrypted)]).serialized.utf8)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let nonce = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        headers += [("X-Lark-Request-Timestamp", timestamp), ("X-Lark-Request-Nonce", nonce),
                    ("X-Lark-Signature", CallbackCrypto.signature(timestamp: timestamp, nonce: nonce, encryptKey: key, body: body))]
        return (headers, body)
    }
}

/// What happened to the events pushed: counters per app and the last deliveries, for `/_emulator/events`.
actor EventJournal {
    struct Counters: Sendable {
        var delivered = 0
        var failedAttempts = 0
        var givenUp = 0
        var dropped = 0
        var duplicated = 0
    }

    private(set) var counters: [String: Counters] = [:]
    private var recent: [JSON] = []

    func published(_ event: OutgoingEvent) {
        if event.copies > 1 { counters[event.appID, default: Counters()].duplicated += 1 }
    }

    func dropped(appID: String) {
        counters[appID, default: Counters()].dropped += 1
    }

    func record(_ event: OutgoingEvent, attempt: Int, copy: Int, outcome: CallbackOutcome, succeeded: Bool, final: Bool) {
        if succeeded { counters[event.appID, default: Counters()].delivered += 1 } else { counters[event.appID, default: Counters()].failedAttempts += 1 }
        if final, !succeeded { counters[event.appID, default: Counters()].givenUp += 1 }
        recent.append([
            "app_id": .string(event.appID), "event_id": .string(event.eventID), "event_type": .string(event.type),
            "attempt": .int(attempt), "copy": .int(copy), "status": outcome.status.map { .int($0) } ?? .null,
            "elapsed_ms": .int(Int(outcome.elapsed.components.seconds * 1000 + outcome.elapsed.components.attoseconds / 1_000_000_000_000_000)),
            "delivered": .bool(succeeded), "error": outcome.error.map(JSON.string) ?? .null,
        ])
        if recent.count > EventPush.keptDeliveries { recent.removeFirst(recent.count - EventPush.keptDeliveries) }
    }

    func json(appID: String?, published: [String: Int]) -> JSON {
        let apps = Set(counters.keys).union(published.keys).sorted().filter { appID == nil || $0 == appID }
        return [
            "counters": .object(Dictionary(uniqueKeysWithValues: apps.map { id in
                let c = counters[id] ?? Counters()
                return (id, ["published": .int(published[id] ?? 0), "delivered": .int(c.delivered), "failed_attempts": .int(c.failedAttempts),
                             "given_up": .int(c.givenUp), "dropped": .int(c.dropped), "duplicated": .int(c.duplicated)] as JSON)
            })),
            "deliveries": .array(recent.filter { appID == nil || $0["app_id"]?.stringValue == appID }),
        ]
    }
}

/// A counting semaphore, first come first served.
private actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
