import AsyncHTTPClient
import FeishuKit
import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import YunqiaoServices
import YunqiaoCore

/// Everything the bridge's HTTP app needs, built once per process: the use cases and background services
/// (``BridgeServices``) and what only HTTP needs (console renderer, metrics registry).
public struct ServerDependencies: Sendable {
    public let configuration: ServerConfiguration
    public let services: BridgeServices
    public let renderer: ConsoleRenderer
    /// What `/metrics` prints (the registry the process's `MetricsSystem` was bootstrapped with).
    public let metrics: PrometheusCollectorRegistry
    public let logger: Logger

    public var database: any BridgeStore { services.database }
    public var service: AdminService { services.admin }
    public var coordinator: SyncCoordinator { services.coordinator }
    public var throttle: LoginThrottle { services.throttle }
    public var oaConnector: OAConnectorScheduler { services.oaConnector }
    public var cardActions: CardActionWorker { services.cardActions }
    public var push: PushDelivery { services.push }

    /// - Parameters:
    ///   - quickApproval: how the quick-approval worker calls the OA (tests shorten its waits).
    ///   - push: how the delivery worker paces itself (tests shorten its waits).
    ///   - feishuRetry: how hard every Feishu client retries a call (tests shorten it).
    ///   - passwords: how console and OA form passwords are checked (tests count the checks).
    public init(configuration: ServerConfiguration, database: any BridgeStore, httpClient: HTTPClient, metrics: PrometheusCollectorRegistry,
                logger: Logger, quickApproval: CardActionWorker.Configuration = CardActionWorker.Configuration(),
                push: PushDeliveryConfiguration = PushDeliveryConfiguration(), feishuRetry: RetryPolicy = RetryPolicy(),
                passwords: PasswordVerifier = .bcrypt, approvalCenter: ApprovalCenterSync.Configuration = ApprovalCenterSync.Configuration(),
                directoryEvents: DirectoryEventWorker.Configuration = DirectoryEventWorker.Configuration()) async throws
    {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        services = BridgeServices(database: database, httpClient: httpClient, logger: logger,
                                  throttle: LoginThrottle(maxFailures: configuration.loginMaxFailures, window: configuration.loginWindow),
                                  passwords: passwords, quickApproval: quickApproval, push: push, feishuRetry: feishuRetry,
                                  approvalCenter: approvalCenter, directoryEvents: directoryEvents)
        renderer = try await ConsoleRenderer()
    }
}

