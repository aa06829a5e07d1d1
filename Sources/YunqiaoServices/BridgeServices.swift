import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// The bridge's use cases and background services, built once per process over one store and one HTTP client: what
/// the HTTP server (and the CLI's long-running commands) expose. Background services are listed in ``background`` in
/// the order a service group starts them.
public struct BridgeServices: Sendable {
    public let database: any BridgeStore
    /// One Feishu client per app for the whole process (shared tenant token and rate limiter).
    public let clients: FeishuClients
    public let admin: AdminService
    /// "Sync now" requests, one run per enterprise at a time (a background service).
    public let coordinator: SyncCoordinator
    /// The OA pull connector's schedule and "run now" (a background service).
    public let oaConnector: OAConnectorScheduler
    /// Message push: sends the outbox to Feishu and brings todo cards to their final style (a background service).
    /// `push.wake()` after a change to the outbox.
    public let push: PushDelivery
    /// Quick approval: calls the OA's action webhook for every card button press (a background service).
    public let cardActions: CardActionWorker
    /// OA todos in Feishu's Approval Center: definitions, instances, reconciliation (a background service).
    public let approvalCenter: ApprovalCenterSync
    /// Feishu's contact events applied to the mirror as they come (a background service).
    public let directoryEvents: DirectoryEventWorker
    /// The long connections of the apps that receive events that way (a background service).
    public let longConnections: LongConnections
    /// Failed logins of the console and the first-visit OA form.
    public let throttle: LoginThrottle
    /// Checks the passwords of the console and the first-visit OA form (spending the same time for unknown users).
    public let passwords: PasswordVerifier
    /// Manual bind on first visit.
    public let firstVisit: FirstVisitFlow
    /// Mode 3 (OA → Feishu): plans, approvals, and the applies in the background (a background service).
    public let oaToFeishu: OAToFeishuRunner
    /// The directory syncs' schedules, modes 1 and 3 (a background service).
    public let schedule: SyncScheduler
    /// The OpenID Connect provider for the OA (issue #16).
    public let oidc: OIDCProvider
    /// The CAS server for the OA (issue #16).
    public let cas: CASServer
    /// 扫码登录: the QR page in front of the OIDC and CAS sign-ins.
    public let qrLogin: QRLogin
    /// JSAPI signatures of the OA's H5 pages (the app's `jsapi_ticket` cached in its Feishu client).
    public let jsapi: JSAPISigner

    /// - Parameters:
    ///   - quickApproval: how the quick-approval worker calls the OA (tests shorten its waits).
    ///   - push: how the delivery worker paces itself (tests shorten its waits).
    ///   - feishuRetry: how hard every Feishu client retries a call (tests shorten it).
    ///   - passwords: how passwords are checked (tests count the checks).
    ///   - scheduleTick: how often the sync schedule looks for due syncs (tests shorten it).
    public init(database: any BridgeStore, httpClient: HTTPClient, logger: Logger, throttle: LoginThrottle,
                passwords: PasswordVerifier = .bcrypt, quickApproval: CardActionWorker.Configuration = CardActionWorker.Configuration(),
                push: PushDeliveryConfiguration = PushDeliveryConfiguration(), feishuRetry: RetryPolicy = RetryPolicy(),
                scheduleTick: Duration = .seconds(30), approvalCenter: ApprovalCenterSync.Configuration = ApprovalCenterSync.Configuration(),
                directoryEvents: DirectoryEventWorker.Configuration = DirectoryEventWorker.Configuration(),
                longConnectionRefresh: Duration = .seconds(30))
    {
        self.database = database
        self.throttle = throttle
        self.passwords = passwords
        clients = FeishuClients(httpClient: httpClient, retry: feishuRetry, logger: logger)
        coordinator = SyncCoordinator(sync: FeishuDirectorySync(database: database, clients: clients, logger: logger))
        admin = AdminService(database: database, clients: clients, coordinator: coordinator, httpClient: httpClient, logger: logger)
        oaConnector = OAConnectorScheduler(puller: OAConnectorPuller(database: database, httpClient: httpClient, logger: logger), logger: logger)
        let delivery = PushDelivery(database: database, clients: clients, httpClient: httpClient, configuration: push, logger: logger)
        self.push = delivery
        let approvals = ApprovalCenterSync(database: database, clients: clients, configuration: approvalCenter, logger: logger)
        self.approvalCenter = approvals
        // An action the OA accepted changes its todo: the todo's card updates and Approval Center pushes are then due at once.
        cardActions = CardActionWorker(database: database, clients: clients, httpClient: httpClient,
                                       configuration: quickApproval, logger: logger, todoChanged: { delivery.wake(); approvals.wake() })
        self.directoryEvents = DirectoryEventWorker(database: database, configuration: directoryEvents, logger: logger)
        let cardActionWorker = cardActions
        longConnections = LongConnections(database: database, clients: clients, events: self.directoryEvents,
                                          cardClicks: CardClickResponder(database: database, worker: cardActionWorker),
                                          refresh: longConnectionRefresh, logger: logger)
        oaToFeishu = OAToFeishuRunner(sync: OAToFeishuSync(database: database, clients: clients, logger: logger), logger: logger)
        oidc = OIDCProvider(database: database, logger: logger)
        cas = CASServer(database: database, logger: logger)
        qrLogin = QRLogin(database: database)
        schedule = SyncScheduler(database: database, coordinator: coordinator, oaToFeishu: oaToFeishu, tick: scheduleTick, logger: logger)
        jsapi = JSAPISigner(database: database, clients: clients, logger: logger)
        firstVisit = FirstVisitFlow(database: database, clients: clients, throttle: throttle, passwords: passwords,
                                    oaLogin: OALoginVerifier(database: database, httpClient: httpClient))
    }

    /// The outbox changed (a message accepted, a todo changed): its workers look for due work now.
    public func outboxChanged() {
        push.wake()
        approvalCenter.wake()
    }

    /// The OA connector's admin operations (API and console).
    public var oaConnectorAdmin: OAConnectorAdmin { OAConnectorAdmin(database: database, scheduler: oaConnector) }

    /// Marks what a killed process left running as failed (sync runs, OA connector runs): at start, before the services run.
    public func recoverAbandonedRuns() async throws {
        try await database.mirror.failAbandonedSyncRuns(reason: "the server stopped during the run")
        try await database.oaConnectors.failAbandonedOAConnectorRuns(reason: "the server stopped during the run", at: Date())
    }
}
