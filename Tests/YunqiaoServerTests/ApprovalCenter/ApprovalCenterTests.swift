import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import Logging
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// OA todos in Feishu's Approval Center (issue #18), end to end on the emulator: the definition and instance pushes,
/// one todo state everywhere (Approval Center, card, OA), stale pushes, batch approval, reconciliation, and the
/// callback's refusals.
@Suite(.timeLimit(.minutes(3)))
struct ApprovalCenterTests {
    static let both = QuickApprovalEnvironment.Options(todoChannel: .cardAndApprovalCenter)

    @Test func aTodoBecomesAnInstanceWithATaskPerApproverAndTheDefinitionKeepsFeishusCode() async throws {
        try await QuickApprovalEnvironment.with(Self.both) { env in
            let cards = try await env.sendTodo("wf-42", to: ["2001", "2002"])
            #expect(cards.count == 2, "the cards are sent as well")
            let instance = try await env.feishuInstance("wf-42", "the instance is in the Approval Center")
            #expect(instance["status"]?.stringValue == "PENDING")
            #expect(env.taskStatus(instance, user: "root1") == "PENDING" && env.taskStatus(instance, user: "root2") == "PENDING")
            #expect(instance["title"]?.stringValue == "差旅申请")
            let pending = try await env.center("root1", "pending")
            #expect(pending.map { $0["instance_id"]?.stringValue } == ["approval:wf-42"])
            #expect(pending.first?["quick_actions"]?.arrayValue?.compactMap(\.stringValue).sorted() == ["APPROVE", "REJECT"])

            // The code Feishu answered is kept (the emulator answers another one than asked for) and used by the instance.
            let definition = try #require(try await env.database.approvalCenter.approvalDefinitions(tenantId: env.tenantId, source: "approval").first)
            let code = try #require(definition.definition.approvalCode)
            #expect(code != "yunqiao.approval" && definition.definition.state == "synced")
            #expect(instance["approval_code"]?.stringValue == code)
            let definitions = await env.emulator.state.admin("GET", "/_emulator/approval/definitions", query: ["app_id": QuickApprovalEnvironment.appID])
            #expect(definitions.json?["items"]?.arrayValue?.count == 1, "one definition, updated in place: \(String(describing: definitions.json))")
        }
    }

    @Test func approvingInTheApprovalCenterCallsTheOAAndTurnsTheCardGreenAndTheTasksDone() async throws {
        try await QuickApprovalEnvironment.with(Self.both) { env in
            let cards = try await env.sendTodo("wf-42", to: ["2001", "2002"])
            try await env.feishuInstance("wf-42", "the instance is pushed")
            let sent = try await env.approve("wf-42", user: "root1", oaUserID: "2001")
            #expect(sent["status"]?.intValue == 200, "\(sent)")

            try await eventually("the OA is called") { await env.oa.calls.count == 1 }
            let call = try #require(await env.oa.calls.first)
            #expect(call.signatureValid && call.payload?.action == "approve" && call.payload?.operator.oaUserID == "2001")
            #expect(call.payload?.todoId == "wf-42")
            let instance = try await env.feishuInstance("wf-42", "the instance is approved") { $0["status"]?.stringValue == "APPROVED" }
            #expect(env.taskStatus(instance, user: "root1") == "APPROVED" && env.taskStatus(instance, user: "root2") == "DONE")
            try await eventually("both cards turn green") {
                let first = try await env.card(cards["2001"] ?? ""), second = try await env.card(cards["2002"] ?? "")
                return template(first) == "green" && template(second) == "green"
            }
            #expect(try await env.center("root1", "pending").isEmpty)
            #expect(try await env.center("root1", "done").map { $0["instance_id"]?.stringValue } == ["approval:wf-42"])
            #expect(try await env.center("root2", "pending").isEmpty, "the other approver's task is done too")
            let actions = try await env.actions()
            #expect(actions.map(\.channel) == ["approvalCenter"] && actions.first?.actionState == .done)

            // The task is no longer in anyone's list: Feishu refuses a tap itself; a forged tap with the right key is
            // refused by the bridge (the todo is handled) and the OA is not called again.
            let again = await env.emulator.state.admin("POST", "/_emulator/approval/action", body: [
                "user": "root2", "instance_id": "approval:wf-42", "task_id": "approval:wf-42#2002", "action_type": "APPROVE"])
            #expect(again.status == 400, "\(String(describing: again.json))")
            let late = try await env.forgedApprovalTap(["action_type": "APPROVE", "user_id": "root2", "instance_id": "approval:wf-42",
                                                         "task_id": "approval:wf-42#2002"])
            #expect(late.status == 409 && late.json?["message"]?.stringValue == "该待办已处理", "\(late)")
            #expect(await env.oa.calls.count == 1)
        }
    }

