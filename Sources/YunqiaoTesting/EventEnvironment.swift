import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Logging
import Prometheus
import YunqiaoCore
import YunqiaoServer
import YunqiaoServices
import YunqiaoStore

/// Contact events end to end: the emulator with the standard fixture and an app with a Verification Token and an
/// Encrypt Key, the bridge live on a port with an enterprise synced from it (mode 1), and the emulator's event URL set
/// to the bridge's (answered challenge). `admin` changes the org as Feishu's admin console would.
struct EventEnvironment: Sendable {
    static let appID = "cli_eventstest0001"
    static let appSecret = "events-secret"
    static let verificationToken = "vt-events-0001"
    static let encryptKey = "ek-events-0001"

    let database: YunqiaoDatabase
    let emulator: RunningEmulator
    let bridgeURL: String
    let client: any TestClientProtocol
    let tenantId: Int64
    let enterprise: EnterpriseRecord
    let appId: Int64
    let admin: FeishuClient
    let logs: LogCapture
    /// An API token of the tenant.
    let token: String

    /// Calls the admin API with the tenant's token.
    var api: APICaller { APICaller(client: client, credentials: .token(token)) }

    var enterpriseId: Int64 { enterprise.id ?? 0 }
    var eventURL: String { "\(bridgeURL)/feishu/apps/\(appId)/events" }

    static func with(encryptKey: String? = EventEnvironment.encryptKey, subscribe: Bool = true,
                     _ body: @escaping @Sendable (EventEnvironment) async throws -> Void) async throws
    {
        let fixture = try EmulatorFixture.parse(Data(standardFixture(bigDepartmentMembers: 3).utf8))
        let emulatorApp = EmulatorConfiguration.App(appID: appID, appSecret: appSecret, verificationToken: verificationToken, encryptKey: encryptKey)
        try await Emulator.withRunning(EmulatorConfiguration(apps: [emulatorApp], org: .fixture(fixture), rateLimit: false)) { emulator in
            let database = try YunqiaoDatabase.inMemory()
            let tenantId = try required(try await database.integration.tenant().id)
            let enterprise = try await database.integration.createEnterprise(tenantId: tenantId, name: "事件企业", brand: "feishu", baseURL: emulator.baseURL)
            let app = try await database.integration.addApp(enterpriseId: try required(enterprise.id), name: "通讯录", appID: appID,
                                                            appSecret: appSecret, verificationToken: verificationToken, encryptKey: encryptKey)
            let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
            _ = try await FeishuDirectorySync(database: database, httpClient: .shared, retry: SyncEnvironment.fastRetry, logger: quiet)
                .run(enterprise: enterprise)
            let token = Passwords.token(prefix: "yq_")
            _ = try await database.admins.createAPIToken(tenantId: tenantId, name: "events-ci", token: token, by: .system)
            let logs = LogCapture()
            let logger = Logger(label: "yunqiao-test") { _ in CapturingLogHandler(capture: logs) }
            var configuration = ServerConfiguration()
            configuration.port = 0
            var events = DirectoryEventWorker.Configuration()
            events.poll = .milliseconds(200)
            events.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50), maxDelay: .milliseconds(100))
            let dependencies = try await ServerDependencies(configuration: configuration, database: database, httpClient: .shared,
                                                            metrics: PrometheusCollectorRegistry(), logger: logger,
                                                            feishuRetry: SyncEnvironment.fastRetry, directoryEvents: events)
            let admin = FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: appID, appSecret: appSecret),
                                     httpClient: .shared, retry: SyncEnvironment.fastRetry, logger: quiet)
            try await buildApplication(dependencies).test(.live) { client in
                let bridgeURL = "http://127.0.0.1:\(try required(client.port))"
                let env = EventEnvironment(database: database, emulator: emulator, bridgeURL: bridgeURL, client: client, tenantId: tenantId,
                                           enterprise: enterprise, appId: try required(app.id), admin: admin, logs: logs, token: token)
                // Re-pushes come quickly in tests (the platform waits 15 s, 5 min, 1 h, 6 h).
                _ = await emulator.state.admin("PUT", "/_emulator/events/settings", body: ["retry_schedule_ms": [200, 400, 800]])
                if subscribe {
                    let set = await emulator.state.admin("PUT", "/_emulator/apps/\(appID)/events", body: ["url": .string(env.eventURL)])
                    try check(set.status == 200, "the event URL answers the challenge: \(String(describing: set.json))")
                }
                try await body(env)
            }
        }
    }

    /// POSTs raw bytes to the bridge.
    func post(_ path: String, _ body: Data, _ headers: HTTPFields = [.contentType: "application/json"]) async throws -> (status: Int, text: String) {
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
        return (Int(response.status.code), String(buffer: response.body))
    }

    func mirror() async throws -> DirectoryMirror {
        try await database.mirror.directory(enterpriseId: enterpriseId)
    }

    /// The emulator's counters of the pushes to the app.
    func pushCounters() async -> JSON {
        await emulator.state.admin("GET", "/_emulator/events").json?["counters"]?[Self.appID] ?? .null
    }

    /// Waits until the emulator has pushed everything it published and the bridge has applied what it received.
    func settle(_ what: String = "the events are applied") async throws {
        try await eventually(what) {
            let counters = await pushCounters()
            let published = counters["published"]?.intValue ?? 0, delivered = counters["delivered"]?.intValue ?? 0
            let dropped = counters["dropped"]?.intValue ?? 0, duplicated = counters["duplicated"]?.intValue ?? 0
            let summary = try await database.directoryEvents.channelSummary(appId: appId)
            return delivered >= published - dropped + duplicated && summary.pending == 0
        }
    }

    func openDepartmentID(_ departmentID: String) async throws -> String {
        try await admin.department(departmentID, departmentIDType: .departmentID).openDepartmentID
    }

    func user(_ userID: String) async throws -> FeishuUser {
        try await admin.user(userID, userIDType: .userID)
    }
}
