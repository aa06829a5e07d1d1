import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// Helpers of the third-party approval suites (`feishu-api.md` §5.1–5.5).
enum Approval {
    static let approvals = "/open-apis/approval/v4/external_approvals"
    static let instances = "/open-apis/approval/v4/external_instances"
    static let check = "/open-apis/approval/v4/external_instances/check"
    static let tasks = "/open-apis/approval/v4/external_tasks"
    static let t0 = 1_700_000_000_000

    static let locales: JSON = [
        ["locale": "zh-CN", "is_default": true, "texts": [
            ["key": "@i18n@name", "value": "请假"], ["key": "@i18n@group", "value": "OA 审批"],
            ["key": "@i18n@title", "value": "张三的请假"], ["key": "@i18n@task", "value": "审批请假"],
            ["key": "@i18n@initiator", "value": "外部用户"],
        ]],
        ["locale": "en-US", "is_default": false, "texts": [["key": "@i18n@name", "value": "Leave"]]],
    ]

    /// An `ExternalApproval` body; `callback` sets the quick-approval URL.
    static func definition(code: String = "oa-leave", quick: Bool = true, batch: Bool = false, callback: String? = nil,
                           key: String? = nil, token: String? = "cb-token") -> JSON
    {
        var external: [String: JSON] = ["biz_name": "@i18n@name", "biz_type": "oa", "create_link_pc": "https://oa.example/new",
                                        "support_pc": true, "support_mobile": true, "support_batch_read": false,
                                        "enable_mark_readed": false, "enable_quick_operate": .bool(quick),
                                        "allow_batch_operate": .bool(batch)]
        if let callback { external["action_callback_url"] = .string(callback) }
        if let key { external["action_callback_key"] = .string(key) }
        if let token { external["action_callback_token"] = .string(token) }
        return ["approval_name": "@i18n@name", "approval_code": .string(code), "group_code": "oa", "group_name": "@i18n@group",
                "description": "@i18n@name", "external": .object(external), "viewers": [["viewer_type": "TENANT"]],
                "i18n_resources": locales, "managers": ["zhangsan"]]
    }

    /// A task node; times as strings unless `numbers`.
    static func task(_ id: String, user: String, status: String = "PENDING", update: Int = t0, actions: [String] = ["APPROVE", "REJECT"],
                     context: String? = nil, numbers: Bool = false) -> JSON
    {
        func time(_ value: Int) -> JSON { numbers ? .int(value) : .string(String(value)) }
        var task: [String: JSON] = ["task_id": .string(id), "user_id": .string(user), "title": "@i18n@task", "status": .string(status),
                                    "links": ["pc_link": .string("https://oa.example/task/\(id)")],
                                    "create_time": time(t0), "end_time": time(status == "PENDING" ? 0 : update), "update_time": time(update),
                                    "action_configs": .array(actions.map { ["action_type": .string($0)] })]
        if let context { task["action_context"] = .string(context) }
        return .object(task)
    }

    /// An `ExternalInstance` body.
    static func instance(_ code: String, _ id: String, status: String = "PENDING", update: Int = t0, mode: String? = nil,
                         tasks: [JSON] = [], numbers: Bool = false) -> JSON
    {
        func time(_ value: Int) -> JSON { numbers ? .int(value) : .string(String(value)) }
        var body: [String: JSON] = ["approval_code": .string(code), "instance_id": .string(id), "status": .string(status),
                                    "links": ["pc_link": .string("https://oa.example/req/\(id)"), "mobile_link": .string("https://oa.example/m/\(id)")],
                                    "title": "@i18n@title", "user_name": "@i18n@initiator",
                                    "start_time": time(t0), "end_time": time(0), "update_time": time(update),
                                    "task_list": .array(tasks), "i18n_resources": locales]
        if let mode { body["update_mode"] = .string(mode) }
        return .object(body)
    }
}

extension JSON {
    /// A copy with `fields` set (at the top level).
    func with(_ fields: [String: JSON]) -> JSON {
        var object = self.objectValue ?? [:]
        object.merge(fields) { _, new in new }
        return .object(object)
    }

    /// A copy without `field`.
    func without(_ field: String) -> JSON {
        var object = self.objectValue ?? [:]
        object[field] = nil
        return .object(object)
    }
}

extension API {
    /// Creates a definition and answers the code the emulator gave it.
    func createDefinition(_ body: JSON = Approval.definition()) async throws -> String {
        let reply = try await self.post(Approval.approvals, body)
        #expect(reply.code == 0, "\(reply.text)")
        return try #require(reply.data?["approval_code"]?.stringValue, "\(reply.text)")
    }

    func pushInstance(_ body: JSON) async throws -> Reply { try await self.post(Approval.instances, body) }

    /// The instances `/_emulator/approval/instances` shows.
    func heldInstances(_ app: String? = nil) async throws -> [JSON] {
        let reply = try await self.admin(.get, "approval/instances" + (app.map { "?app_id=\($0)" } ?? ""))
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json?["items"]?.arrayValue ?? []
    }

    func heldInstance(_ id: String) async throws -> JSON {
        try #require(try await self.heldInstances().first { $0["instance_id"]?.stringValue == id }, "no instance \(id)")
    }

    func center(_ user: String, _ list: String = "pending") async throws -> [JSON] {
        let reply = try await self.admin(.get, "approval/center?user=\(user)&list=\(list)")
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json?["items"]?.arrayValue ?? []
    }
}
