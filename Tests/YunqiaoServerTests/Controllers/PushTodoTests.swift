import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// Todo state changes (`PATCH /api/v1/todos/{id}`): every sent card of the todo is brought to its final style — a PATCH
/// within 14 days of sending, a short "handled" text after.
@Suite(.timeLimit(.minutes(2)))
struct PushTodoTests {
    struct Change: Decodable {
        var todo: PushAnswers.Todo
        var changed: Bool
        var cardUpdates: Int
    }

    func patch(_ env: PushEnvironment, _ todo: String, _ json: String, oa: APICaller? = nil) async throws -> Answer {
        try await (oa ?? env.oa).call(.patch, "/api/v1/todos/\(todo)", body: json)
    }

    /// The emulator's record of a Feishu message.
    func feishuMessage(_ env: PushEnvironment, _ id: String?) async throws -> JSON {
        let answer = await env.emulator.state.admin("GET", "/_emulator/messages/\(try #require(id))")
        return try #require(answer.json)
    }

    @Test(arguments: [("done", "grey", "已处理"), ("approved", "green", "已同意"), ("rejected", "red", "已拒绝")])
    func aFinalStatePatchesEveryCard(state: String, colour: String, label: String) async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批待办", targets: [(env.appId, "todo", true), (env.secondAppId, "card", false)])
            let sent = try await env.sendAndSettle(PushEnvironment.message("wf-\(state)", to: ["2001", "2002"], todo: "wf-\(state)",
                                                                           actions: ["approve", "reject"]))
            #expect(sent.deliveries.allSatisfy { $0.state == "sent" })
            let answer = try await patch(env, "wf-\(state)", #"{"source":"approval","state":"\#(state)","by":"李经理","at":"2026-11-26T08:00:00Z"}"#)
            #expect(answer.status == .ok, "\(answer)")
            let change = try answer.decode(Change.self)
            // The two todo cards; the plain cards of the second app stay as they are.
            #expect(change.changed && change.cardUpdates == 2 && change.todo.state == state && change.todo.by == "李经理")

            let settled = try await env.settled(sent.id)
            for delivery in settled.deliveries {
                let feishu = try await feishuMessage(env, delivery.feishuMessageID)
                if delivery.type == "todo" {
                    #expect(delivery.cardUpdate?.state == "done" && delivery.cardUpdate?.mode == "patch")
                    let updates = feishu["updates"]?.arrayValue ?? []
                    #expect(updates.count == 1 && updates.first?["source"] == "patch")
                    let card = feishu["content_json"]
                    #expect(template(card) == colour)
                    #expect(feishu["content"]?.stringValue?.contains(label) == true)
                    // No quick-approval buttons any more.
                    #expect(feishu["content"]?.stringValue?.contains(#""a":"approve""#) == false)
                } else {
                    #expect(delivery.cardUpdate == nil && feishu["updates"]?.arrayValue?.isEmpty == true)
                }
            }
            #expect(try await env.feishuMessages().count == 4)
            #expect(try await env.oa.get("/api/v1/messages/\(sent.id)").decode(PushAnswers.Message.self).todo?.state == state)
        }
    }

    @Test func aFinalStateIsFinal() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批待办", targets: [(env.appId, "todo", true)])
            _ = try await env.sendAndSettle(PushEnvironment.message("wf-9", to: ["2001"], todo: "wf-9", actions: ["approve"]))
            #expect(try await patch(env, "wf-9", #"{"source":"approval","state":"pending","by":"x"}"#).error?.field == "state")
            #expect(try await patch(env, "wf-9", #"{"source":"approval","state":"approved"}"#).error?.field == "by")
            #expect(try await patch(env, "wf-9", #"{"source":"approval","state":"approved","by":"x","at":"yesterday"}"#).error?.field == "at")
            #expect(try await patch(env, "wf-404", #"{"source":"approval","state":"done","by":"x"}"#).status == .notFound)
            #expect(try await patch(env, "wf-9", #"{"source":"daily","state":"done","by":"x"}"#).status == .notFound)
            #expect(try await patch(env, "wf-9", #"{"source":"approval","state":"done","by":"x"}"#, oa: env.otherOA).status == .notFound)

            let first = try await patch(env, "wf-9", #"{"source":"approval","state":"approved","by":"李经理"}"#)
            #expect(try first.decode(Change.self).changed)
            let same = try await patch(env, "wf-9", #"{"source":"approval","state":"approved","by":"someone else"}"#)
            #expect(same.status == .ok)
            let repeated = try same.decode(Change.self)
            #expect(!repeated.changed && repeated.cardUpdates == 0 && repeated.todo.by == "李经理")
            let other = try await patch(env, "wf-9", #"{"source":"approval","state":"rejected","by":"x"}"#)
            #expect(other.status == .conflict && other.error?.field == "state", "\(other)")
        }
    }

    @Test func afterFourteenDaysAHandledTextIsSentInstead() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批待办", targets: [(env.appId, "todo", true)])
            let sent = try await env.sendAndSettle(PushEnvironment.message("wf-old", to: ["2002"], todo: "wf-old", actions: ["approve"]))
            let delivery = try #require(sent.delivery("2002"))
            // Fifteen days pass at Feishu: it refuses the PATCH (230031) and the worker sends a text.
            let advanced = await env.emulator.state.admin("POST", "/_emulator/clock/advance", body: ["seconds": .int(15 * 86_400)])
            #expect(advanced.status == 200)
            let change = try await patch(env, "wf-old", #"{"source":"approval","state":"approved","by":"李经理"}"#)
            #expect(try change.decode(Change.self).cardUpdates == 1)
            let settled = try await env.settled(sent.id)
            #expect(settled.delivery("2002")?.cardUpdate?.state == "done" && settled.delivery("2002")?.cardUpdate?.mode == "notice")

            let messages = try await env.feishuMessages(["union_id": try #require(env.unionIDs["2002"])])
            #expect(messages.count == 2)
            let notice = try #require(messages.last)
            #expect(notice["msg_type"] == "text")
            let text = notice["content_json"]?["text"]?.stringValue ?? ""
            #expect(text.contains("差旅申请") && text.contains("已同意") && text.contains("https://oa.example.com/wf/42"))
            #expect(notice["uuid"]?.stringValue?.hasSuffix("-h") == true)
            // The card itself was not changed.
            #expect(try await feishuMessage(env, delivery.feishuMessageID)["updates"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func theBridgeKeepsToTheWindowItself() async throws {
        var push = PushEnvironment.fastPush
        push.cardUpdateWindow = 0
        try await PushEnvironment.with(push: push) { env in
            try await env.rule("审批待办", targets: [(env.appId, "todo", false)])
            let sent = try await env.sendAndSettle(PushEnvironment.message("wf-w", to: ["2001"], todo: "wf-w"))
            _ = try await patch(env, "wf-w", #"{"source":"approval","state":"cancelled","by":"OA"}"#)
            let settled = try await env.settled(sent.id)
            #expect(settled.delivery("2001")?.cardUpdate?.mode == "notice")
            #expect(await env.emulator.state.snapshot()["counters"]?["calls"]?["PATCH /open-apis/im/v1/messages/:message_id"] == nil)
            let texts = try await env.feishuMessages(["msg_type": "text"])
            #expect(texts.count == 1 && texts.first?["content"]?.stringValue?.contains("已撤销") == true)
        }
    }

    @Test func aCardOfAnAlreadyHandledTodoIsSentInItsFinalStyle() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批待办", targets: [(env.appId, "todo", true)])
            _ = try await env.sendAndSettle(PushEnvironment.message("wf-a", to: ["2001"], todo: "wf-h", actions: ["approve"]))
            _ = try await patch(env, "wf-h", #"{"source":"approval","state":"done","by":"OA"}"#)
            // A reminder about the same todo, after it was handled: sent grey, without buttons, and nothing to update.
            let reminder = try await env.sendAndSettle(PushEnvironment.message("wf-b", to: ["2002"], todo: "wf-h", actions: ["approve"]))
            let delivery = try #require(reminder.delivery("2002"))
            #expect(delivery.state == "sent" && delivery.cardUpdate == nil)
            let feishu = try await feishuMessage(env, delivery.feishuMessageID)
            #expect(template(feishu["content_json"]) == "grey")
            #expect(feishu["content"]?.stringValue?.contains(#""a":"approve""#) == false)
        }
    }
}
