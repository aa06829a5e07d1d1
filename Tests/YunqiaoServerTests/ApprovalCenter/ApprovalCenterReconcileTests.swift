import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The Approval Center's reconciliation, its callback's refusals, a failed quick approval, and the module setting in
/// the admin API.
@Suite(.timeLimit(.minutes(3)))
struct ApprovalCenterReconcileTests {
    @Test func theCheckFindsAnInstanceFeishuLostAndPushesItAgain() async throws {
        try await QuickApprovalEnvironment.with(QuickApprovalEnvironment.Options(todoChannel: .approvalCenter)) { env in
            try await env.acceptTodo("wf-1")
            try await env.acceptTodo("wf-2")
            try await eventually("both are pushed") { try await env.feishuInstances().count == 2 }
            try await eventually("both are recorded synced") {
                let rows = try await env.database.approvalCenter.syncedApprovalInstances(appId: env.appId, afterId: 0, limit: 10)
                return rows.count == 2 && rows.allSatisfy { $0.instance.state == "synced" }
            }
            let clean = await env.approvalCenter.check.run(tenantId: env.tenantId)[env.tenantId]
            #expect(clean?.checked == 2 && clean?.drifted == 0 && clean?.errors == [])

            let forget = await env.emulator.state.admin("POST", "/_emulator/approval/forget",
                                                        body: ["app_id": .string(QuickApprovalEnvironment.appID), "instance_id": "approval:wf-2"])
            #expect(forget.status == 200)
            #expect(try await env.feishuInstances().count == 1)
            let report = try #require(await env.approvalCenter.check.run(tenantId: env.tenantId)[env.tenantId])
            #expect(report.checked == 2 && report.drifted == 1 && report.driftedIds == ["approval:wf-2"])
            env.approvalCenter.wake()
            try await eventually("the lost instance is pushed again") { try await env.feishuInstances()["approval:wf-2"] != nil }
            #expect(try await env.database.approvalCenter.lastApprovalCheck(tenantId: env.tenantId) == report)
            let after = await env.approvalCenter.check.run(tenantId: env.tenantId)[env.tenantId]
            #expect(after?.drifted == 0, "repaired")
        }
    }