/// The bridge's routes: health and metrics, the OpenAPI document, the console and the admin API.
public func buildRouter(_ dependencies: ServerDependencies) -> Router<AppRequestContext> {
    // HEAD is answered wherever GET is (without the body).
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let renderer = dependencies.renderer
    router.addMiddleware {
        MetricsMiddleware()
        LogRequestsMiddleware(.info, includeHeaders: .none)
        SecurityHeadersMiddleware(httpsHosts: HTTPSHosts(database: dependencies.database))
        ErrorMiddleware { error, request, context in
            ConsoleController.errorPage(error, request: request, context: context, renderer: renderer)
        }
        SecureCookieMiddleware(mode: dependencies.configuration.secureCookies)
        SessionMiddleware(storage: DatabasePersistDriver(database: dependencies.database),
                          configuration: .init(sessionCookieParameters: .init(name: "yq_session", sameSite: .lax),
                                               defaultSessionExpiration: dependencies.configuration.sessionLifetime))
    }
    router.get("healthz") { _, _ in
        try await dependencies.database.healthCheck()
        return Health(status: "ok")
    }
    router.get("metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: dependencies.metrics.emitToBuffer())))
    }
    router.get("openapi.json") { _, _ in try StaticResource.response("openapi.json", contentType: "application/json") }
    router.get("static/:file") { _, context in
        let file = try context.parameters.require("file")
        guard ["console.css", "console.js", "qr-login.js", "qr-login-embed.js"].contains(file) else { throw APIError(.notFound, message: "no such file") }
        return try StaticResource.response("static/" + file, contentType: file.hasSuffix(".css") ? "text/css" : "text/javascript")
    }
    SessionController(database: dependencies.database, renderer: renderer, throttle: dependencies.throttle,
                      passwords: dependencies.services.passwords, trustedProxies: dependencies.configuration.trustedProxies,
                      sessionLifetime: dependencies.configuration.sessionLifetime).addRoutes(to: router)
    router.get("/") { _, _ in Response.redirect(to: "/console", type: .found) }
    let firstVisit = FirstVisitController(flow: dependencies.services.firstVisit, database: dependencies.database, renderer: renderer,
                                          trustedProxies: dependencies.configuration.trustedProxies, oidc: dependencies.services.oidc,
                                          cas: dependencies.services.cas, qrLogin: dependencies.services.qrLogin)
    firstVisit.addRoutes(to: router)
    QRLoginController(qrLogin: dependencies.services.qrLogin, firstVisit: firstVisit, renderer: renderer).addRoutes(to: router)
    OIDCController(provider: dependencies.services.oidc, firstVisit: firstVisit, renderer: renderer).addRoutes(to: router)
    CASController(server: dependencies.services.cas, firstVisit: firstVisit, renderer: renderer).addRoutes(to: router)
    CardCallbackController(database: dependencies.database, worker: dependencies.cardActions).addRoutes(to: router)
    ApprovalCallbackController(database: dependencies.database, worker: dependencies.cardActions).addRoutes(to: router)
    EventCallbackController(database: dependencies.database, worker: dependencies.services.directoryEvents).addRoutes(to: router)
    let authenticate = AdminAuthMiddleware(database: dependencies.database)
    router.group("console").add(middleware: authenticate).add(middleware: RequireAdminMiddleware(redirectToLogin: true))
        .addRoutes(ConsoleController(service: dependencies.service, renderer: renderer, oaConnector: dependencies.oaConnectorAdmin,
                                     pushDelivery: dependencies.push, oaToFeishu: OAToFeishuAdmin(runner: dependencies.services.oaToFeishu),
                                     sso: OIDCClientAdmin(provider: dependencies.services.oidc), qrLogin: dependencies.services.qrLogin,
                                     approvalCenter: dependencies.services.approvalCenter,
                                     longConnections: dependencies.services.longConnections).routes)
    router.group("api/admin/v1").add(middleware: authenticate).add(middleware: RequireAdminMiddleware(redirectToLogin: false))
        .add(middleware: RefuseUnknownFieldsMiddleware())
        .addRoutes(AdminAPIController(service: dependencies.service).routes)
        .addRoutes(TenantAPIController(service: dependencies.service).routes)
        .addRoutes(OADirectoryAPIController(database: dependencies.database).routes)
        .addRoutes(BindingAPIController(service: dependencies.service).routes)
        .addRoutes(BindingSheetAPIController(service: dependencies.service).routes)
        .addRoutes(OAKeysAPIController(database: dependencies.database).routes)
        .addRoutes(OAConnectorAPIController(connector: dependencies.oaConnectorAdmin).routes)
        .addRoutes(OAToFeishuAPIController(mode3: OAToFeishuAdmin(runner: dependencies.services.oaToFeishu)).routes)
        .addRoutes(PushAPIController(database: dependencies.database, push: dependencies.push).routes)
        .addRoutes(ApprovalCenterAPIController(database: dependencies.database, sync: dependencies.services.approvalCenter).routes)
        .addRoutes(DirectoryEventsAPIController(database: dependencies.database, longConnections: dependencies.services.longConnections).routes)
        .addRoutes(OIDCClientAPIController(clients: OIDCClientAdmin(provider: dependencies.services.oidc), qrLogin: dependencies.services.qrLogin).routes)
    router.group("api/v1").add(middleware: OAKeyMiddleware(database: dependencies.database))
        .addRoutes(OAPushAPIController(database: dependencies.database).routes)
        .addRoutes(OAMessagesAPIController(database: dependencies.database, push: dependencies.push,
                                                        approvalCenter: dependencies.services.approvalCenter).routes)
        .addRoutes(OAJSAPIController(signer: dependencies.services.jsapi).routes)
    router.answerUnknownMethods()  // after every route
    return router
}

/// The bridge's HTTP app with its background services (session tidy, sync runs) in shutdown order.
public func buildApplication(_ dependencies: ServerDependencies,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol
{
    try await dependencies.services.recoverAbandonedRuns()
    let settings = dependencies.configuration
    // Slow clients hold nothing for long: a first head within headerTimeout, then never silent beyond idleTimeout.
    let headerTimeout = TimeAmount(settings.headerTimeout)
    let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: headerTimeout)],
                                           idleTimeout: TimeAmount(settings.idleTimeout))
    var app = Application(
        router: buildRouter(dependencies),
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "yunqiao"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: dependencies.logger)
    app.addServices(DatabasePersistDriver(database: dependencies.database), dependencies.coordinator, dependencies.oaConnector,
                    dependencies.push, dependencies.cardActions, dependencies.services.oaToFeishu,
                    dependencies.services.schedule, dependencies.services.approvalCenter, dependencies.services.directoryEvents,
                    dependencies.services.longConnections)
    return app
}

extension ServerDependencies {
    /// The OA connector's admin operations (API and console).
    var oaConnectorAdmin: OAConnectorAdmin { services.oaConnectorAdmin }
}

struct Health: ResponseEncodable, Sendable {
    var status: String
}

/// Files shipped in the target's `Resources` folder.
enum StaticResource {
    static func data(_ path: String) throws -> Data {
        let parts = path.split(separator: "/").map(String.init)
        guard let first = parts.first,
              let root = Bundle.module.url(forResource: first, withExtension: nil)
        else {
            throw APIError(.notFound, message: "no such file")
        }
        return try Data(contentsOf: parts.dropFirst().reduce(root) { $0.appendingPathComponent($1) })
    }

    static func response(_ path: String, contentType: String) throws -> Response {
        let headers: HTTPFields = [.contentType: contentType, .cacheControl: "max-age=300"]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try data(path))))
    }
}
