import AsyncHTTPClient
import FeishuEmulator
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

/// The demo's message push (issue #7): OA modules 审批 (approval, quick approval through a tiny demo OA that accepts
/// every action) and 日报 (daily-report), one push rule per module to the demo app (todo cards with quick approval;
/// cards), the app's card callback credentials on both sides, an OA key, and — once the bridge listens — a sample
/// daily report and a sample todo sent to a bound user through the bridge's own `POST /api/v1/messages`.
///
/// Everything is idempotent: a second start keeps the modules and rules, and the messages' idempotency keys make the
/// bridge answer the first answer instead of sending them again.
enum DemoPush {
    static let verificationToken = "yunqiao-demo-verification-token"
    static let encryptKey = "yunqiao-demo-encrypt-key"
    static let approval = (key: "approval", name: "审批")
    static let dailyReport = (key: "daily-report", name: "日报")
    static let actionSecret = "yunqiao-demo-oa-action-secret"
    static let todoId = "demo-wf-1"

    /// The emulator's demo app, with the card callback credentials the bridge's app gets too.
    static var emulatorApp: EmulatorConfiguration.App {
        var app = EmulatorConfiguration.defaultApp
        app.verificationToken = verificationToken
        app.encryptKey = encryptKey
        return app
    }

    /// What the setup made: the app whose card callbacks the emulator sends, and the OA key for the samples.
    struct Setup: Sendable {
        var tenantId: Int64
        var appId: Int64
        var oaKey: String
    }

    /// Modules, rules, the app's callback credentials and a fresh OA key (the previous demo keys are revoked: a key is
    /// shown once, like the admin password).
    static func prepare(store: YunqiaoDatabase, enterprise: EnterpriseRecord, oaActionURL: String, portalURL: String) async throws -> Setup? {
        let tenantId = enterprise.tenantId
        let enterpriseId = enterprise.id ?? 0
        let actor = AuditActor("demo")
        guard let app = try await store.integration.apps(enterpriseId: enterpriseId).first, let appId = app.id else { return nil }
        if app.sealedVerificationToken == nil || app.sealedEncryptKey == nil {
            _ = try await store.integration.updateApp(tenantId: tenantId, id: appId, name: app.name, appID: app.appID, appSecret: nil,
                                                      homepage: app.homepage, verificationToken: verificationToken, encryptKey: encryptKey, by: actor)
        }
        let modules = try await store.pushRules.oaModules(tenantId: tenantId)
        if let module = modules.first(where: { $0.key == approval.key }) {
            if module.actionURL != oaActionURL {  // the demo OA listens on a new port at every start
                _ = try await store.pushRules.updateOAModule(tenantId: tenantId, id: module.id ?? 0, key: nil, name: module.name, actionURL: oaActionURL,
                                                             actionSecret: nil, clearActionSecret: false, by: actor)
            }
        } else {
            let module = try await store.pushRules.createOAModule(tenantId: tenantId, key: approval.key, name: approval.name, actionURL: oaActionURL,
                                                                  actionSecret: actionSecret, by: actor)
            // Its todos go to the Approval Center as well as on cards (issue #18).
            _ = try await store.approvalCenter.setApprovalCenter(tenantId: tenantId, moduleId: module.id ?? 0,
                                                                 ApprovalCenterSetting(channel: .cardAndApprovalCenter, pcURL: portalURL), by: actor)
        }
        if let module = modules.first(where: { $0.key == approval.key }), let channel = TodoChannel(rawValue: module.todoChannel),
           channel.usesApprovalCenter, module.approvalPCURL != portalURL
        {  // the demo OA's new port
            _ = try await store.approvalCenter.setApprovalCenter(tenantId: tenantId, moduleId: module.id ?? 0,
                                                                 ApprovalCenterSetting(channel: channel, pcURL: portalURL,
                                                                                       mobileURL: module.approvalMobileURL), by: actor)
        }
        if !modules.contains(where: { $0.key == dailyReport.key }) {
            _ = try await store.pushRules.createOAModule(tenantId: tenantId, key: dailyReport.key, name: dailyReport.name, actionURL: nil,
                                                         actionSecret: nil, by: actor)
        }
        let rules = try await store.pushRules.all(tenantId: tenantId)
        for (name, source, type, quickApproval) in [("审批 → 云桥（待办，快捷审批）", approval.key, "todo", true),
                                                    ("日报 → 云桥（卡片）", dailyReport.key, "card", false)]
            where !rules.contains(where: { $0.rule.name == name })
        {
            _ = try await store.pushRules.createPushRule(tenantId: tenantId, .init(name: name, source: source, enabled: true, targets: [
                .init(enterpriseId: enterpriseId, appId: appId, type: type, quickApproval: quickApproval),
            ]), by: actor)
        }
        for key in try await store.admins.oaKeys(tenantId: tenantId) where key.name == "demo OA" && key.revokedAt == nil {
            try await store.admins.revokeOAKey(tenantId: tenantId, id: key.id ?? 0, by: actor)
        }
        let oaKey = Passwords.token(prefix: "yqoa_")
        _ = try await store.admins.createOAKey(tenantId: tenantId, name: "demo OA", key: oaKey, by: actor)
        return Setup(tenantId: tenantId, appId: appId, oaKey: oaKey)
    }

