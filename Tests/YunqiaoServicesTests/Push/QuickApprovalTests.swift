import FeishuEmulator
import Foundation
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Quick approval end to end (issue #7): a todo card sent with approve / reject buttons → a user presses one in the
/// emulator (`/_emulator/click`, a signed card callback to the bridge) → the answer within 3 s (toast 处理中, the
/// processing card) → one signed call of the OA's action webhook → the todo and its card end approved or rejected.
@Suite(.timeLimit(.minutes(2)))
struct QuickApprovalTests {
    @Test func approveEndToEnd() async throws {
        try await QuickApprovalEnvironment.with { env in
            let sent = try await env.sendTodo()
            let messageID = try #require(sent["2001"])
            let before = try await env.card(messageID)
            #expect(template(before) == "blue" && buttonActions(before) == ["approve", "reject"])

            let click = try await env.click(messageID, button: "同意")
            #expect(click["ok"] == true, "\(click)")
            #expect(click["response"]?["status"] == 200)
            #expect((click["response"]?["elapsed_ms"]?.intValue ?? 9999) < 3000)
            #expect(click["toast"]?["content"] == "处理中")
            #expect(click["toast"]?["i18n"]?["en_us"] == "Processing")
            #expect(click["card_updated"] == true)
            let processing = try #require(click["message"]?["content_json"])
            #expect(template(processing) == "wathet")
            #expect(buttonActions(processing).isEmpty, "no buttons while the OA is asked")

            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            let final = try await env.card(messageID)
            #expect(notes(final).contains("已同意"))
            #expect(buttonActions(final).isEmpty)

            let calls = await env.oa.calls
            #expect(calls.count == 1)
            let call = try #require(calls.first)
            #expect(call.signatureValid)
            #expect(call.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(abs((Double(call.headers["x-yunqiao-timestamp"] ?? "") ?? 0) - Date().timeIntervalSince1970) < 60)
            let payload = try #require(call.payload)
            let actions = try await env.actions()
            #expect(actions.count == 1)
            let action = try #require(actions.first)
            #expect(payload.actionId == action.actionId)
            #expect(payload.source == "approval" && payload.todoId == "wf-42" && payload.action == "approve")
            #expect(payload.operator.oaUserID == "2001" && payload.operator.name == "张三")
            #expect(payload.operator.unionID == env.unionIDs["root1"])
            #expect(ISO8601DateFormatter().date(from: payload.at) != nil)
            #expect(action.actionState == .done && action.attempts == 1)
            #expect(action.result == "HTTP 200")
            let todo = try await env.database.messages.todo(tenantId: env.tenantId, source: "approval", todoId: "wf-42")
            #expect(todo?.todoState == .approved && todo?.actor == "2001")
        }
    }

    @Test func aClickOverTheLongConnectionTakesTheSameQuickApprovalPath() async throws {
        var options = QuickApprovalEnvironment.Options()
        options.longConnection = true
        try await QuickApprovalEnvironment.with(options) { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let approve = try #require(buttonValue(try await env.card(messageID), "approve"))
            let click = try await env.click(messageID, button: "同意")
            #expect(click["ok"] == true && click["response"]?["status"] == 200, "\(click)")
            #expect(click["toast"]?["content"] == "处理中" && click["card_updated"] == true, "the ack carried the toast and the card")
            #expect(template(click["message"]?["content_json"]) == "wathet")
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            #expect(await env.oa.calls.count == 1)
            // A second click gets the answer of a handled todo, and no second call.
            let again = try await env.click(messageID, extra: ["value": approve])
            #expect(again["response"]?["status"] == 200 && again["toast"]?["content"] == "该待办已处理", "\(again)")
            #expect(await env.oa.calls.count == 1)
        }
    }

    @Test func rejectEndToEnd() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let click = try await env.click(messageID, button: "拒绝")
            #expect(click["toast"]?["content"] == "处理中", "\(click)")
            try await eventually("the card is rejected") { template(try await env.card(messageID)) == "red" }
            #expect(await env.oa.calls.first?.payload?.action == "reject")
            #expect(try await env.database.messages.todo(tenantId: env.tenantId, source: "approval", todoId: "wf-42")?.todoState == .rejected)
        }
    }

    @Test func aDoubleClickActsOnce() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let pending = try await env.card(messageID)
            let approve = try #require(buttonValue(pending, "approve")), reject = try #require(buttonValue(pending, "reject"))
            // The OA takes its time: the second click (on the card as it was, e.g. a second device) arrives while the
            // first action is under way.
            await env.oa.script([.status(200, delay: .milliseconds(600))])
            let first = try await env.click(messageID, button: "同意")
            let second = try await env.click(messageID, extra: ["value": reject])
            #expect(first["toast"]?["content"] == "处理中")
            #expect(second["ok"] == true, "\(second)")
            #expect(second["toast"]?["content"] == "正在处理，请勿重复操作", "\(second)")
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }

            // Pressed again once it is done: already handled, still one call.
            let third = try await env.click(messageID, extra: ["value": approve])
            #expect(third["toast"]?["content"] == "该待办已处理", "\(third)")
            #expect(third["toast"]?["type"] == "warning")
            #expect(template(try #require(third["message"]?["content_json"])) == "green")
            #expect(await env.oa.calls.count == 1)
            #expect(try await env.actions().count == 1)
        }
    }

    @Test func aServerErrorOfTheOAIsRetriedWithTheSameBody() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            await env.oa.script([.status(503, #"{"message":"busy"}"#), .ok()])
            _ = try await env.click(messageID)
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            let calls = await env.oa.calls
            #expect(calls.count == 2)
            #expect(calls.allSatisfy { $0.signatureValid })
            #expect(calls.map(\.body).allSatisfy { $0 == calls.first?.body }, "every attempt sends the same body")
            let action = try #require(try await env.actions().first)
            #expect(action.actionState == .done && action.attempts == 2)
        }
    }

    @Test func aSlowOAIsRetriedAfterTheDeadline() async throws {
        var options = QuickApprovalEnvironment.Options()
        options.worker.timeout = .milliseconds(300)
        try await QuickApprovalEnvironment.with(options) { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            await env.oa.script([.status(200, delay: .seconds(1)), .ok()])
            _ = try await env.click(messageID)
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            #expect(await env.oa.calls.count == 2)
            let action = try #require(try await env.actions().first)
            #expect(action.attempts == 2)
        }
    }

    @Test func aRefusalOfTheOASetsTheCardBackToPendingWithANote() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            await env.oa.script([.status(409, #"{"message":"该流程已在 OA 中处理"}"#)])
            _ = try await env.click(messageID)
            try await eventually("the card is pending again") {
                let card = try await env.card(messageID)
                return template(card) == "blue" && notes(card).contains("该流程已在 OA 中处理")
            }
            let card = try await env.card(messageID)
            #expect(buttonActions(card) == ["approve", "reject"], "the user can try again")
            #expect(notes(card).contains("快捷审批未完成"))
            #expect(await env.oa.calls.count == 1, "a 4xx is not retried")
            let action = try #require(try await env.actions().first)
            #expect(action.actionState == .failed)
            #expect(action.result?.contains("HTTP 409") == true && action.cardError == nil)
            #expect(try await env.database.messages.todo(tenantId: env.tenantId, source: "approval", todoId: "wf-42")?.todoState == .pending)

            // Pressed again: a new action (a new id), which the OA accepts now.
            await env.oa.script([.ok()])
            let again = try await env.click(messageID)
            #expect(again["toast"]?["content"] == "处理中", "\(again)")
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            let ids = try await env.actions().map(\.actionId).sorted()
            let called = await env.oa.calls.compactMap { $0.payload?.actionId }
            #expect(ids.count == 2 && Set(called) == Set(ids))
        }
    }

    @Test func withoutAnActionWebhookTheActionFailsAtOnce() async throws {
        var options = QuickApprovalEnvironment.Options()
        options.actionURL = false
        try await QuickApprovalEnvironment.with(options) { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            _ = try await env.click(messageID)
            try await eventually("the card is pending again") { notes(try await env.card(messageID)).contains("未配置快捷审批回调地址") }
            let action = try #require(try await env.actions().first)
            #expect(action.actionState == .failed)
            #expect(action.result?.contains("has no action webhook") == true)
            #expect(await env.oa.calls.isEmpty)
        }
    }

    @Test func theOldProtocolWorksToo() async throws {
        var options = QuickApprovalEnvironment.Options()
        options.callbackProtocol = .v1
        try await QuickApprovalEnvironment.with(options) { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let click = try await env.click(messageID)
            #expect(click["ok"] == true && click["protocol"] == "card.action.trigger_v1", "\(click)")
            #expect(click["request"]?["headers"]?["X-Lark-Signature"] != nil)
            #expect(click["card_updated"] == true)
            #expect(template(try #require(click["message"]?["content_json"])) == "wathet")
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
            #expect(await env.oa.calls.count == 1)
        }
    }

    @Test func withoutAnEncryptKeyTheTokenAuthenticates() async throws {
        var options = QuickApprovalEnvironment.Options()
        options.encryptKey = nil
        try await QuickApprovalEnvironment.with(options) { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let click = try await env.click(messageID)
            #expect(click["request"]?["headers"]?["X-Lark-Signature"] == nil)
            #expect(click["toast"]?["content"] == "处理中", "\(click)")
            try await eventually("the card is approved") { template(try await env.card(messageID)) == "green" }
        }
    }
}
