import AsyncHTTPClient
import Crypto
import FeishuEmulator
import FeishuKit
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

// MARK: - The OA's action webhook, a test double

/// A stand-in for an OA module's quick-approval webhook: records every call, checks its signature on its own (HMAC-SHA256
/// over `timestamp + "." + body`), and answers as scripted (status, body, delay), 200 once the script is used up.
actor OAActionInbox {
    struct Call: Sendable {
        var headers: [String: String]
        var body: Data
        /// `X-Yunqiao-Signature` is HMAC-SHA256(secret, `X-Yunqiao-Timestamp` + "." + body).
        var signatureValid: Bool
        var payload: Payload?
    }

    /// The documented body (`OATodoAction`).
    struct Payload: Decodable, Sendable, Equatable {
        struct Operator: Decodable, Sendable, Equatable {
            var oaUserID: String
            var unionID: String
            var name: String
        }

        var actionId: String
        var source: String
        var todoId: String
        var action: String
        var `operator`: Operator
        var at: String
    }

    struct Reply: Sendable {
        var status: Int
        var body: String
        var delay: Duration

        static func ok() -> Reply { Reply(status: 200, body: #"{"ok":true}"#, delay: .zero) }
        static func status(_ status: Int, _ body: String = "{}", delay: Duration = .zero) -> Reply {
            Reply(status: status, body: body, delay: delay)
        }
    }

    let secret: String
    private(set) var calls: [Call] = []
    private var script: [Reply] = []

    init(secret: String) { self.secret = secret }

    /// The answers of the next calls, in order.
    func script(_ replies: [Reply]) { script = replies }

    func record(_ headers: [String: String], _ body: Data) -> Reply {
        let timestamp = headers["x-yunqiao-timestamp"] ?? ""
        let expected = HMAC<SHA256>.authenticationCode(for: Data((timestamp + ".").utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        let hex = expected.map { String(format: "%02x", $0) }.joined()
        let payload = try? JSONDecoder().decode(Payload.self, from: body)
        calls.append(Call(headers: headers, body: body, signatureValid: headers["x-yunqiao-signature"] == hex, payload: payload))
        return script.isEmpty ? .ok() : script.removeFirst()
    }
}

/// Runs `body` with a live OA webhook at the URL it is given.
func withOAActionEndpoint<T: Sendable>(secret: String, _ body: @escaping @Sendable (String, OAActionInbox) async throws -> T) async throws -> T {
    let inbox = OAActionInbox(secret: secret)
    let router = Router()
    router.post("/oa/quick-approval") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let reply = await inbox.record(headers, Data(bytes.readableBytesView))
        if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
        return Response(status: HTTPResponse.Status(code: reply.status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          logger: Logger(label: "oa-double") { _ in SwiftLogNoOpLogHandler() })
    return try await app.test(.live) { client in
        try await body("http://127.0.0.1:\(try required(client.port))/oa/quick-approval", inbox)
    }
}

// MARK: - The bridge, live, with the emulator and the OA double

/// Quick approval end to end: the Feishu emulator (with the app's Verification Token, Encrypt Key and callback
/// protocol), the OA webhook double, and the bridge live on a port (so the emulator can call its card callback) with an
/// enterprise synced from the emulator, OA users 2001 (root1, 张三) and 2002 (root2, 李四) bound, the module `approval`
/// with its webhook, and a rule sending its todos with quick approval. The delivery worker runs alongside.
struct QuickApprovalEnvironment: Sendable {
    static let appID = "cli_quickapproval01"
    static let appSecret = "quick-approval-secret"
    static let verificationToken = "vt-quick-approval-0001"
    static let encryptKey = "ek-quick-approval-0001"
    static let actionSecret = "oa-action-secret-0001"

    struct Options: Sendable {
        var callbackProtocol: EmulatorConfiguration.CardCallbackProtocol = .v2
        /// The Encrypt Key set in Feishu (the emulator's app) and in the bridge.
        var encryptKey: String? = QuickApprovalEnvironment.encryptKey
        /// The module's webhook; false = none configured.
        var actionURL = true
        /// Card clicks come over the long connection (the app is set to it; no callback URL is configured).
        var longConnection = false
        /// Where the module's todos appear (cards, the Approval Center, or both).
        var todoChannel: TodoChannel = .card
        var worker = CardActionWorker.Configuration(timeout: .seconds(2),
                                                    retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .milliseconds(100)),
                                                    poll: .milliseconds(50))
    }

    let database: YunqiaoDatabase
    let emulator: RunningEmulator
    let oa: OAActionInbox
    let oaURL: String
    /// The bridge's base URL and a client of it.
    let bridgeURL: String
    let client: any TestClientProtocol
    let tenantId: Int64
    let enterpriseId: Int64
    let appId: Int64
    /// union ids of the fixture users by user_id.
    let unionIDs: [String: String]
    let logs: LogCapture
    /// The bridge's delivery worker.
    let push: PushDelivery
    /// The bridge's Approval Center worker.
    let approvalCenter: ApprovalCenterSync

    static func with(_ options: Options = Options(), _ body: @escaping @Sendable (QuickApprovalEnvironment) async throws -> Void) async throws {
        let fixture = try EmulatorFixture.parse(Data(standardFixture(bigDepartmentMembers: 3).utf8))
        let emulatorApp = EmulatorConfiguration.App(appID: appID, appSecret: appSecret, verificationToken: verificationToken,
                                                    encryptKey: options.encryptKey, cardCallbackProtocol: options.callbackProtocol)
        try await Emulator.withRunning(EmulatorConfiguration(apps: [emulatorApp], org: .fixture(fixture), rateLimit: false)) { emulator in
            try await withOAActionEndpoint(secret: actionSecret) { oaURL, inbox in
                try await run(options, emulator: emulator, oaURL: oaURL, oa: inbox, body)
            }
        }
    }

    private static func run(_ options: Options, emulator: RunningEmulator, oaURL: String, oa: OAActionInbox,
                            _ body: @escaping @Sendable (QuickApprovalEnvironment) async throws -> Void) async throws
    {
        let database = try YunqiaoDatabase.inMemory()
        let tenantId = try required(try await database.integration.tenant().id)
        let enterprise = try await database.integration.createEnterprise(tenantId: tenantId, name: "快捷审批企业", brand: "feishu", baseURL: emulator.baseURL)
        let enterpriseId = try required(enterprise.id)
        let app = try await database.integration.addApp(enterpriseId: enterpriseId, name: "审批", appID: appID, appSecret: appSecret,
                                            verificationToken: verificationToken, encryptKey: options.encryptKey)
        let appId = try required(app.id)
        let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        _ = try await FeishuDirectorySync(database: database, httpClient: .shared, retry: SyncEnvironment.fastRetry, logger: quiet)
            .run(enterprise: enterprise)
        let mirror = try await database.mirror.directory(enterpriseId: enterpriseId)
        let unionIDs = Dictionary(mirror.users.values.compactMap { user in user.userID.map { ($0, user.unionID) } }) { first, _ in first }
        try await database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenantId, oaID: "2001", loginID: "zhangsan", name: "张三"),
            OAUserRecord(tenantId: tenantId, oaID: "2002", loginID: "lisi", name: "李四"),
        ])
        for (oaID, userID) in [("2001", "root1"), ("2002", "root2")] {
            _ = try await database.bindings.bind(tenantId: tenantId, enterpriseId: enterpriseId, oaUserID: oaID, unionID: try required(unionIDs[userID]),
                                        method: "manual", by: .system)
        }
        _ = try await database.pushRules.createOAModule(tenantId: tenantId, key: "approval", name: "审批", actionURL: options.actionURL ? oaURL : nil,
                                              actionSecret: actionSecret, by: .system)
        _ = try await database.pushRules.createPushRule(tenantId: tenantId, PushRuleInput(
            name: "审批待办", source: "approval",
            targets: [PushTargetInput(enterpriseId: enterpriseId, appId: appId, type: "todo", quickApproval: true)]), by: .system)

        let logs = LogCapture()
        let logger = Logger(label: "yunqiao-test") { _ in CapturingLogHandler(capture: logs) }
        var configuration = ServerConfiguration()
        configuration.port = 0
        var push = PushDeliveryConfiguration()
        push.pollInterval = .milliseconds(500)  // the card updates after an accepted action come from the worker's wake-up
        push.retry.baseDelay = .milliseconds(50)
        let dependencies = try await ServerDependencies(configuration: configuration, database: database, httpClient: .shared,
                                                        metrics: PrometheusCollectorRegistry(), logger: logger, quickApproval: options.worker,
                                                        push: push, feishuRetry: SyncEnvironment.fastRetry,
                                                        approvalCenter: Self.fastApprovalCenter)
        try await buildApplication(dependencies).test(.live) { client in
            let bridgeURL = "http://127.0.0.1:\(try required(client.port))"
            if options.longConnection {
                _ = await emulator.state.admin("PUT", "/_emulator/long-connections/settings", body: ["ping_interval": 1, "reconnect_interval": 1,
                                                                                                     "reconnect_nonce": 0])
                try await database.directoryEvents.setEventChannel(appId: appId, "websocket", at: Date())
                dependencies.services.longConnections.wake()
                try await eventually("the long connection is open") {
                    await emulator.state.admin("GET", "/_emulator/long-connections").json?["connections"]?.arrayValue?.count == 1
                }
            } else {
                let set = await emulator.state.admin("PATCH", "/_emulator/apps/\(appID)/callback",
                                                     body: ["url": .string("\(bridgeURL)/feishu/apps/\(appId)/card-callback")])
                try check(set.status == 200, "\(String(describing: set.json))")
            }
            if options.todoChannel != .card {
                try await database.integration.setExternalDomain(tenantId: tenantId, bridgeURL, by: .system)
                let module = try required(try await database.pushRules.oaModule(tenantId: tenantId, key: "approval"))
                _ = try await database.approvalCenter.setApprovalCenter(
                    tenantId: tenantId, moduleId: try required(module.id),
                    ApprovalCenterSetting(channel: options.todoChannel, pcURL: "https://oa.example.com/approval/new"), by: .system, at: Date())
                dependencies.services.approvalCenter.wake()
            }
            try await body(QuickApprovalEnvironment(database: database, emulator: emulator, oa: oa, oaURL: oaURL, bridgeURL: bridgeURL,
                                                    client: client, tenantId: tenantId, enterpriseId: enterpriseId, appId: appId,
                                                    unionIDs: unionIDs, logs: logs, push: dependencies.push,
                                                    approvalCenter: dependencies.services.approvalCenter))
        }
    }

    // MARK: steps

    /// Accepts a todo message of `approval` for the OA users and waits until Feishu holds its cards: the Feishu message
    /// id per OA user.
    @discardableResult
    func sendTodo(_ todoId: String = "wf-42", to recipients: [String] = ["2001"]) async throws -> [String: String] {
        let message = PushMessage(source: "approval", idempotencyKey: "req-\(todoId)", recipients: recipients, title: "差旅申请",
                                  body: "**张三** 申请出差 3 天", fields: [PushMessage.Field(label: "目的地", value: "上海")],
                                  links: PushMessage.Links(pc: "https://oa.example.com/wf/42"),
                                  todo: PushMessage.Todo(id: todoId, actions: ["approve", "reject"]))
        let accepted = try await database.messages.acceptMessage(tenantId: tenantId, message, by: "oa:test")
        push.wake()
        try check(accepted.planned == recipients.count)
        let database = self.database
        @Sendable func sent() async throws -> [String: String] {
            let deliveries = try await database.reader.read { db in
                try DeliveryRecord.filter(DeliveryRecord.Columns.messageId == accepted.id).fetchAll(db)
            }
            return Dictionary(deliveries.compactMap { delivery in delivery.feishuMessageID.map { (delivery.oaUserID, $0) } }) { a, _ in a }
        }
        try await eventually("the todo cards are sent") { try await sent().count == recipients.count }
        return try await sent()
    }

    /// `POST /_emulator/click`: a user presses a button of a card; the emulator's record of the exchange.
    func click(_ messageID: String, button: String = "同意", user: String? = nil, extra: [String: JSON] = [:]) async throws -> JSON {
        var body: [String: JSON] = ["message_id": .string(messageID)]
        if extra["value"] == nil && extra["action"] == nil { body["button"] = .string(button) }
        if let user { body["user"] = .string(user) }
        body.merge(extra) { $1 }
        let answer = await emulator.state.admin("POST", "/_emulator/click", body: .object(body))
        try check(answer.status == 200, "\(String(describing: answer.json))")
        return try required(answer.json)
    }

    /// The card as the emulator holds it now.
    func card(_ messageID: String) async throws -> JSON {
        let answer = await emulator.state.admin("GET", "/_emulator/messages/\(messageID)")
        return try required(answer.json?["content_json"])
    }

    func actions(_ todoId: String = "wf-42") async throws -> [CardActionRecord] {
        try await database.cardActions.all(tenantId: tenantId, source: "approval", todoId: todoId)
    }

    /// POSTs a raw callback to the bridge's card callback URL of `app` (default: this app).
    func post(_ body: Data, headers: [String: String] = [:], app: Int64? = nil) async throws -> (status: Int, text: String) {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        let response = try await client.execute(uri: "/feishu/apps/\(app ?? appId)/card-callback", method: .post, headers: fields,
                                                body: ByteBuffer(bytes: body))
        return (Int(response.status.code), String(buffer: response.body))
    }
}

/// The card's header colour (`blue` pending, `wathet` processing, `green` approved, `red` rejected).
func template(_ card: JSON?) -> String? { card?["header"]?["template"]?.stringValue }

/// Every text of a card's `note` elements, joined.
func notes(_ card: JSON) -> String {
    (card["elements"]?.arrayValue ?? []).filter { $0["tag"] == "note" }
        .flatMap { $0["elements"]?.arrayValue ?? [] }.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
}

/// The values of a card's callback buttons (`a`).
func buttonActions(_ card: JSON) -> [String] {
    (card["elements"]?.arrayValue ?? []).filter { $0["tag"] == "action" }.flatMap { $0["actions"]?.arrayValue ?? [] }
        .compactMap { $0["value"]?["a"]?.stringValue }
}

/// The value of a card's callback button for `action` (`{"a", "d", "t"}`).
func buttonValue(_ card: JSON, _ action: String) -> JSON? {
    (card["elements"]?.arrayValue ?? []).filter { $0["tag"] == "action" }.flatMap { $0["actions"]?.arrayValue ?? [] }
        .first { $0["value"]?["a"]?.stringValue == action }?["value"]
}
