import Foundation

/// The third-party approval part of the operator's side door, `/_emulator/approval/…`:
///
/// - `GET instances?app_id=`: the instances held (of one app or all) with their tasks, push counters and echo;
/// - `GET definitions?app_id=`: the definitions, with the code asked for and the one given;
/// - `GET center?user=<open_id|union_id|user_id>&list=pending|done`: a user's Approval Center list;
/// - `POST action {user, instance_id, task_id, action_type, reason?, app_id?, token?, encrypt_key?, timeout_ms?}`: the
///   user taps Approve/Reject; answers `{status, body, error, elapsed_ms, sent, …}` of the callback;
/// - `POST batch {user, tasks: [{instance_id, task_id}], action_type: "APPROVE", …}`: batch approval,
///   `{results: […]}`, one callback per task, one after the other;
/// - `GET callbacks?app_id=&instance_id=&limit=` the last 200 callbacks (oldest first), `DELETE callbacks` forgets them;
/// - `POST forget {app_id?, instance_id}`: forgets an instance; `POST rewind {app_id?, instance_id, update_time?}`: its
///   stored `update_time` (and its tasks' and CCs') 1 ms back, or to `update_time` (e.g. 0); 404 when not held;
/// - `POST reset`: forgets every definition, instance and callback.
extension EmulatorState {
    func handleApprovalAdmin(method: String, path: String, query: [String: [String]], json: JSON?) async -> EmulatorResponse? {
        let prefix = "/_emulator/approval"
        guard path.hasPrefix(prefix + "/") else { return nil }
        func value(_ name: String) -> String? { query[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
        let appIDs = admin.apps.keys.sorted()
        switch (method, String(path.dropFirst(prefix.count + 1))) {
        case ("GET", "instances"):
            return .ok(approval.instancesJSON(appID: value("app_id"), org: contact.org))
        case ("GET", "definitions"):
            return .ok(approval.definitionsJSON(appID: value("app_id")))
        case ("GET", "center"):
            guard let user = value("user") else { return .adminError("user", "open_id, union_id or user_id of the user is required") }
            let keys = ApprovalState.userKeys(matching: user, appIDs: appIDs, org: contact.org)
            guard !keys.isEmpty else { return .adminError("user", "no user with the open_id, union_id or user_id \(user)") }
            let list = value("list") ?? "pending"
            guard list == "pending" || list == "done" else { return .adminError("list", "pending or done") }
            return .ok(approval.center(userKeys: keys, list: list))
        case ("POST", "action"):
            return await approvalAction(json, appIDs: appIDs)
        case ("POST", "batch"):
            return await approvalBatch(json, appIDs: appIDs)
        case ("GET", "callbacks"):
            var items = approval.callbacks
            if let app = value("app_id") { items = items.filter { $0["app_id"]?.stringValue == app } }
            if let instance = value("instance_id") { items = items.filter { $0["instance_id"]?.stringValue == instance } }
            if let limit = value("limit").flatMap(Int.init), limit >= 0 { items = Array(items.suffix(limit)) }
            return .ok(["items": .array(items)])
        case ("DELETE", "callbacks"):
            approval.callbacks = []
            return .ok([:])
        case ("POST", "forget"), ("POST", "rewind"):
            return driftApprovalInstance(json, rewind: path.hasSuffix("rewind"))
        case ("POST", "reset"):
            approval = ApprovalState()
            return .ok(["ok": true])
        default:
            return .notFound
        }
    }

    /// `forget` or `rewind` one instance.
    private func driftApprovalInstance(_ json: JSON?, rewind: Bool) -> EmulatorResponse {
        guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
        guard let instanceID = fields["instance_id"]?.stringValue, !instanceID.isEmpty else {
            return .adminError("instance_id", "the id of an instance the emulator holds is required")
        }
        var time: Int64?
        if rewind, let value = fields["update_time"], !value.isNull {
            guard let number = value.intValue, number >= 0 else { return .adminError("update_time", "milliseconds ≥ 0, or absent for 1 ms back") }
            time = Int64(number)
        }
        let keys = approval.instanceKeys(instanceID, appID: fields["app_id"]?.stringValue)
        guard let key = keys.first else {
            var answer = EmulatorResponse.adminError("instance_id", "no instance \(instanceID)")
            answer.status = 404
            return answer
        }
        guard keys.count == 1 else { return .adminError("app_id", "several apps have an instance \(instanceID): name the app") }
        if rewind {
            approval.rewind(key, to: time)
        } else {
            approval.instances[key] = nil
        }
        return .ok(["ok": true])
    }

    /// Plans the callback inside the actor, sends it outside (other calls go on meanwhile), then records it.
    private func approvalAction(_ json: JSON?, appIDs: [String]) async -> EmulatorResponse {
        let plan: ApprovalCallbackPlan
        switch approval.planAction(json, appIDs: appIDs, org: contact.org) {
        case .success(let planned): plan = planned
        case .failure(let refusal): return .adminError(refusal)
        }
        let outcome = await ApprovalState.send(plan)
        return .ok(approval.finish(plan, outcome, org: contact.org))
    }

    private func approvalBatch(_ json: JSON?, appIDs: [String]) async -> EmulatorResponse {
        let plans: [ApprovalCallbackPlan]
        switch approval.planBatch(json, appIDs: appIDs, org: contact.org) {
        case .success(let planned): plans = planned
        case .failure(let refusal): return .adminError(refusal)
        }
        var results: [JSON] = []
        for plan in plans {
            let outcome = await ApprovalState.send(plan)
            results.append(approval.finish(plan, outcome, org: contact.org))
        }
        return .ok(["results": .array(results)])
    }
}
