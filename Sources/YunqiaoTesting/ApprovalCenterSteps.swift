import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import YunqiaoCore
import YunqiaoServices
import YunqiaoStore

/// The steps of the Approval Center tests (issue #18) on ``QuickApprovalEnvironment``: the emulator's side doors of
/// `/_emulator/approval/…` and the bridge's rows.
extension QuickApprovalEnvironment {
    /// The worker polls fast, retries fast, and reconciles only on demand.
    static var fastApprovalCenter: ApprovalCenterSync.Configuration {
        var configuration = ApprovalCenterSync.Configuration()
        configuration.poll = .milliseconds(50)
        configuration.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50), maxDelay: .milliseconds(100))
        configuration.checkEvery = nil
        return configuration
    }

    /// The instances the emulator holds for the app, by instance id.
    func feishuInstances() async throws -> [String: JSON] {
        let answer = await emulator.state.admin("GET", "/_emulator/approval/instances", query: ["app_id": Self.appID])
        try check(answer.status == 200, "\(String(describing: answer.json))")
        var byID: [String: JSON] = [:]
        for item in answer.json?["items"]?.arrayValue ?? [] { if let id = item["instance_id"]?.stringValue { byID[id] = item } }
        return byID
    }

    /// Waits until the emulator holds the instance of `todoId` and `condition` holds for it; answers it.
    @discardableResult
    func feishuInstance(_ todoId: String = "wf-42", _ what: String, where condition: @escaping @Sendable (JSON) -> Bool = { _ in true }) async throws
        -> JSON
    {
        // (JSON is ExpressibleByNilLiteral: a bare `nil` here would be JSON.null, a value.)
        try await pushWait(what) { () async throws -> JSON? in
            guard let instance = try await feishuInstances()["approval:\(todoId)"], condition(instance) else { return nil }
            return instance
        }
    }

    /// The status of the task of an approver (their user_id) in an instance.
    func taskStatus(_ instance: JSON, user: String) -> String? {
        (instance["tasks"]?.arrayValue ?? []).first { $0["user_id"]?.stringValue == user }?["status"]?.stringValue
    }

    /// The Approval Center list of a user (`pending` or `done`).
    func center(_ user: String, _ list: String) async throws -> [JSON] {
        let answer = await emulator.state.admin("GET", "/_emulator/approval/center", query: ["user": user, "list": list])
        try check(answer.status == 200, "\(String(describing: answer.json))")
        return answer.json?["items"]?.arrayValue ?? []
    }

    /// The user taps approve or reject in the Approval Center: the emulator calls the bridge's callback; its record.
    func approve(_ todoId: String = "wf-42", user: String, oaUserID: String, action: String = "APPROVE", extra: [String: JSON] = [:]) async throws
        -> JSON
    {
        let instance = "approval:\(todoId)"
        var body: [String: JSON] = ["user": .string(user), "instance_id": .string(instance), "task_id": .string("\(instance)#\(oaUserID)"),
                                    "action_type": .string(action)]
        body.merge(extra) { $1 }
        let answer = await emulator.state.admin("POST", "/_emulator/approval/action", body: .object(body))
        if answer.status != 200 {
            let held = try await feishuInstances()[instance]?.serialized ?? "no instance"
            try check(false, "\(String(describing: answer.json)); the emulator holds \(held)")
        }
        return try required(answer.json)
    }

    /// The bridge's instance row of a todo.
    func instanceRow(_ todoId: String = "wf-42") async throws -> ApprovalInstanceRecord? {
        try await database.approvalCenter.approvalInstances(tenantId: tenantId, source: "approval", todoId: todoId).first?.instance
    }

    /// Accepts a todo message without waiting for cards (the Approval Center only has no card).
    func acceptTodo(_ todoId: String, to recipients: [String] = ["2001", "2002"]) async throws {
        let message = PushMessage(source: "approval", idempotencyKey: "req-\(todoId)", recipients: recipients, title: "差旅申请 \(todoId)",
                                  body: "**张三** 申请出差 3 天", fields: [PushMessage.Field(label: "目的地", value: "上海")],
                                  links: PushMessage.Links(pc: "https://oa.example.com/wf/\(todoId)"),
                                  todo: PushMessage.Todo(id: todoId, actions: ["approve", "reject"]))
        _ = try await database.messages.acceptMessage(tenantId: tenantId, message, by: "oa:test")
        push.wake()
        approvalCenter.wake()
    }

    /// A quick-approval callback made by hand, as Feishu would send it (the token and key derived from the app
    /// secret, encrypted): for taps the emulator's Approval Center would not let happen. The bridge's answer.
    func forgedApprovalTap(_ fields: [String: JSON]) async throws -> (status: Int, json: JSON?) {
        let (token, key) = ApprovalActionCallback.credentials(appID: Self.appID, appSecret: Self.appSecret)
        var body = fields
        body["token"] = .string(token)
        let encrypted = try CallbackCrypto.encrypt(Data(JSON.object(body).serialized.utf8), encryptKey: key)
        let answer = try await client.execute(uri: "/feishu/apps/\(appId)/approval-callback", method: .post,
                                              headers: [.contentType: "application/json"],
                                              body: ByteBuffer(string: JSON.object(["encrypt": .string(encrypted)]).serialized))
        return (Int(answer.status.code), JSON.parse(String(buffer: answer.body)))
    }
}
