import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The delivery worker against the emulator: every message type, rule matching end to end, retries, dead letters,
/// lost answers, images, shutdown and restart.
@Suite(.timeLimit(.minutes(3)))
struct PushDeliveryTests {
    @Test func rulesMatchEndToEndAndEachAppRecipientGetsOneMessage() async throws {
        try await PushEnvironment.with { env in
            // approval → app 1 as todo with quick approval; every module → app 1 again (as text) and app 2 as rich text.
            try await env.rule("审批待办", targets: [(env.appId, "todo", true)])
            try await env.rule("全部通知", source: "*", targets: [(env.appId, "text", false), (env.secondAppId, "rich", false)])
            try await env.rule("停用", source: "*", enabled: false, targets: [(env.secondAppId, "card", false)])
            let message = try await env.sendAndSettle(PushEnvironment.message("wf-1", to: ["2001", "2002", "2004"], todo: "wf-1",
                                                                              actions: ["approve", "reject"]))
            #expect(message.deliveries.count == 6)
            #expect(message.deliveries.filter { $0.state == "sent" }.count == 4)
            #expect(message.deliveries.filter { $0.state == "skipped" }.map(\.oaUserID) == ["2004", "2004"])
            #expect(message.deliveries.filter { $0.appId == env.appId }.allSatisfy { $0.type == "todo" && $0.quickApproval })
            #expect(message.deliveries.filter { $0.appId == env.secondAppId }.allSatisfy { $0.type == "rich" })
            #expect(message.todo?.state == "pending")

            let feishu = try await env.feishuMessages()
            #expect(feishu.count == 4)
            for delivery in message.deliveries where delivery.state == "sent" {
                let matching = feishu.filter { $0["message_id"]?.stringValue == delivery.feishuMessageID }
                #expect(matching.count == 1)
                let sent = try #require(matching.first)
                #expect(sent["receive_id_type"] == "union_id" && sent["receive_id"]?.stringValue == env.unionIDs[delivery.oaUserID])
                #expect(sent["msg_type"]?.stringValue == (delivery.type == "todo" ? "interactive" : "post"))
                #expect(sent["uuid"]?.stringValue?.hasPrefix("yq\(message.id)-") == true)
            }
            // The todo card: pending (blue), approve/reject buttons naming the delivery and the todo, shared for updates.
            let card = try #require(feishu.first { $0["msg_type"] == "interactive" }?["content_json"])
            #expect(template(card) == "blue" && card["config"]?["update_multi"] == true)
            let values = (card["elements"]?.arrayValue ?? []).flatMap { $0["actions"]?.arrayValue ?? [] }.compactMap { $0["value"] }
            #expect(values.compactMap { $0["a"]?.stringValue } == ["approve", "reject"])
            #expect(values.allSatisfy { $0["t"] == "wf-1" })
        }
    }

