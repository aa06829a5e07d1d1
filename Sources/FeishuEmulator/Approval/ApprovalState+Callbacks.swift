import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One quick-approval callback about to be sent: where, what, and what it is about.
struct ApprovalCallbackPlan: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: Data
    /// The JSON before encryption.
    var plaintext: JSON
    var encrypted: Bool
    var appID: String
    var approvalCode: String
    var instanceID: String
    var taskID: String
    var actionType: String
    var userKey: Int
    var timeout: Duration
}

/// Quick approval (`feishu-api.md` §5.5): what Feishu POSTs to a definition's `external.action_callback_url` when a
/// user taps Approve or Reject in the Approval Center (`POST /_emulator/approval/action`), or approves several tasks
/// at once (`POST /_emulator/approval/batch`).
///
/// The body is `{action_type, action_context, user_id, approval_code, instance_id, task_id, reason, token}`, sent as
/// `{"encrypt": …}` (the event encryption of §6.3) when the definition has an `action_callback_key`; no signature
/// headers. The task is not changed: the third-party system must push the instance again. Overrides: `token` replaces
/// the token in the body, `encrypt_key` encrypts with another key (`null` or `""`: plaintext), `timeout_ms` shortens
/// the 10 s deadline; either at the top level of the request or under `overrides`.
extension ApprovalState {
    struct Overrides {
        var token: String?
        /// `.some(nil)`: send plaintext whatever the definition says.
        var encryptKey: String??
        var timeout: Duration?

        init(_ fields: [String: JSON]) {
            var all = fields
            if let nested = fields["overrides"]?.objectValue { all.merge(nested) { _, new in new } }
            token = all["token"]?.stringValue
            if let key = all["encrypt_key"] { encryptKey = .some(key.stringValue.flatMap { $0.isEmpty ? nil : $0 }) }
            if let milliseconds = all["timeout_ms"]?.intValue, milliseconds > 0 { timeout = .milliseconds(milliseconds) }
        }
    }

    /// `POST /_emulator/approval/action {user, instance_id, task_id, action_type, reason?, app_id?, token?, encrypt_key?}`.
    func planAction(_ json: JSON?, appIDs: [String], org: Org) -> Result<ApprovalCallbackPlan, AdminRefusal> {
        guard let fields = json?.objectValue else { return .failure(AdminRefusal(field: "body", message: "a JSON object is required")) }
        let users: Set<Int>
        switch Self.operatorKeys(fields, appIDs: appIDs, org: org) {
        case .success(let keys): users = keys
        case .failure(let refusal): return .failure(refusal)
        }
        guard let actionType = fields["action_type"]?.stringValue, !actionType.isEmpty else {
            return .failure(AdminRefusal(field: "action_type", message: "APPROVE, REJECT or a custom action of the task is required"))
        }
        return planTask(fields, path: "", users: users, actionType: actionType, batch: false, overrides: Overrides(fields), org: org)
    }

    /// `POST /_emulator/approval/batch {user, tasks: [{instance_id, task_id, app_id?}], action_type: "APPROVE", reason?}`:
    /// every task is checked before any callback is planned.
    func planBatch(_ json: JSON?, appIDs: [String], org: Org) -> Result<[ApprovalCallbackPlan], AdminRefusal> {
        guard let fields = json?.objectValue else { return .failure(AdminRefusal(field: "body", message: "a JSON object is required")) }
        let users: Set<Int>
        switch Self.operatorKeys(fields, appIDs: appIDs, org: org) {
        case .success(let keys): users = keys
        case .failure(let refusal): return .failure(refusal)
        }
        let actionType = fields["action_type"]?.stringValue ?? "APPROVE"
        guard actionType == "APPROVE" else {
            return .failure(AdminRefusal(field: "action_type", message: "batch operation approves only: APPROVE"))
        }
        guard let tasks = fields["tasks"]?.arrayValue, !tasks.isEmpty else {
            return .failure(AdminRefusal(field: "tasks", message: "a non-empty list of {instance_id, task_id} is required"))
        }
        let overrides = Overrides(fields)
        var plans: [ApprovalCallbackPlan] = []
        for (index, task) in tasks.enumerated() {
            guard var item = task.objectValue else { return .failure(AdminRefusal(field: "tasks[\(index)]", message: "an object is required")) }
            if item["app_id"] == nil { item["app_id"] = fields["app_id"] }
            if item["reason"] == nil { item["reason"] = fields["reason"] }
            switch planTask(item, path: "tasks[\(index)].", users: users, actionType: actionType, batch: true, overrides: overrides, org: org) {
            case .success(let plan): plans.append(plan)
            case .failure(let refusal): return .failure(refusal)
            }
        }
        return .success(plans)
    }

    /// The users `user` names (open_id of any app, union_id or user_id).
    private static func operatorKeys(_ fields: [String: JSON], appIDs: [String], org: Org) -> Result<Set<Int>, AdminRefusal> {
        guard let id = fields["user"]?.stringValue, !id.isEmpty else {
            return .failure(AdminRefusal(field: "user", message: "the user who taps (open_id, union_id or user_id) is required"))
        }
        let keys = userKeys(matching: id, appIDs: appIDs, org: org)
        guard !keys.isEmpty else { return .failure(AdminRefusal(field: "user", message: "no user with the open_id, union_id or user_id \(id)")) }
        return .success(keys)
    }

