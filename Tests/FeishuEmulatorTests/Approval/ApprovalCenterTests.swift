import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// The users' Approval Center (`/_emulator/approval/center`) and quick approval (`/_emulator/approval/action`, `batch`):
/// the callback of `feishu-api.md` §5.5, encrypted like events (§6.3) when the definition has a key.
@Suite(.timeLimit(.minutes(1))) struct ApprovalCenterTests {
    static let key = "approval-callback-key"

    @Test func theCenterListsAUsersPendingAndDoneTasks() async throws {
        try await withEmulator { api async throws in
            let quick = try await api.createDefinition(Approval.definition(batch: true))
            let plain = try await api.createDefinition(Approval.definition(code: "plain", quick: false))
            _ = try await api.pushInstance(Approval.instance(quick, "p-1", tasks: [Approval.task("p-1-a", user: "lisi", update: Approval.t0 + 3),
                                                                                  Approval.task("p-1-b", user: "wangwu")]))
            _ = try await api.pushInstance(Approval.instance(plain, "p-2", tasks: [Approval.task("p-2-a", user: "lisi", update: Approval.t0 + 1)]))
            _ = try await api.pushInstance(Approval.instance(quick, "p-3", status: "APPROVED", tasks: [
                Approval.task("p-3-a", user: "lisi", status: "APPROVED"), Approval.task("p-3-b", user: "lisi", status: "DONE"),
            ]))
            _ = try await api.pushInstance(Approval.instance(quick, "p-4", status: "DELETED", tasks: [Approval.task("p-4-a", user: "lisi")]))

            let pending = try await api.center("lisi")
            #expect(pending.map { $0["task_id"] } == ["p-1-a", "p-2-a"], "newest first; DELETED instances are not listed")
            let first = try #require(pending.first)
            #expect(first["app_id"] == .string(TestApps.main.appID) && first["approval_code"] == .string(quick))
            #expect(first["title"] == "审批请假" && first["status"] == "PENDING" && first["instance_status"] == "PENDING")
            #expect(first["quick_actions"] == ["APPROVE", "REJECT"] && first["batch"] == true)
            #expect(first["links"] == ["pc_link": "https://oa.example/task/p-1-a"] && first["update_time"] == .int(Approval.t0 + 3))
            #expect(pending.last?["quick_actions"] == [] && pending.last?["batch"] == false, "no enable_quick_operate")

            let done = try await api.center(try await api.unionID("lisi"), "done")
            #expect(done.map { $0["task_id"] } == ["p-3-a"], "DONE tasks are hidden from the user")
            #expect(done.first?["quick_actions"] == [])
            #expect(try await api.center(try await api.openID("wangwu")).map { $0["task_id"] } == ["p-1-b"])

            #expect(try await api.admin(.get, "approval/center?user=nobody").adminErrorField == "user")
            #expect(try await api.admin(.get, "approval/center?user=lisi&list=all").adminErrorField == "list")
        }
    }

    @Test func aTapSendsTheEncryptedCallbackAndLeavesTheTaskAlone() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                let code = try await api.createDefinition(Approval.definition(callback: url, key: Self.key))
                _ = try await api.pushInstance(Approval.instance(code, "a-1", tasks: [Approval.task("a-1-t", user: "lisi", context: "ctx-42")]))
                await inbox.answer(200, "{\"code\":0}")
                let tap = try await api.admin(.post, "approval/action", ["user": "lisi", "instance_id": "a-1", "task_id": "a-1-t",
                                                                         "action_type": "APPROVE", "reason": "同意"])
                #expect(tap.status == .ok, "\(tap.text)")
                let expected: JSON = ["action_type": "APPROVE", "action_context": "ctx-42", "user_id": "lisi", "approval_code": .string(code),
                                      "instance_id": "a-1", "task_id": "a-1-t", "reason": "同意", "token": "cb-token"]
                #expect(tap.json?["sent"] == expected)
                #expect(tap.json?["status"] == 200 && tap.json?["body"] == "{\"code\":0}" && tap.json?["error"] == .null)
                #expect(tap.json?["elapsed_ms"]?.intValue.map { $0 >= 0 } == true)

                let received = try #require(await inbox.received.first)
                #expect(received.headers["Content-Type"]?.hasPrefix("application/json") == true)
                #expect(received.headers["X-Lark-Signature"] == nil)
                let outer = try #require(JSON.parse(received.body)?.objectValue)
                #expect(outer.keys.sorted() == ["encrypt"])
                let plain = try CallbackCrypto.decrypt(outer["encrypt"]?.stringValue ?? "", encryptKey: Self.key)
                #expect(JSON.parse(plain) == expected)

                // The click does not move the task: the third-party system must push the instance again.
                let held = try await api.heldInstance("a-1")
                #expect(held["tasks"]?.arrayValue?.first?["status"] == "PENDING" && held["pushes"] == 1)
                let log = try await api.admin(.get, "approval/callbacks?instance_id=a-1")
                #expect(log.json?["items"]?.arrayValue?.first?["sent"] == expected)

                // Overrides: another token in the body, another key; the app's refusal is reported as it came.
                await inbox.answer(401, "{\"message\":\"bad token\",\"without_prefix\":true}")
                let refused = try await api.admin(.post, "approval/action", ["user": .string(try await api.openID("lisi")), "instance_id": "a-1",
                                                                             "task_id": "a-1-t", "action_type": "REJECT",
                                                                             "token": "forged", "encrypt_key": "other-key"])
                #expect(refused.json?["status"] == 401 && refused.json?["sent"]?["token"] == "forged", "\(refused.text)")
                #expect(refused.json?["sent"]?["reason"] == "" && refused.json?["sent"]?["action_type"] == "REJECT")
                let second = try #require(await inbox.received.last)
                let encrypted = JSON.parse(second.body)?["encrypt"]?.stringValue ?? ""
                #expect(JSON.parse(try CallbackCrypto.decrypt(encrypted, encryptKey: "other-key"))?["token"] == "forged")
                #expect(try await api.admin(.get, "approval/callbacks").json?["items"]?.arrayValue?.count == 2)
            }
        }
    }

    @Test func withoutAKeyTheCallbackIsPlainAndTapsAreChecked() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                let code = try await api.createDefinition(Approval.definition(callback: url, token: nil))
                var tasks = [Approval.task("b-1", user: "lisi", actions: ["APPROVE"]), Approval.task("b-2", user: "wangwu", status: "APPROVED")]
                tasks.append(Approval.task("b-3", user: "lisi").with(["action_configs": [["action_type": "APPROVE", "is_reason_required": true]]]))
                _ = try await api.pushInstance(Approval.instance(code, "b", tasks: tasks))
                func tap(_ fields: [String: JSON]) async throws -> Reply {
                    var body: [String: JSON] = ["user": "lisi", "instance_id": "b", "task_id": "b-1", "action_type": "APPROVE"]
                    body.merge(fields) { _, new in new }
                    return try await api.admin(.post, "approval/action", .object(body))
                }
                #expect(try await tap(["action_type": "REJECT"]).adminErrorField == "action_type")
                #expect(try await tap(["user": "wangwu"]).adminErrorField == "user")
                #expect(try await tap(["user": "wangwu", "task_id": "b-2"]).adminErrorField == "task_id")
                #expect(try await tap(["task_id": "b-9"]).adminErrorField == "task_id")
                #expect(try await tap(["instance_id": "nope"]).adminErrorField == "instance_id")
                #expect(try await tap(["task_id": "b-3"]).adminErrorField == "reason")
                #expect(try await tap(["user": ""]).adminErrorField == "user")
                #expect(await inbox.received.isEmpty)

                let ok = try await tap(["task_id": "b-3", "reason": "fine"])
                #expect(ok.json?["status"] == 200 && ok.json?["encrypted"] == false, "\(ok.text)")
                let received = try #require(await inbox.received.first)
                #expect(JSON.parse(received.body) == ok.json?["sent"] && ok.json?["sent"]?["token"] == "")
            }
        }
    }

    @Test func batchApprovalNeedsAllowBatchOperate() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                let single = try await api.createDefinition(Approval.definition(callback: url))
                let batch = try await api.createDefinition(Approval.definition(code: "batch", batch: true, callback: url, key: Self.key))
                _ = try await api.pushInstance(Approval.instance(single, "s-1", tasks: [Approval.task("s-1-t", user: "lisi")]))
                for id in ["m-1", "m-2"] {
                    _ = try await api.pushInstance(Approval.instance(batch, id, tasks: [Approval.task("\(id)-t", user: "lisi", context: id)]))
                }
                let refused = try await api.admin(.post, "approval/batch", [
                    "user": "lisi", "action_type": "APPROVE",
                    "tasks": [["instance_id": "m-1", "task_id": "m-1-t"], ["instance_id": "s-1", "task_id": "s-1-t"]],
                ])
                #expect(refused.status == .badRequest && refused.adminErrorField == "tasks[1].instance_id", "\(refused.text)")
                #expect(try await api.admin(.post, "approval/batch", ["user": "lisi", "action_type": "REJECT",
                                                                       "tasks": [["instance_id": "m-1", "task_id": "m-1-t"]]]).adminErrorField == "action_type")
                #expect(await inbox.received.isEmpty)

                let done = try await api.admin(.post, "approval/batch", [
                    "user": "lisi", "action_type": "APPROVE",
                    "tasks": [["instance_id": "m-1", "task_id": "m-1-t"], ["instance_id": "m-2", "task_id": "m-2-t"]],
                ])
                let results = try #require(done.json?["results"]?.arrayValue, "\(done.text)")
                #expect(results.map { $0["status"] } == [200, 200])
                #expect(results.map { $0["sent"]?["action_context"] } == ["m-1", "m-2"])
                let bodies = await inbox.received.map(\.body)
                #expect(bodies.count == 2)
                let contexts = try bodies.map { body in
                    JSON.parse(try CallbackCrypto.decrypt(JSON.parse(body)?["encrypt"]?.stringValue ?? "", encryptKey: Self.key))?["action_context"]
                }
                #expect(contexts == ["m-1", "m-2"])
            }
        }
    }
}