    @Test func everyTypeRenders() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("text", targets: [(env.appId, "text", false), (env.secondAppId, "card", false)])
            let message = try await env.sendAndSettle(PushEnvironment.message("types", to: ["2003"]))
            let feishu = try await env.feishuMessages()
            #expect(Set(feishu.compactMap { $0["msg_type"]?.stringValue }) == ["text", "interactive"])
            let text = try #require(feishu.first { $0["msg_type"] == "text" }?["content_json"]?["text"]?.stringValue)
            #expect(text.contains("差旅申请") && text.contains("申请人：张三") && text.contains("https://oa.example.com/wf/42"))
            #expect(message.deliveries.allSatisfy { $0.state == "sent" && $0.attempts == 0 && $0.note == nil })
        }
    }

    @Test func retriesAfter429And5xxStillMakeOneMessage() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            // Three 429s, then answers: the client waits out the reset, the delivery is sent once.
            try await env.setFaults(["rate_limit_burst": 3])
            let limited = try await env.sendAndSettle(PushEnvironment.message("rl", to: ["2001"]))
            #expect(limited.delivery("2001")?.state == "sent")
            #expect(try await env.feishuMessages(["uuid": ""]).count == 1)

            // Every message create fails with a 503 for a while: attempts are counted, the delivery is sent afterwards.
            try await env.setFaults(["error_rate": 1, "error_kind": "http_5xx", "error_apis": ["POST /open-apis/im/v1/messages"]])
            let answer = try await env.send(PushEnvironment.message("5xx", to: ["2002"]))
            let id = try answer.decode(PushAnswers.Accepted.self).id
            let failing = try await pushWait("two failed attempts") {
                let current = try await env.oa.get("/api/v1/messages/\(id)").decode(PushAnswers.Message.self)
                return (current.delivery("2002")?.attempts ?? 0) >= 2 ? current : nil
            }
            #expect(failing.delivery("2002")?.state == "pending")
            #expect(failing.delivery("2002")?.lastError?.contains("503") == true)
            try await env.setFaults([:])
            let sent = try await env.settled(id)
            #expect(sent.delivery("2002")?.state == "sent")
            #expect(try await env.feishuMessages(["union_id": try #require(env.unionIDs["2002"])]).count == 1)
        }
    }

    @Test func aLostAnswerIsRetriedWithTheSameUUIDAndFeishuHoldsOneMessage() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "card", false)])
            // The message is created, its answer lost (a 500 after the write), twice in three.
            try await env.setFaults(["error_rate": 1, "error_kind": "internal_code", "error_after_apply": true,
                                 "error_apis": ["POST /open-apis/im/v1/messages"]])
            let answer = try await env.send(PushEnvironment.message("lost", to: ["2001", "2002", "2003"]))
            let id = try answer.decode(PushAnswers.Accepted.self).id
            _ = try await pushWait("lost answers") {
                let current = try await env.oa.get("/api/v1/messages/\(id)").decode(PushAnswers.Message.self)
                return current.deliveries.allSatisfy { $0.attempts >= 2 } ? current : nil
            }
            try await env.setFaults([:])
            let message = try await env.settled(id)
            #expect(message.deliveries.allSatisfy { $0.state == "sent" })
            let feishu = try await env.feishuMessages()
            #expect(feishu.count == 3)
            for delivery in message.deliveries {
                #expect(feishu.filter { $0["message_id"]?.stringValue == delivery.feishuMessageID }.count == 1)
            }
        }
    }

    @Test func deadAfterTheLimitThenResendDelivers() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            try await env.setFaults(["error_rate": 1, "error_kind": "http_5xx", "error_apis": ["POST /open-apis/im/v1/messages"]])
            let first = try await env.sendAndSettle(PushEnvironment.message("dead-1", to: ["2001"]))
            let second = try await env.sendAndSettle(PushEnvironment.message("dead-2", to: ["2002"]))
            let dead = try #require(first.delivery("2001"))
            #expect(dead.state == "dead" && dead.attempts == 8, "\(dead)")
            #expect(dead.lastError?.contains("gave up after 8 attempts") == true)
            #expect(second.delivery("2002")?.state == "dead")

            struct DeadLetters: Decodable {
                struct Item: Decodable { var kind: String; var messageId: Int64; var delivery: PushAnswers.Delivery }
                var total: Int
                var items: [Item]
            }
            let letters = try await env.admin.get("dead-letters").decode(DeadLetters.self)
            #expect(letters.total == 2 && letters.items.allSatisfy { $0.kind == "delivery" })
            #expect(try await env.api.otherAPI.get("dead-letters").decode(DeadLetters.self).total == 0)
            #expect(try await env.feishuMessages().isEmpty)

            try await env.setFaults([:])
            let resent = try await env.admin.post("deliveries/\(dead.id)/resend")
            #expect(resent.status == .ok, "\(resent)")
            #expect(try await env.settled(first.id).delivery("2001")?.state == "sent")
            #expect(try await env.admin.post("deliveries/\(dead.id)/resend").status == .conflict)
            #expect(try await env.api.otherAPI.post("deliveries/\(dead.id)/resend").status == .notFound)
            struct Resent: Decodable { var resent: Int }
            #expect(try await env.admin.post("dead-letters/resend").decode(Resent.self).resent == 1)
            #expect(try await env.settled(second.id).delivery("2002")?.state == "sent")
            #expect(try await env.feishuMessages().count == 2)
            #expect(try await env.admin.get("dead-letters").decode(DeadLetters.self).total == 0)
        }
    }

    @Test func oneAppsBacklogDoesNotHoldUpAnother() async throws {
        // An enterprise whose platform answers after 3 s: its app's 120 messages stay queued for minutes.
        let router = Router()
        router.post("/open-apis/auth/v3/tenant_access_token/internal") { _, _ -> Response in
            try await Task.sleep(for: .seconds(3))
            return Response(status: .serviceUnavailable)
        }
        let slow = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                               logger: Logger(label: "slow") { _ in SwiftLogNoOpLogHandler() })
        var configuration = PushEnvironment.fastPush
        configuration.concurrencyPerApp = 1
        let push = configuration
        try await slow.test(.live) { server in
            try await PushEnvironment.with(push: push) { env in
                let base = "http://127.0.0.1:\(try #require(server.port))"
                let enterprise = try await env.database.integration.createEnterprise(tenantId: env.api.tenantId, name: "慢企业", brand: "feishu", baseURL: base)
                let enterpriseId = try #require(enterprise.id)
                let app = try await env.database.integration.addApp(enterpriseId: enterpriseId, name: "慢", appID: "cli_slow", appSecret: "slow-secret")
                _ = try await env.database.bindings.bind(tenantId: env.api.tenantId, enterpriseId: enterpriseId, oaUserID: "2001", unionID: "on_slow",
                                                         method: "manual", signedIn: SignedInFeishuUser(openID: nil, userID: nil, name: "慢"), by: .system)
                _ = try await env.admin.post("oa-modules", #"{"key":"daily","name":"日报"}"#)
                let rule = try await env.admin.post("push-rules", #"{"name":"审批","source":"approval","targets":[{"enterpriseId":\#(enterpriseId),"appId":\#(try #require(app.id)),"type":"text"}]}"#)
                #expect(rule.status == .created, "\(rule)")
                try await env.rule("日报", source: "daily", targets: [(env.secondAppId, "text", false)])
                // The slow platform lets one of the backlog's deliveries end every 3 s at most (one in flight per app).
                let backlogStarted = ContinuousClock.now
                for index in 0..<120 {
                    #expect(try await env.send(PushEnvironment.message("b-\(index)", to: ["2001"])).status == .accepted)
                }
                let daily = PushEnvironment.message("daily-1", to: ["2001"]).replacingOccurrences(of: #""source":"approval""#,
                                                                                                  with: #""source":"daily""#)
                let started = ContinuousClock.now
                let answer = try await env.send(daily)
                let message = try await env.settled(try answer.decode(PushAnswers.Accepted.self).id)
                #expect(message.delivery("2001")?.state == "sent")
                #expect(ContinuousClock.now - started < .seconds(2), "the other app's message waited for the backlog")
                let endable = Int((ContinuousClock.now - backlogStarted) / .seconds(3)) + 1
                #expect((try await env.database.messages.deliveryStateCounts(tenantId: env.api.tenantId)[.pending] ?? 0) >= 120 - endable)
                await env.api.dependencies.push.stop()
            }
        }
    }

    @Test func aPermanentErrorIsDeadAtOnce() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            // The app may no longer reach root2 (its availability range shrank to one user).
            await env.emulator.state.setScope(appID: APIEnvironment.emulatorApp.appID, .limited(departments: [], users: ["root1"]))
            let message = try await env.sendAndSettle(PushEnvironment.message("scope", to: ["2001", "2002"]))
            #expect(message.delivery("2001")?.state == "sent")
            let dead = try #require(message.delivery("2002"))
            #expect(dead.state == "dead" && dead.attempts == 1 && dead.lastError?.contains("230013") == true, "\(dead)")
        }
    }

    @Test func imagesAreUploadedOncePerMessageAndAppAndAFailureIsNoted() async throws {
        let requests = Counter()
        let router = Router()
        router.get("/img/:name") { request, context -> Response in
            await requests.add()
            switch context.parameters.get("name") {
            case "ok.png": return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: Self.png)))
            case "moved.png":
                // An allowed host sends the bridge on to a host that is not allowed (localhost is loopback too).
                let port = request.head.authority?.split(separator: ":").last.map(String.init) ?? ""
                return Response(status: .found, headers: [.location: "http://localhost:\(port)/img/ok.png"])
            default: return Response(status: .notFound)
            }
        }
        let images = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                 logger: Logger(label: "images") { _ in SwiftLogNoOpLogHandler() })
        try await images.test(.live) { server in
            let base = "http://127.0.0.1:\(try #require(server.port))/img"
            try await PushEnvironment.with { env in
                try await env.rule("图文", targets: [(env.appId, "rich", false)])
                // A loopback address is refused before any request: the message goes out without its image.
                let refused = try await env.sendAndSettle(PushEnvironment.message("img-0", to: ["2001"], image: "\(base)/ok.png"))
                let note = try #require(refused.delivery("2001")?.note)
                #expect(refused.delivery("2001")?.state == "sent" && note.contains("image left out") && note.contains("not a public address"), "\(note)")
                #expect(await requests.value == 0)
                #expect(await env.emulator.state.snapshot()["im"]?["images"] == 0)

                // The tenant allows the image server's host (an OA file server inside the company).
                let tenantId = try #require(try await env.database.integration.tenant(named: "default").id)
                try await env.database.integration.setImageHosts(tenantId: tenantId, ["127.0.0.1"], by: .system)
                let good = try await env.sendAndSettle(PushEnvironment.message("img-1", to: ["2001", "2002", "2003"], image: "\(base)/ok.png"))
                #expect(good.deliveries.allSatisfy { $0.state == "sent" && $0.note == nil })
                #expect(await env.emulator.state.snapshot()["im"]?["images"] == 1)
                let posts = try await env.feishuMessages(["msg_type": "post"])
                #expect(posts.count == 4)
                #expect(posts.filter { $0["content"]?.stringValue?.contains("img_v3_") == true }.count == 3)

                // A failed download is noted in general terms: the note reaches the OA and must not map ports.
                let missing = try await env.sendAndSettle(PushEnvironment.message("img-2", to: ["2001"], image: "\(base)/missing.png"))
                let delivery = try #require(missing.delivery("2001"))
                #expect(delivery.state == "sent" && delivery.note == "image left out: it could not be downloaded", "\(String(describing: delivery.note))")

                // A redirect is followed only to a host that passes the same check.
                let before = await requests.value
                let moved = try await env.sendAndSettle(PushEnvironment.message("img-3", to: ["2001"], image: "\(base)/moved.png"))
                let movedNote = try #require(moved.delivery("2001")?.note)
                #expect(movedNote.contains("not a public address"), "\(movedNote)")
                #expect(await requests.value == before + 1)
            }
        }
    }

    /// A 1×1 PNG.
    static let png = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==") ?? Data())

    @Test func shutdownFinishesWhatIsInFlightAndARestartSendsTheRestOnce() async throws {
        // 150 ms per Feishu answer, 2 sends at a time: the shutdown comes while some are on the wire.
        var push = PushEnvironment.fastPush
        push.concurrencyPerApp = 2
        try await PushEnvironment.with(push: push, latency: .milliseconds(150)) { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            let ids = try await (0..<6).asyncMap { index in
                try await env.send(PushEnvironment.message("s-\(index)", to: ["2001", "2002", "2003"])).decode(PushAnswers.Accepted.self).id
            }
            let logger = Logger(label: "push") { _ in SwiftLogNoOpLogHandler() }
            // A second worker of the same store stands for the next process after a restart; first, this one stops.
            _ = try await pushWait("a few sent") {
                let count = try await env.feishuMessages().count
                return count >= 2 ? count : nil
            }
            await env.api.dependencies.push.stop()
            let afterStop = try await env.feishuMessages().count
            let states = try await ids.asyncMap { try await env.oa.get("/api/v1/messages/\($0)").decode(PushAnswers.Message.self) }
                .flatMap(\.deliveries)
            #expect(states.filter { $0.state == "sent" }.count == afterStop)
            #expect(states.contains { $0.state == "pending" })
            let claimed = try await env.database.outbox.claimDueDeliveries(limit: 100, now: Date(), lease: .test)
            #expect(claimed.count == states.filter { $0.state == "pending" }.count, "everything not sent is back in the store, unclaimed")
            try await env.database.outbox.finishDeliveries(claimed.map { ($0.id, .released) }, lease: .test, at: Date())

            let restarted = PushDelivery(database: env.database, clients: FeishuClients(httpClient: .shared, logger: logger),
                                         httpClient: .shared, configuration: PushEnvironment.fastPush, logger: logger)
            try await withRunning(restarted) { () async throws in
                for id in ids { _ = try await env.settled(id) }
            }
            let feishu = try await env.feishuMessages()
            #expect(feishu.count == 18)
            #expect(Set(feishu.compactMap { $0["uuid"]?.stringValue }).count == 18)
        }
    }

    @Test func aClaimLeftByAKilledProcessIsSentOnceAfterTheRestart() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            await env.api.dependencies.push.stop()
            let accepted = try await env.send(PushEnvironment.message("kill", to: ["2001"])).decode(PushAnswers.Accepted.self)
            // The killed process had claimed the delivery and Feishu had taken the message; its answer never got recorded.
            let killed = OutboxLease(owner: "killed", duration: 0.5)
            let job = try #require(try await env.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: killed).first)
            let logger = Logger(label: "push") { _ in SwiftLogNoOpLogHandler() }
            let client = FeishuClient(baseURL: env.emulator.baseURL, credentials: FeishuCredentials(
                appID: APIEnvironment.emulatorApp.appID, appSecret: APIEnvironment.emulatorApp.appSecret), httpClient: .shared, logger: logger)
            let first = try await client.sendMessage(to: try #require(job.unionID), idType: .unionID, type: .text,
                                                     content: FeishuMessageContent.text("差旅申请"), uuid: job.uuid)
            // The next process takes it over when the killed one's lease runs out and sends again with the same uuid: Feishu
            // answers the first message.
            let restarted = PushDelivery(database: env.database, clients: FeishuClients(httpClient: .shared, logger: logger),
                                         httpClient: .shared, configuration: PushEnvironment.fastPush, logger: logger)
            try await withRunning(restarted) { () async throws in
                let message = try await env.settled(accepted.id)
                #expect(message.delivery("2001")?.feishuMessageID == first.messageID)
            }
            #expect(try await env.feishuMessages().count == 1)
        }
    }
}

/// Runs a service while `body` runs, then shuts it down gracefully.
func withRunning(_ service: some Service, _ body: () async throws -> Void) async throws {
    let logger = Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }
    let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// Counts calls across tasks.
private actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}