    /// Checks one task against what the Approval Center allows and builds its callback.
    private func planTask(_ fields: [String: JSON], path: String, users: Set<Int>, actionType: String, batch: Bool,
                          overrides: Overrides, org: Org) -> Result<ApprovalCallbackPlan, AdminRefusal>
    {
        func refuse(_ field: String, _ message: String) -> Result<ApprovalCallbackPlan, AdminRefusal> {
            .failure(AdminRefusal(field: field, message: message))
        }
        guard let instanceID = fields["instance_id"]?.stringValue, !instanceID.isEmpty else {
            return refuse(path + "instance_id", "the id of an instance the emulator holds is required")
        }
        guard let taskID = fields["task_id"]?.stringValue, !taskID.isEmpty else { return refuse(path + "task_id", "the task's id is required") }
        let keys = instanceKeys(instanceID, appID: fields["app_id"]?.stringValue)
        guard let key = keys.first, let instance = instances[key] else {
            return refuse(path + "instance_id", "no instance \(instanceID)" + (fields["app_id"]?.stringValue.map { " of \($0)" } ?? ""))
        }
        guard keys.count == 1 else { return refuse("app_id", "several apps have an instance \(instanceID): name the app") }
        guard !Self.hiddenInstanceStatuses.contains(instance.status) else {
            return refuse(path + "instance_id", "the instance is \(instance.status): it is in no Approval Center")
        }
        guard let task = instance.tasks.first(where: { $0.id == taskID }) else {
            return refuse(path + "task_id", "the instance \(instanceID) has no task \(taskID)")
        }
        guard users.contains(task.userKey) else { return refuse("user", "the task \(taskID) is not that user's") }
        guard task.status == "PENDING" else { return refuse(path + "task_id", "the task is \(task.status), not PENDING") }
        guard let definition = definitions[instance.approvalCode] else {
            return refuse(path + "instance_id", "the instance's approval definition is gone")
        }
        if batch {
            guard definition.flag("allow_batch_operate") else {
                return refuse(path + "instance_id", "the approval \(definition.code) does not allow batch operation (external.allow_batch_operate)")
            }
        } else {
            guard definition.flag("enable_quick_operate") else {
                return refuse("action_type", "the approval \(definition.code) has no quick operation (external.enable_quick_operate)")
            }
            guard let config = task.actionConfig(actionType) else {
                let offered = task.actionTypes.isEmpty ? "none" : task.actionTypes.joined(separator: ", ")
                return refuse("action_type", "the task does not offer \(actionType) (its action_configs: \(offered))")
            }
            if config["is_reason_required"]?.boolValue == true, (fields["reason"]?.stringValue ?? "").isEmpty {
                return refuse("reason", "the action \(actionType) requires a reason (is_reason_required)")
            }
        }
        guard let url = definition.text("action_callback_url") else {
            return refuse("external.action_callback_url", "the approval \(definition.code) has no action_callback_url")
        }

        let user = org.users[task.userKey]
        let plaintext: JSON = [
            "action_type": .string(actionType),
            "action_context": task.fields["action_context"] ?? "",
            "user_id": .string(user?.userID ?? ""),
            "approval_code": .string(definition.code),
            "instance_id": .string(instanceID),
            "task_id": .string(taskID),
            "reason": .string(fields["reason"]?.stringValue ?? ""),
            "token": .string(overrides.token ?? definition.text("action_callback_token") ?? ""),
        ]
        let plainBytes = Data(plaintext.serialized.utf8)
        var body = plainBytes
        let encryptKey: String? = overrides.encryptKey ?? definition.text("action_callback_key")
        if let encryptKey {
            do {
                body = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(plainBytes, encryptKey: encryptKey))]).serialized.utf8)
            } catch {
                return refuse("encrypt_key", "cannot encrypt: \(error)")
            }
        }
        return .success(ApprovalCallbackPlan(
            url: url, headers: [("Content-Type", "application/json"), ("User-Agent", "Feishu-Emulator-Approval/1.0")], body: body,
            plaintext: plaintext, encrypted: encryptKey != nil, appID: instance.appID, approvalCode: definition.code,
            instanceID: instanceID, taskID: taskID, actionType: actionType, userKey: task.userKey,
            timeout: overrides.timeout ?? Self.callbackDeadline))
    }

    /// POSTs the callback outside the actor (other calls go on meanwhile), bounded by the deadline.
    static func send(_ plan: ApprovalCallbackPlan) async -> CallbackOutcome {
        await CallbackOutcome.post(to: plan.url, headers: plan.headers, body: plan.body, timeout: plan.timeout)
    }

    /// Records the exchange (the last 200 are kept) and answers what the side door shows.
    mutating func finish(_ plan: ApprovalCallbackPlan, _ outcome: CallbackOutcome, org: Org) -> JSON {
        let elapsedMs = Int(outcome.elapsed.components.seconds * 1000 + outcome.elapsed.components.attoseconds / 1_000_000_000_000_000)
        var answer: [String: JSON] = [
            "status": outcome.status.map(JSON.int) ?? .null,
            "body": .string(String(decoding: outcome.body, as: UTF8.self)),
            "error": outcome.error.map(JSON.string) ?? .null,
            "elapsed_ms": .int(elapsedMs),
            "sent": plan.plaintext,
            "encrypted": .bool(plan.encrypted),
            "url": .string(plan.url),
            "app_id": .string(plan.appID),
            "approval_code": .string(plan.approvalCode),
            "instance_id": .string(plan.instanceID),
            "task_id": .string(plan.taskID),
            "action_type": .string(plan.actionType),
        ]
        var record = answer
        record["sent_at"] = .string(String(Int64(Date().timeIntervalSince1970 * 1000)))
        record["request_body"] = .string(String(decoding: plan.body, as: UTF8.self))
        record["user"] = .object(Self.userFields(plan.userKey, app: plan.appID, org: org))
        callbacks.append(.object(record))
        if callbacks.count > Self.keptCallbacks { callbacks.removeFirst(callbacks.count - Self.keptCallbacks) }
        answer["ok"] = .bool(outcome.error == nil && (200..<300).contains(outcome.status ?? 0))
        return .object(answer)
    }
}
