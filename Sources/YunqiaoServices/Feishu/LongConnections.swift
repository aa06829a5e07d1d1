import FeishuKit
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import YunqiaoCore

/// The long connections of the apps set to receive events that way (issue #15; `feishu-longconn.md`): one
/// ``FeishuLongConnection`` per app, opened by the bridge, so no public address is needed. A `Service` of the bridge:
/// it looks at the apps' settings at start, on ``wake()`` (a setting changed) and every `refresh`, opens what is new,
/// closes what is no longer wanted, and closes everything at shutdown.
///
/// What arrives goes the way of the request URL's: contact events into the durable inbox (deduped by `event_id`) for
/// the ``DirectoryEventWorker`` — acked once stored —, card clicks through ``CardClickResponder``, the ack carrying the
/// toast and the card.
public final class LongConnections: Service, Sendable {
    let database: any BridgeStore
    let clients: FeishuClients
    let events: DirectoryEventWorker
    let cardClicks: CardClickResponder
    let logger: Logger
    let loop: WorkerLoop
    /// Pause after a refusal retrying cannot fix (wrong secret, connection limit).
    let slowRetry: Duration
    private let running = Mutex([Int64: (connection: FeishuLongConnection, task: Task<Void, Never>, fingerprint: String)]())

    public init(database: any BridgeStore, clients: FeishuClients, events: DirectoryEventWorker, cardClicks: CardClickResponder,
                refresh: Duration = .seconds(30), slowRetry: Duration = .seconds(300), logger: Logger)
    {
        self.database = database
        self.clients = clients
        self.events = events
        self.cardClicks = cardClicks
        self.logger = logger
        self.slowRetry = slowRetry
        self.loop = WorkerLoop(name: "long connections", every: refresh, logger: logger)
    }

    /// An app's channel setting changed: look again now.
    public func wake() { loop.wake() }

    /// The status of an app's connection, or nil when the bridge holds none for it.
    public func status(appId: Int64) -> FeishuLongConnection.Status? {
        running.withLock { $0[appId]?.connection.status }
    }

    public func run() async throws {
        await loop.run { _ in
            try await self.reconcile()
            return WorkerLoop.Tick()
        } stopped: {
            self.closeAll()
            return WorkerLoop.Tick()
        }
        closeAll()
    }

    private func closeAll() {
        let tasks = running.withLock { all in
            defer { all.removeAll() }
            return all.values.map(\.task)
        }
        for task in tasks { task.cancel() }
    }

    /// Opens a connection for each app that wants one and closes the others; an app whose credentials or address
    /// changed gets a new one.
    func reconcile() async throws {
        var wanted: [Int64: (FeishuClient, String)] = [:]
        for (app, enterprise) in try await database.directoryEvents.longConnectionApps() {
            guard let id = app.id else { continue }
            let client = try await clients.client(enterprise: enterprise, app: app, database: database)
            wanted[id] = (client, "\(enterprise.baseURL)|\(app.appID)|\(app.sealedSecret)")
        }
        let stale = running.withLock { all -> [Task<Void, Never>] in
            let gone = all.filter { wanted[$0.key]?.1 != $0.value.fingerprint }
            for key in gone.keys { all[key] = nil }
            return gone.values.map(\.task)
        }
        for task in stale { task.cancel() }
        for (appId, (client, fingerprint)) in wanted where running.withLock({ $0[appId] == nil }) {
            let connection = FeishuLongConnection(client: client, logger: logger, slowRetry: slowRetry) { [self] envelope in
                await self.handle(envelope, appId: appId)
            }
            let task = Task { await connection.run() }
            running.withLock { $0[appId] = (connection, task, fingerprint) }
            logger.info("long connection started", metadata: ["app": "\(appId)"])
        }
    }

    /// One message of the connection: stored (events) or answered (card clicks) before it is acked.
    func handle(_ envelope: Data, appId: Int64) async -> FeishuLongConnection.Reply {
        var metadata: Logger.Metadata = ["app": "\(appId)", "channel": "websocket"]
        do {
            let found = try await database.integration.app(id: appId)
            switch try FeishuCallbackVerifier.longConnectionPush(envelope) {
            case .urlVerification:
                return .handled(nil)
            case .cardAction(let action):
                return .handled(try await cardClicks.respond(action, appId: appId, logger: logger))
            case .event(let event):
                metadata["feishu.event_type"] = "\(event.type)"
                if let appID = event.appID, appID != found.app.appID {
                    logger.warning("long connection: an event for another app", metadata: metadata)
                    return .failed
                }
                guard FeishuContactEvent.types.contains(event.type) else { return .handled(nil) }
                guard let eventID = event.eventID, let createTime = event.createTime else { return .failed }
                let stored = try await database.directoryEvents.receive(
                    ReceivedDirectoryEvent(tenantId: found.enterprise.tenantId, enterpriseId: found.app.enterpriseId, appId: appId, eventID: eventID,
                                           eventType: event.type, createTime: createTime, payload: event.payload, channel: "websocket"),
                    at: Date())
                if stored { events.wake() }
                return .handled(nil)
            }
        } catch {
            logger.warning("long connection: message not handled", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return .failed
        }
    }
}