    @Test func approvingOnTheCardFinishesTheApprovalCenterTask() async throws {
        try await QuickApprovalEnvironment.with(Self.both) { env in
            let cards = try await env.sendTodo("wf-42", to: ["2001"])
            try await env.feishuInstance("wf-42", "the instance is pushed")
            _ = try await env.click(try #require(cards["2001"]), button: "拒绝")
            let instance = try await env.feishuInstance("wf-42", "the instance is rejected") { $0["status"]?.stringValue == "REJECTED" }
            #expect(env.taskStatus(instance, user: "root1") == "REJECTED")
            #expect(try await env.center("root1", "pending").isEmpty)
        }
    }

    @Test func theOAMarkingTheTodoDoneUpdatesCardsAndTheApprovalCenter() async throws {
        try await QuickApprovalEnvironment.with(Self.both) { env in
            let cards = try await env.sendTodo("wf-42", to: ["2001", "2002"])
            let first = try await env.feishuInstance("wf-42", "the instance is pushed")
            let change = try await env.database.messages.changeTodo(tenantId: env.tenantId, source: "approval", todoId: "wf-42", state: .done,
                                                                    by: "2002", at: Date())
            #expect(change.changed)
            env.push.wake()
            env.approvalCenter.wake()
            let done = try await env.feishuInstance("wf-42", "the instance is finished") { $0["status"]?.stringValue == "APPROVED" }
            #expect(env.taskStatus(done, user: "root2") == "APPROVED" && env.taskStatus(done, user: "root1") == "DONE")
            #expect((done["update_time"]?.int64Value ?? 0) > (first["update_time"]?.int64Value ?? 0))
            try await eventually("the card turns grey") { template(try await env.card(cards["2001"] ?? "")) == "grey" }

            // A late push of the older state (a retry from before the change) is ignored by Feishu: the newest state stays.
            // The bridge records the push after Feishu answers it: wait for the record.
            try await eventually("the push is recorded") { try await env.instanceRow()?.state == "synced" }
            let row = try #require(try await env.instanceRow())
            var stale = try #require(try await env.database.approvalCenter.syncedApprovalInstances(appId: env.appId, afterId: 0, limit: 1).first)
            stale.todo?.state = "pending"
            stale.instance.changeTime = row.changeTime - 1
            let client = FeishuClient(baseURL: env.emulator.baseURL, credentials: FeishuCredentials(appID: QuickApprovalEnvironment.appID,
                                                                                                    appSecret: QuickApprovalEnvironment.appSecret),
                                      httpClient: .shared, logger: Logger(label: "stale-push"))
            try await client.syncExternalInstance(ApprovalCenterPayload.instance(stale))
            let after = try #require(try await env.feishuInstances()["approval:wf-42"])
            #expect(after["status"]?.stringValue == "APPROVED" && env.taskStatus(after, user: "root1") == "DONE")
            #expect(row.state == "synced" && row.syncedTime == row.changeTime)
        }
    }

    @Test func approvalCenterOnlySendsNoCardAndBatchApprovesTwentyTodos() async throws {
        try await QuickApprovalEnvironment.with(QuickApprovalEnvironment.Options(todoChannel: .approvalCenter)) { env in
            for index in 1...20 { try await env.acceptTodo("wf-b\(index)", to: ["2001"]) }
            try await eventually("twenty instances are pushed", timeout: .seconds(30)) { try await env.feishuInstances().count == 20 }
            let messages = await env.emulator.state.admin("GET", "/_emulator/messages")
            #expect(messages.json?["items"]?.arrayValue?.isEmpty == true, "no card is sent")
            let tasks = try await env.center("root1", "pending")
            #expect(tasks.count == 20 && tasks.allSatisfy { $0["batch"]?.boolValue == true })
            let batch = await env.emulator.state.admin("POST", "/_emulator/approval/batch", body: .object([
                "user": "root1", "action_type": "APPROVE",
                "tasks": .array(tasks.map { .object(["instance_id": $0["instance_id"] ?? .null, "task_id": $0["task_id"] ?? .null]) }),
            ]))
            #expect(batch.status == 200)
            #expect((batch.json?["results"]?.arrayValue ?? []).allSatisfy { $0["status"]?.intValue == 200 }, "\(String(describing: batch.json))")
            try await eventually("the OA is called for each", timeout: .seconds(30)) { await env.oa.calls.count == 20 }
            try await eventually("every task is approved", timeout: .seconds(30)) {
                try await env.feishuInstances().values.allSatisfy { $0["status"]?.stringValue == "APPROVED" }
            }
            #expect(try await env.center("root1", "pending").isEmpty)
            #expect(try await env.center("root1", "done").count == 20)
            let todoIds = Set(await env.oa.calls.compactMap { $0.payload?.todoId })
            #expect(todoIds.count == 20, "each todo once")
        }
    }
}

extension JSON {
    var int64Value: Int64? {
        if let text = stringValue { return Int64(text) }
        return intValue.map(Int64.init)
    }
}