    /// The tiny OA of the demo: `POST /actions` accepts every quick-approval action (a real OA checks
    /// `X-Yunqiao-Signature` with the module's secret and acts on its todo); its pages are `portal`'s.
    static func oaApplication(port: Int, portal: DemoOAPortal, onReady: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        portal.addRoutes(to: router)
        router.post("actions") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let action = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            let who = (action?["operator"] as? [String: Any])?["name"] as? String ?? "?"
            say("demo OA: \(action?["action"] as? String ?? "?") of todo \(action?["todoId"] as? String ?? "?") by \(who) — accepted")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
                           onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
                           logger: Logger(label: "yunqiao.demo.oa"))
    }

    /// What the samples did, for the banner.
    struct Samples: Sendable {
        var recipient: (oaID: String, name: String, unionID: String)
        /// (title, message id, whether this start sent it or an earlier one did).
        var messages: [(title: String, id: Int64, new: Bool)]
        /// The todo card at Feishu (nil when not delivered within a few seconds).
        var todoCardID: String?
    }

    /// Sends a sample daily report and a sample todo to the first bound user through `POST /api/v1/messages` of the
    /// bridge at `bridge`, then waits (a few seconds at most) for the todo card to reach the emulator. The messages
    /// open their items on the demo OA at `oa`.
    static func sendSamples(store: YunqiaoDatabase, setup: Setup, enterprise: EnterpriseRecord, bridge: String, oa: String) async throws
        -> Samples?
    {
        guard let bound = try await store.bindings.bindingEntries(enterpriseId: enterprise.id ?? 0, limit: 1).entries.first else { return nil }
        let oaID = bound.binding.oaUserID
        let name = bound.oaName ?? oaID
        func links(_ item: String) -> PushMessage.Links {
            PushMessage.Links(pc: oa + "/portal/items/" + item, mobile: oa + "/portal/items/" + item)
        }
        let samples = [
            PushMessage(source: dailyReport.key, idempotencyKey: "demo-daily-report-1", recipients: [oaID], title: "日报：云桥演示",
                        body: "**\(name)** 的今日日报\n- 完成：消息推送演示\n- 明日：快捷审批", fields: [.init(label: "提交人", value: name)],
                        links: links("demo-daily-report-1")),
            PushMessage(source: approval.key, idempotencyKey: "demo-approval-1", recipients: [oaID], title: "差旅申请：上海 3 天",
                        body: "**\(name)** 申请出差 3 天\n- 目的地：上海\n- 事由：客户拜访",
                        fields: [.init(label: "申请人", value: name), .init(label: "天数", value: "3")], links: links(todoId),
                        todo: .init(id: todoId, actions: ["approve", "reject"])),
        ]
        var sent: [(title: String, id: Int64, new: Bool)] = []
        let encoder = JSONEncoder()
        for message in samples {
            var request = HTTPClientRequest(url: bridge + "/api/v1/messages")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(setup.oaKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try encoder.encode(message)))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1024 * 1024)
            guard [200, 202].contains(response.status.code),
                  let answer = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                  let id = (answer["id"] as? NSNumber)?.int64Value
            else { throw DemoPushError(message: "POST /api/v1/messages answered \(response.status.code): \(String(buffer: body))") }
            sent.append((message.title, id, response.status.code == 202))
        }
        var cardID: String?
        if let todoMessage = sent.last, todoMessage.new {
            for _ in 0..<50 {
                let detail = try await store.messages.messageDetail(tenantId: setup.tenantId, id: todoMessage.id)
                if let id = detail.deliveries.first?.delivery.feishuMessageID {
                    cardID = id
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return Samples(recipient: (oaID, name, bound.binding.unionID), messages: sent, todoCardID: cardID)
    }

    /// The banner's message push section.
    static func summary(_ outcome: Result<Samples?, any Error>, console: String, emulator: String, database: String) -> String {
        var lines = ["  OA modules 审批 (approval; quick approval calls the demo OA, which accepts every action) and 日报 (daily-report);",
                     "  rules 审批 → todo card with quick approval, 日报 → card, both to the app 云桥"]
        switch outcome {
        case .failure(let error):
            lines.append("  the sample messages could not be sent: \(error)")
        case .success(nil):
            lines.append("  no bound OA user: no sample messages")
        case .success(let samples?):
            let user = samples.recipient
            for message in samples.messages {
                lines.append("  「\(message.title)」 → \(user.name) (OA \(user.oaID)): message \(message.id)"
                    + (message.new ? "" : " — sent at an earlier start, not again (same idempotency key)"))
            }
            if samples.messages.contains(where: { !$0.new }) {
                lines.append("  (the emulator keeps messages in memory only: this one has not got those; delete \(database) for a fresh demo)")
            }
            lines.append("  in the emulator:  curl -s '\(emulator)/_emulator/messages?union_id=\(user.unionID)'")
            lines.append("  in the console:   \(console)/console/push/messages (消息推送 → 消息记录), \(console)/console/push/rules")
            if let card = samples.todoCardID {
                lines.append("  approve the todo as \(user.name) (quick approval: card callback → demo OA → card turns green):")
                lines.append("    curl -s -X POST \(emulator)/_emulator/click -H 'Content-Type: application/json' "
                    + "-d '{\"message_id\": \"\(card)\", \"user\": \"\(user.unionID)\", \"button\": \"同意\"}'")
                lines.append("    curl -s '\(emulator)/_emulator/messages/\(card)'")
                lines.append("  or approve it in Feishu's Approval Center (the module shows its todos there too: \(console)/console/push/modules):")
                lines.append("    curl -s '\(emulator)/_emulator/approval/center?user=\(user.unionID)&list=pending'")
                lines.append("    curl -s -X POST \(emulator)/_emulator/approval/action -H 'Content-Type: application/json' "
                    + "-d '{\"user\": \"\(user.unionID)\", \"instance_id\": \"\(approval.key):\(todoId)\", "
                    + "\"task_id\": \"\(approval.key):\(todoId)#\(user.oaID)\", \"action_type\": \"APPROVE\"}'")
            } else if samples.messages.last?.new == true {
                lines.append("  the todo card has not reached the emulator yet: see the console's message log")
            }
        }
        return lines.joined(separator: "\n")
    }
}

struct DemoPushError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
