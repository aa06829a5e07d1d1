import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// `POST external_instances` (REPLACE and UPDATE), `POST external_instances/check` and `GET external_tasks`
/// (`feishu-api.md` §5.2–5.4).
@Suite struct ApprovalInstanceTests {
    static let t0 = Approval.t0

    @Test func aPushIsEchoedUnderDataData() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let body = Approval.instance(code, "oa-1", tasks: [Approval.task("oa-1-t1", user: "lisi", context: "ctx-1")], numbers: true)
            let reply = try await api.pushInstance(body)
            #expect(reply.code == 0, "\(reply.text)")
            let echo = try #require(reply.data?["data"])
            #expect(echo["instance_id"] == "oa-1" && echo["approval_code"] == .string(code) && echo["status"] == "PENDING")
            #expect(echo["update_time"] == .string(String(Self.t0)), "times are answered as millisecond strings")
            let task = try #require(echo["task_list"]?.arrayValue?.first)
            #expect(task["task_id"] == "oa-1-t1" && task["user_id"] == "lisi" && task["action_context"] == "ctx-1")
            #expect(task["action_configs"] == [["action_type": "APPROVE"], ["action_type": "REJECT"]])
            #expect(echo["i18n_resources"] == Approval.locales)

            let held = try await api.heldInstance("oa-1")
            #expect(held["pushes"] == 1 && held["applied"] == 1 && held["title"] == "张三的请假")
            let heldTask = try #require(held["tasks"]?.arrayValue?.first)
            let openID = try await api.openID("lisi")
            let unionID = try await api.unionID("lisi")
            #expect(heldTask["user_id"] == "lisi" && heldTask["user_open_id"] == .string(openID))
            #expect(heldTask["user_union_id"] == .string(unionID) && heldTask["title"] == "审批请假")
        }
    }

    /// A push of the definition `code` that is wrong in `field`.
    static func badInstance(_ field: String, code: String) -> JSON {
        let lisi = Approval.task("t1", user: "lisi")
        func with(_ tasks: [JSON]) -> JSON { Approval.instance(code, "x", tasks: tasks) }
        switch field {
        case "instance_id": return Approval.instance(code, "")
        case "status": return Approval.instance(code, "x", status: "OPEN")
        case "links": return Approval.instance(code, "x").with(["links": ["pc_link": ""]])
        case "update_time": return Approval.instance(code, "x").without("update_time")
        case "start_time": return Approval.instance(code, "x").with(["start_time": "yesterday"])
        case "i18n_resources": return Approval.instance(code, "x").without("i18n_resources")
        case "title": return Approval.instance(code, "x").with(["title": "@i18n@nope"])
        case "update_mode": return Approval.instance(code, "x", mode: "MERGE")
        case "user_id": return Approval.instance(code, "x").with(["user_id": "nobody"])
        case "task_list[1].user_id": return with([lisi, Approval.task("t2", user: "nobody")])
        case "task_list[0].open_id": return with([lisi.without("user_id").with(["open_id": "ou_nobody"])])
        case "task_list[0].user_id": return with([lisi.without("user_id")])
        case "task_list[0].task_id": return with([Approval.task("x", user: "lisi")])
        case "task_list[1].task_id": return with([lisi, Approval.task("t1", user: "wangwu")])
        case "task_list[0].status": return with([Approval.task("t1", user: "lisi", status: "OPEN")])
        case "task_list[0].links": return with([lisi.without("links")])
        case "task_list[0].create_time": return with([lisi.without("create_time")])
        case "task_list[0].action_configs": return with([Approval.task("t1", user: "lisi", actions: ["APPROVE", "REJECT", "FORWARD"])])
        case "task_list[0].action_configs[0].action_name": return with([Approval.task("t1", user: "lisi", actions: ["FORWARD"])])
        case "cc_list[0].cc_id": return Approval.instance(code, "x").with(["cc_list": [["cc_id": "x", "user_id": "lisi"]]])
        default: return [:]
        }
    }

    @Test(arguments: [
        "instance_id", "status", "links", "update_time", "start_time", "i18n_resources", "title", "update_mode", "user_id",
        "task_list[1].user_id", "task_list[0].open_id", "task_list[0].user_id", "task_list[0].task_id", "task_list[1].task_id",
        "task_list[0].status", "task_list[0].links", "task_list[0].create_time", "task_list[0].action_configs",
        "task_list[0].action_configs[0].action_name", "cc_list[0].cc_id",
    ])
    func badInstancesAreRefusedNamingTheField(field: String) async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let reply = try await api.pushInstance(Self.badInstance(field, code: code))
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.code == 1_390_001 && reply.firstViolationField == field, "\(reply.text)")
            #expect(reply.json?["msg"]?.stringValue?.contains(field) == true)
            #expect(try await api.heldInstances().isEmpty)
        }
    }

    @Test func anUnknownOrForeignApprovalCodeIsNotFound() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let other = try await api.asApp(TestApps.other)
            for (client, approval) in [(api, "UNKNOWN"), (other, code)] {
                let reply = try await client.pushInstance(Approval.instance(approval, "x"))
                #expect(reply.status == .badRequest && reply.code == 1_390_002 && reply.firstViolationField == "approval_code", "\(reply.text)")
            }
        }
    }

    @Test func replaceIgnoresStalePushesAndReplacesTheTaskList() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let first = Approval.instance(code, "oa-2", tasks: [Approval.task("t1", user: "lisi"), Approval.task("t2", user: "wangwu")])
            #expect(try await api.pushInstance(first).code == 0)

            // The same update_time again, then an older one: nothing changes, still code 0.
            let stale = Approval.instance(code, "oa-2", status: "APPROVED", tasks: [Approval.task("t1", user: "lisi", status: "APPROVED")])
            let repeated = try await api.pushInstance(stale)
            #expect(repeated.code == 0 && repeated.data?["data"]?["status"] == "PENDING", "\(repeated.text)")
            #expect(repeated.data?["data"]?["task_list"]?.arrayValue?.count == 2)
            let older = try await api.pushInstance(Approval.instance(code, "oa-2", status: "REJECTED", update: Self.t0 - 5))
            #expect(older.code == 0 && older.data?["data"]?["status"] == "PENDING")
            var held = try await api.heldInstance("oa-2")
            #expect(held["pushes"] == 3 && held["applied"] == 1)

            // Newer: the instance and its task list are replaced; t2 is gone.
            let newer = Approval.instance(code, "oa-2", status: "APPROVED", update: Self.t0 + 10,
                                          tasks: [Approval.task("t1", user: "lisi", status: "APPROVED", update: Self.t0 + 10)])
            let applied = try await api.pushInstance(newer)
            #expect(applied.data?["data"]?["status"] == "APPROVED")
            #expect(applied.data?["data"]?["task_list"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == ["t1"])
            held = try await api.heldInstance("oa-2")
            #expect(held["pushes"] == 4 && held["applied"] == 2 && held["update_time"] == .int(Self.t0 + 10))
            #expect(held["tasks"]?.arrayValue?.map { $0["status"] } == ["APPROVED"])
        }
    }

    @Test func updateTakesEachEntityOnlyWhenItsUpdateTimeIncreased() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let first = Approval.instance(code, "oa-3", tasks: [Approval.task("t1", user: "lisi"), Approval.task("t2", user: "wangwu")])
            #expect(try await api.pushInstance(first).code == 0)

            // The instance is stale, t1 is newer, t2 is absent (stays), t3 is new.
            let upsert = Approval.instance(code, "oa-3", status: "APPROVED", mode: "UPDATE", tasks: [
                Approval.task("t1", user: "lisi", status: "APPROVED", update: Self.t0 + 1),
                Approval.task("t3", user: "zhaoliu", update: Self.t0 + 1),
            ])
            let reply = try await api.pushInstance(upsert)
            let echo = try #require(reply.data?["data"], "\(reply.text)")
            #expect(echo["status"] == "PENDING", "the instance's update_time did not increase")
            let statuses = Dictionary(uniqueKeysWithValues: (echo["task_list"]?.arrayValue ?? []).map {
                ($0["task_id"]?.stringValue ?? "", $0["status"]?.stringValue ?? "")
            })
            #expect(statuses == ["t1": "APPROVED", "t2": "PENDING", "t3": "PENDING"])

            // A stale task changes nothing; a newer instance changes the instance only.
            let staleTask = Approval.instance(code, "oa-3", mode: "UPDATE", tasks: [Approval.task("t2", user: "wangwu", status: "DONE")])
            #expect(try await api.pushInstance(staleTask).code == 0)
            let newer = Approval.instance(code, "oa-3", status: "APPROVED", update: Self.t0 + 2, mode: "UPDATE")
            let last = try await api.pushInstance(newer)
            #expect(last.data?["data"]?["status"] == "APPROVED" && last.data?["data"]?["task_list"]?.arrayValue?.count == 3)
            let held = try await api.heldInstance("oa-3")
            #expect(held["pushes"] == 4 && held["applied"] == 3)
            #expect(held["tasks"]?.arrayValue?.first { $0["task_id"] == "t2" }?["status"] == "PENDING")
        }
    }

    @Test func checkReportsWhatIsMissingOrOlder() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            _ = try await api.pushInstance(Approval.instance(code, "c-1", update: Self.t0 + 5, tasks: [Approval.task("c-1-t", user: "lisi", update: Self.t0 + 5)]))
            _ = try await api.pushInstance(Approval.instance(code, "c-2", tasks: [Approval.task("c-2-t", user: "lisi")]))
            _ = try await api.pushInstance(Approval.instance(code, "c-3", update: Self.t0 + 9, tasks: [Approval.task("c-3-t", user: "lisi")]))
            let reply = try await api.post(Approval.check, ["instances": [
                ["instance_id": "c-1", "update_time": .int(Self.t0 + 5), "tasks": [["task_id": "c-1-t", "update_time": .string(String(Self.t0 + 5))]]],
                ["instance_id": "c-2", "update_time": .string(String(Self.t0 + 7)), "tasks": [["task_id": "c-2-t", "update_time": .int(Self.t0)]]],
                ["instance_id": "c-3", "update_time": .int(Self.t0 + 9), "tasks": [["task_id": "c-3-t", "update_time": .int(Self.t0)],
                                                                                    ["task_id": "c-3-new", "update_time": .int(Self.t0)]]],
                ["instance_id": "c-4", "update_time": .int(Self.t0), "tasks": [["task_id": "c-4-t", "update_time": .int(Self.t0)]]],
            ]])
            #expect(reply.code == 0, "\(reply.text)")
            let time = { (offset: Int) in JSON.string(String(Self.t0 + offset)) }
            #expect(reply.data?["diff_instances"] == [
                ["instance_id": "c-2", "update_time": time(7), "tasks": []],
                ["instance_id": "c-3", "update_time": time(9), "tasks": [["task_id": "c-3-new", "update_time": time(0)]]],
                ["instance_id": "c-4", "update_time": time(0), "tasks": [["task_id": "c-4-t", "update_time": time(0)]]],
            ])
            let bad = try await api.post(Approval.check, ["instances": [["instance_id": "c-1"]]])
            #expect(bad.code == 1_390_001 && bad.firstViolationField == "instances[0].update_time")

            // Forget and rewind drift the store on purpose.
            #expect(try await api.admin(.post, "approval/forget", ["instance_id": "c-1"]).json?["ok"] == true)
            let rewind = try await api.admin(.post, "approval/rewind", ["app_id": .string(TestApps.main.appID), "instance_id": "c-3"])
            #expect(rewind.json?["ok"] == true)
            #expect(try await api.admin(.post, "approval/rewind", ["instance_id": "c-9"]).status == .notFound)
            let again = try await api.post(Approval.check, ["instances": [
                ["instance_id": "c-1", "update_time": .int(Self.t0 + 5)],
                ["instance_id": "c-3", "update_time": .int(Self.t0 + 9), "tasks": [["task_id": "c-3-t", "update_time": .int(Self.t0)]]],
            ]])
            #expect(again.data?["diff_instances"]?.arrayValue?.map { $0["instance_id"] } == ["c-1", "c-3"])
            #expect(again.data?["diff_instances"]?.arrayValue?.last?["tasks"]?.arrayValue?.count == 1)
        }
    }

    @Test func externalTasksAreFilteredAndPaged() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            for index in 1...3 {
                let tasks = [Approval.task("l-\(index)-a", user: "lisi", status: index == 3 ? "APPROVED" : "PENDING", update: Self.t0 + index),
                             Approval.task("l-\(index)-b", user: "wangwu")]
                _ = try await api.pushInstance(Approval.instance(code, "l-\(index)", update: Self.t0 + index, tasks: tasks))
            }
            let all = try await api.send(.get, "\(Approval.tasks)?page_size=2", ["approval_codes": [.string(code)]])
            #expect(all.code == 0 && all.data?["has_more"] == true, "\(all.text)")
            let first = try #require(all.data?["data"]?.arrayValue?.first)
            #expect(first["instance_id"] == "l-1" && first["approval_code"] == .string(code) && first["status"] == "PENDING")
            #expect(first["approval_id"]?.stringValue?.isEmpty == false && first["update_time"] == .string(String(Self.t0 + 1)))
            #expect(first["tasks"]?.arrayValue?.first == ["id": "l-1-a", "status": "PENDING", "update_time": .string(String(Self.t0 + 1))])
            let token = try #require(all.data?["page_token"]?.stringValue)
            let rest = try await api.send(.get, "\(Approval.tasks)?page_size=2&page_token=\(token)", ["approval_codes": [.string(code)]])
            #expect(rest.data?["has_more"] == false && rest.data?["page_token"] == nil)
            #expect(rest.data?["data"]?.arrayValue?.map { $0["instance_id"] } == ["l-3"])

            let lisiOpenID = try await api.openID("lisi")
            let approved = try await api.send(.get, Approval.tasks, ["user_ids": [.string(lisiOpenID)], "status": "APPROVED"])
            #expect(approved.data?["data"]?.arrayValue?.map { $0["instance_id"] } == ["l-3"])
            #expect(approved.data?["data"]?.arrayValue?.first?["tasks"]?.arrayValue?.map { $0["id"] } == ["l-3-a"])
            let noBody = try await api.get(Approval.tasks)
            #expect(noBody.code == 0 && noBody.data?["data"]?.arrayValue?.count == 3)
            #expect(try await api.get("\(Approval.tasks)?page_size=501").code == 99992402)
        }
    }
}
