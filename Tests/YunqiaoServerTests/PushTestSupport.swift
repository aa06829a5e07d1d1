import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Message push end to end: the bridge's router (admin API and OA API) on an in-memory database, the delivery worker
/// running as a service of the app, and a Feishu emulator with two apps of one enterprise. OA users 2001 (root1),
/// 2002 (root2), 2003 (multi) are bound; 2004 is an OA user without a binding. The module `approval` is registered.
struct PushEnvironment: Sendable {
    let api: APIEnvironment
    let emulator: RunningEmulator
    /// The OA system of tenant `default`, and of tenant `other`.
    let oa: APICaller
    let otherOA: APICaller
    let enterpriseId: Int64
    /// The bridge's ids of the emulator's two apps.
    let appId: Int64
    let secondAppId: Int64
    /// union ids by OA user id.
    let unionIDs: [String: String]

    var database: YunqiaoDatabase { api.database }
    var admin: APICaller { api.api }

    static let secondApp = EmulatorConfiguration.App(appID: "cli_yunqiaopush0002", appSecret: "push-app-secret-0002")
    static let bound = ["2001": "root1", "2002": "root2", "2003": "multi"]

    static var fastPush: PushDeliveryConfiguration {
        var push = PushDeliveryConfiguration()
        push.pollInterval = .milliseconds(20)
        push.retry.baseDelay = .milliseconds(5)
        push.retry.maxDelay = .milliseconds(40)
        return push
    }