    @Test func callbacksWithoutTheKeyOrTokenAreRefusedAndRecordNothing() async throws {
        try await QuickApprovalEnvironment.with(QuickApprovalEnvironment.Options(todoChannel: .approvalCenter)) { env in
            try await env.acceptTodo("wf-42", to: ["2001"])
            try await env.feishuInstance("wf-42", "the instance is pushed")
            // A wrong token, a wrong key: Feishu's tap reaches the bridge and is refused.
            let badToken = try await env.approve("wf-42", user: "root1", oaUserID: "2001", extra: ["token": "not-the-token"])
            #expect(badToken["status"]?.intValue == 401, "\(badToken)")
            let badKey = try await env.approve("wf-42", user: "root1", oaUserID: "2001", extra: ["encrypt_key": "another-key"])
            #expect(badKey["status"]?.intValue == 401, "\(badKey)")
            // Plaintext, and garbage, straight at the URL.
            let url = "/feishu/apps/\(env.appId)/approval-callback"
            let plain = try await env.client.execute(uri: url, method: .post, headers: [.contentType: "application/json"], body: .init(string:
                #"{"action_type":"APPROVE","instance_id":"approval:wf-42","task_id":"approval:wf-42#2001","user_id":"root1","token":"x"}"#))
            #expect(plain.status == .unauthorized)
            let garbage = try await env.client.execute(uri: url, method: .post, headers: [.contentType: "application/json"], body: .init(string: "[[[["))
            #expect(garbage.status == .badRequest)
            let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
            #expect(try await env.client.execute(uri: url, method: .post, headers: [:], body: .init(string: deep)).status == .badRequest)
            #expect(try await env.client.execute(uri: "/feishu/apps/999/approval-callback", method: .post, headers: [:], body: .init(string: "{}")).status
                == .unauthorized)
            #expect(try await env.actions().isEmpty)
            #expect(await env.oa.calls.isEmpty)
            // Feishu lets only the task's approver tap it; a forged tap with the right key naming someone else, or a task
            // the bridge never pushed, is refused with a message Feishu shows.
            let other = await env.emulator.state.admin("POST", "/_emulator/approval/action", body: [
                "user": "root2", "instance_id": "approval:wf-42", "task_id": "approval:wf-42#2001", "action_type": "APPROVE"])
            #expect(other.status == 400)
            let forged = try await env.forgedApprovalTap(["action_type": "APPROVE", "user_id": "root2", "instance_id": "approval:wf-42",
                                                           "task_id": "approval:wf-42#2001"])
            #expect(forged.status == 403 && forged.json?["message"]?.stringValue == "只有待办的审批人可以处理", "\(forged)")
            let unknown = try await env.forgedApprovalTap(["action_type": "APPROVE", "user_id": "root1", "instance_id": "approval:wf-9",
                                                            "task_id": "approval:wf-9#2001"])
            #expect(unknown.status == 404, "\(unknown)")
            #expect(try await env.actions().isEmpty)
        }
    }

    @Test func aQuickApprovalTheOARefusesLeavesTheTaskPending() async throws {
        try await QuickApprovalEnvironment.with(QuickApprovalEnvironment.Options(todoChannel: .approvalCenter)) { env in
            await env.oa.script([.status(422, #"{"message":"流程已变更"}"#)])
            try await env.acceptTodo("wf-42", to: ["2001"])
            let first = try await env.feishuInstance("wf-42", "the instance is pushed")
            #expect(try await env.approve("wf-42", user: "root1", oaUserID: "2001")["status"]?.intValue == 200)
            try await eventually("the action failed") { try await env.actions().first?.actionState == .failed }
            let again = try await env.feishuInstance("wf-42", "pushed again, still pending") {
                ($0["update_time"]?.int64Value ?? 0) > (first["update_time"]?.int64Value ?? 0)
            }
            #expect(again["status"]?.stringValue == "PENDING" && env.taskStatus(again, user: "root1") == "PENDING")
            #expect(try await env.center("root1", "pending").count == 1, "the approver can try again")
        }
    }

    @Test func failedPushesBecomeDeadLettersAndAreSentAgain() async throws {
        try await QuickApprovalEnvironment.with(QuickApprovalEnvironment.Options(todoChannel: .approvalCenter)) { env in
            let faults = await env.emulator.state.admin("PUT", "/_emulator/faults", body: [
                "error_rate": 1.0, "error_kind": "http_5xx", "error_apis": ["POST /open-apis/approval/v4/external_instances"]])
            #expect(faults.status == 200, "\(String(describing: faults.json))")
            try await env.acceptTodo("wf-42", to: ["2001"])
            try await eventually("the instance is a dead letter after its attempts") { try await env.instanceRow()?.state == "dead" }
            #expect(try await env.instanceRow()?.lastError?.isEmpty == false)
            #expect(try await env.feishuInstances().isEmpty)

            _ = await env.emulator.state.admin("PUT", "/_emulator/faults", body: ["error_rate": 0.0, "error_apis": []])
            #expect(try await env.database.approvalCenter.resendApprovalDeadLetters(tenantId: env.tenantId, by: .system, at: Date()) == 1)
            env.approvalCenter.wake()
            try await env.feishuInstance("wf-42", "the instance is pushed after the resend")
            try await eventually("recorded synced") { try await env.instanceRow()?.state == "synced" }
            let audit = try await env.database.admins.auditLog(tenantId: env.tenantId, filter: AuditFilter(action: "approvalCenter.resendAll", limit: 5))
            #expect(audit.count == 1 && audit.first?.after?.contains("1") == true, "\(audit)")
            #expect(try await env.database.approvalCenter.resendApprovalDeadLetters(tenantId: env.tenantId, by: .system, at: Date()) == 0)
        }
    }

    @Test func theModuleSettingIsCheckedAuditedAndShowsItsDefinitions() async throws {
        try await APIEnvironment.with { env in
            let module = try await env.api.post("oa-modules", #"{"key":"expense","name":"报销"}"#)
            #expect(module.status == .created)
            let id = try #require(Self.field(module.json, "id") as? Int)
            let initial = try await env.api.get("oa-modules/\(id)/approval-center")
            #expect(Self.field(initial.json, "channel") as? String == "card")
            let missing = try await env.api.put("oa-modules/\(id)/approval-center", #"{"channel":"approvalCenter"}"#)
            #expect(missing.status == .badRequest && missing.error?.field == "pcURL", "\(missing)")
            let badChannel = try await env.api.put("oa-modules/\(id)/approval-center", #"{"channel":"mail"}"#)
            #expect(badChannel.status == .badRequest && badChannel.error?.field == "channel")
            let badURL = try await env.api.put("oa-modules/\(id)/approval-center", #"{"channel":"approvalCenter","pcURL":"ftp://x"}"#)
            #expect(badURL.status == .badRequest && badURL.error?.field == "pcURL")
            let unknown = try await env.api.put("oa-modules/\(id)/approval-center", #"{"channel":"card","extra":1}"#)
            #expect(unknown.status == .badRequest)
            let saved = try await env.api.put("oa-modules/\(id)/approval-center",
                                              #"{"channel":"cardAndApprovalCenter","pcURL":"https://oa.example.com/expense/new"}"#)
            #expect(saved.status == .ok && Self.field(saved.json, "channel") as? String == "cardAndApprovalCenter", "\(saved)")
            #expect((Self.field(saved.json, "definitions") as? [Any])?.isEmpty == true, "no rule routes its todos yet")
            let audit = try await env.api.get("audit?action=oaModule.approvalCenter")
            let entry = (Self.field(audit.json, "items") as? [[String: Any]])?.first
            #expect(Self.field(entry?["after"], "todoChannel") as? String == "cardAndApprovalCenter", "\(audit)")
            #expect(try await env.api.get("approval-center/check").status == .notFound)
            let run = try await env.api.post("approval-center/check", "")
            #expect(run.status == .ok && Self.field(run.json, "checked") as? Int == 0, "\(run)")
        }
    }

    static func field(_ json: Any?, _ key: String) -> Any? { (json as? [String: Any])?[key] }
}