    /// One attempt per call: the outbox's retries are what is tested.
    static let singleAttempt = RetryPolicy(maxAttempts: 1, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20),
                                           requestTimeout: .seconds(5))

    static func with(push: PushDeliveryConfiguration = fastPush, retry: RetryPolicy = singleAttempt, latency: Duration = .zero,
                     _ body: @Sendable (PushEnvironment) async throws -> Void) async throws
    {
        let fixture = try EmulatorFixture.parse(Data(standardFixture(bigDepartmentMembers: 3).utf8))
        let configuration = EmulatorConfiguration(apps: [APIEnvironment.emulatorApp, secondApp], org: .fixture(fixture), rateLimit: false,
                                                  latency: latency)
        try await Emulator.withRunning(configuration) { emulator in
            try await run(emulator: emulator, push: push, retry: retry, body)
        }
    }

    private static func run(emulator: RunningEmulator, push: PushDeliveryConfiguration, retry: RetryPolicy,
                            _ body: @Sendable (PushEnvironment) async throws -> Void) async throws
    {
        let database = try YunqiaoDatabase.inMemory()
        let hash = try await APIEnvironment.passwordHash.value
        let tenantId = try #require(try await database.integration.tenant(named: "default").id)
        let otherTenantId = try #require(try await database.integration.tenant(named: "other").id)
        try await database.admins.setAdminPassword(tenantId: tenantId, username: "admin", passwordHash: hash, by: .system)
        try await database.admins.setAdminPassword(tenantId: otherTenantId, username: "bob", passwordHash: hash, by: .system)
        let token = Passwords.token(prefix: "yq_"), otherToken = Passwords.token(prefix: "yq_")
        _ = try await database.admins.createAPIToken(tenantId: tenantId, name: "ci", token: token, by: .system)
        _ = try await database.admins.createAPIToken(tenantId: otherTenantId, name: "bob-ci", token: otherToken, by: .system)
        let oaKey = Passwords.token(prefix: "yqoa_"), otherOAKey = Passwords.token(prefix: "yqoa_")
        _ = try await database.admins.createOAKey(tenantId: tenantId, name: "泛微", key: oaKey, by: .system)
        _ = try await database.admins.createOAKey(tenantId: otherTenantId, name: "other-oa", key: otherOAKey, by: .system)

        // The enterprise, its two apps, the OA users and their bindings (union ids from the emulator's org).
        let enterprise = try await database.integration.createEnterprise(tenantId: tenantId, name: "推送企业", brand: "feishu", baseURL: emulator.baseURL,
                                                                         by: .system)
        let enterpriseId = try #require(enterprise.id)
        let app = try await database.integration.addApp(enterpriseId: enterpriseId, name: "待办", appID: APIEnvironment.emulatorApp.appID,
                                                        appSecret: APIEnvironment.emulatorApp.appSecret, by: .system)
        let second = try await database.integration.addApp(enterpriseId: enterpriseId, name: "通知", appID: secondApp.appID, appSecret: secondApp.appSecret,
                                                           by: .system)
        let org = await emulator.state.snapshot(includeOrg: true)
        var unionByUserID: [String: String] = [:]
        for user in org["org"]?["users"]?.arrayValue ?? [] {
            if let userID = user["user_id"]?.stringValue, let union = user["union_id"]?.stringValue { unionByUserID[userID] = union }
        }
        try await database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenantId, oaID: "2001", loginID: "zhangsan", name: "张三"),
            OAUserRecord(tenantId: tenantId, oaID: "2002", loginID: "lisi", name: "李四"),
            OAUserRecord(tenantId: tenantId, oaID: "2003", loginID: "wangwu", name: "王五"),
            OAUserRecord(tenantId: tenantId, oaID: "2004", loginID: "zhaoliu", name: "赵六"),
            OAUserRecord(tenantId: otherTenantId, oaID: "2001", loginID: "other", name: "别人"),
        ])
        var unionIDs: [String: String] = [:]
        for (oaID, userID) in bound {
            let union = try #require(unionByUserID[userID])
            unionIDs[oaID] = union
            _ = try await database.bindings.bind(tenantId: tenantId, enterpriseId: enterpriseId, oaUserID: oaID, unionID: union, method: "manual",
                                                 signedIn: SignedInFeishuUser(openID: nil, userID: userID, name: userID), by: .system)
        }
        _ = try await database.pushRules.createOAModule(tenantId: tenantId, key: "approval", name: "审批", actionURL: nil, actionSecret: nil, by: .system)

        let logs = LogCapture()
        let logger = Logger(label: "yunqiao-test") { _ in CapturingLogHandler(capture: logs) }
        let dependencies = try await ServerDependencies(configuration: ServerConfiguration(), database: database, httpClient: .shared,
                                                        metrics: PrometheusCollectorRegistry(), logger: logger, push: push, feishuRetry: retry)
        let router = buildRouter(dependencies)
        let routes = router.routes.map { "\($0.method) \($0.path)" }
        var application = Application(router: router, logger: logger)
        application.addServices(dependencies.coordinator, dependencies.push)
        let bindings = unionIDs
        try await application.test(.router) { client in
            let api = APIEnvironment(database: database, dependencies: dependencies, client: client, routes: routes, tenantId: tenantId,
                                     otherTenantId: otherTenantId, token: token, otherToken: otherToken, logs: logs, emulator: emulator)
            try await body(PushEnvironment(api: api, emulator: emulator, oa: APICaller(client: client, credentials: .token(oaKey)),
                                           otherOA: APICaller(client: client, credentials: .token(otherOAKey)), enterpriseId: enterpriseId,
                                           appId: try #require(app.id), secondAppId: try #require(second.id), unionIDs: bindings))
        }
    }

    // MARK: steps

    /// Creates a push rule through the admin API; answers it.
    @discardableResult
    func rule(_ name: String, source: String = "approval", enabled: Bool = true, targets: [(app: Int64, type: String, quick: Bool)])
        async throws -> PushAnswers.Rule
    {
        let list = targets.map { #"{"enterpriseId":\#(enterpriseId),"appId":\#($0.app),"type":"\#($0.type)","quickApproval":\#($0.quick)}"# }
        let answer = try await admin.post("push-rules", #"{"name":"\#(name)","source":"\#(source)","enabled":\#(enabled),"targets":[\#(list.joined(separator: ","))]}"#)
        #expect(answer.status == .created, "\(answer)")
        return try answer.decode()
    }

    /// Sends a message as the OA (`POST /api/v1/messages`).
    func send(_ json: String) async throws -> Answer { try await oa.post("/api/v1/messages", json) }

    /// A message of `approval` as JSON.
    static func message(_ key: String, to recipients: [String], title: String = "差旅申请", todo: String? = nil, actions: [String] = [],
                        image: String? = nil) -> String
    {
        var fields = [
            #""source":"approval""#, #""idempotencyKey":"\#(key)""#,
            #""recipients":[\#(recipients.map { "\"\($0)\"" }.joined(separator: ","))]"#,
            #""title":"\#(title)""#, #""body":"**张三** 申请出差 3 天\n- 目的地：上海""#,
            #""fields":[{"label":"申请人","value":"张三"}]"#,
            #""links":{"pc":"https://oa.example.com/wf/42","mobile":"https://oa.example.com/m/wf/42"}"#,
        ]
        if let todo { fields.append(#""todo":{"id":"\#(todo)","actions":[\#(actions.map { "\"\($0)\"" }.joined(separator: ","))]}"#) }
        if let image { fields.append(#""image":{"url":"\#(image)"}"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Accepts a message and waits until none of its deliveries (nor card updates) is pending.
    func sendAndSettle(_ json: String) async throws -> PushAnswers.Message {
        let answer = try await send(json)
        #expect(answer.status == .accepted, "\(answer)")
        return try await settled(try answer.decode(PushAnswers.Accepted.self).id)
    }

    /// The message once none of its deliveries or card updates is pending.
    func settled(_ id: Int64, timeout: Duration = .seconds(20)) async throws -> PushAnswers.Message {
        try await pushWait("message \(id) settled", timeout: timeout) {
            let current = try await oa.get("/api/v1/messages/\(id)").decode(PushAnswers.Message.self)
            return current.deliveries.allSatisfy { $0.state != "pending" && $0.cardUpdate?.state != "pending" } ? current : nil
        }
    }

    /// Messages in the emulator (`/_emulator/messages`), in sending order.
    func feishuMessages(_ query: [String: String] = [:]) async throws -> [JSON] {
        let answer = await emulator.state.admin("GET", "/_emulator/messages", query: query)
        #expect(answer.status == 200)
        return answer.json?["items"]?.arrayValue ?? []
    }

    func setFaults(_ json: JSON) async {
        let answer = await emulator.state.admin("PUT", "/_emulator/faults", body: json)
        #expect(answer.status == 200, "\(String(describing: answer.json))")
    }
}

/// The answers of the push APIs, as a client reads them.
enum PushAnswers {
    struct Accepted: Decodable {
        struct Deliveries: Decodable { var planned: Int; var skipped: Int }
        var id: Int64
        var status: String
        var deliveries: Deliveries
    }

    struct CardUpdate: Decodable { var state: String; var mode: String?; var attempts: Int; var lastError: String? }

    struct Delivery: Decodable {
        var id: Int64
        var messageId: Int64
        var appId: Int64
        var appName: String
        var oaUserID: String
        var type: String
        var quickApproval: Bool
        var state: String
        var attempts: Int
        var feishuMessageID: String?
        var lastError: String?
        var note: String?
        var cardUpdate: CardUpdate?
    }

    struct Todo: Decodable { var id: String; var source: String; var state: String; var by: String? }

    struct Message: Decodable {
        var id: Int64
        var source: String
        var title: String
        var todo: Todo?
        var deliveries: [Delivery]

        func delivery(_ oaUserID: String, app: Int64? = nil) -> Delivery? {
            deliveries.first { $0.oaUserID == oaUserID && (app == nil || $0.appId == app) }
        }
    }

    struct Target: Decodable { var id: Int64; var appId: Int64; var type: String; var quickApproval: Bool }
    struct Rule: Decodable { var id: Int64; var name: String; var source: String; var enabled: Bool; var targets: [Target] }
    struct Module: Decodable { var id: Int64; var key: String; var name: String; var actionURL: String?; var actionSecret: String? }
}

/// The header colour of a card (`blue` pending, `grey` done / cancelled, `green` approved, `red` rejected).
func pushCardTemplate(_ content: JSON?) -> String? { content?["header"]?["template"]?.stringValue }

/// Polls `probe` (every 20 ms, up to `timeout`) until it answers a value.
func pushWait<T>(_ what: String, timeout: Duration = .seconds(20), _ probe: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension OutboxLease {
    /// A test's hold on outbox work it claims by hand (standing for a worker).
    static let test = OutboxLease(owner: "test", duration: 60)
}
