import Foundation

/// The app's questions about what Feishu holds: `POST external_instances/check` (`feishu-api.md` §5.3) and
/// `GET external_tasks` with a JSON body (§5.4).
extension ApprovalState {
    /// Lists the instances of the body that the emulator lacks, or holds with an older instance `update_time` or an
    /// older or missing task, each with the `update_time`s the caller sent (`data{diff_instances}`).
    func checkInstances(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let body = try ApprovalInput(body: call)
        guard body.has("instances") else { throw Self.invalid("instances", "is required") }
        var diff: [JSON] = []
        for item in try body.objects("instances") {
            let id = try item.requiredString("instance_id")
            let updateTime = try item.requiredMilliseconds("update_time")
            var tasks: [(id: String, updateTime: Int64)] = []
            for task in try item.objects("tasks") {
                tasks.append((try task.requiredString("task_id"), try task.requiredMilliseconds("update_time")))
            }
            let stored = instances[Self.key(appID, id)]
            let instanceDrifted = stored.map { $0.updateTime < updateTime } ?? true
            let driftedTasks = tasks.filter { task in
                guard let stored else { return true }
                guard let held = stored.tasks.first(where: { $0.id == task.id }) else { return true }
                return held.updateTime < task.updateTime
            }
            guard instanceDrifted || !driftedTasks.isEmpty else { continue }
            diff.append(["instance_id": .string(id), "update_time": updateTime.millisecondString,
                         "tasks": .array(driftedTasks.map { ["task_id": .string($0.id), "update_time": $0.updateTime.millisecondString] })])
        }
        return ["diff_instances": .array(diff)]
    }

    /// The app's instances and their tasks, filtered by the body's `approval_codes`, `instance_ids`, `user_ids` (a
    /// task's user by user_id or the app's open_id) and task `status`; paged by instance (50 by default, at most 500).
    func listTasks(_ call: APICall, appID: String, org: Org) throws(APIError) -> JSON {
        let body = call.body.isEmpty ? ApprovalInput([:]) : try ApprovalInput(body: call)
        let codes = try body.strings("approval_codes", max: 20)
        let instanceIDs = try body.strings("instance_ids", max: 20)
        let userIDs = try body.strings("user_ids")
        let status = try body.choice("status", Self.taskStatuses)
        var userKeys: Set<Int> = []
        for id in userIDs {
            if let user = org.user(id: id, type: .userID, app: appID) ?? org.user(id: id, type: .openID, app: appID) {
                userKeys.insert(user.key)
            }
        }
        let filtersTasks = !userIDs.isEmpty || status != nil
        var matching: [JSON] = []
        for instance in instances.values.filter({ $0.appID == appID }).sorted(by: { $0.sequence < $1.sequence }) {
            if !codes.isEmpty && !codes.contains(instance.approvalCode) { continue }
            if !instanceIDs.isEmpty && !instanceIDs.contains(instance.id) { continue }
            let tasks = instance.tasks.filter { task in
                (userIDs.isEmpty || userKeys.contains(task.userKey)) && (status == nil || task.status == status)
            }
            if filtersTasks && tasks.isEmpty { continue }
            matching.append([
                "instance_id": .string(instance.id),
                "approval_id": .string(definitions[instance.approvalCode]?.approvalID ?? ""),
                "approval_code": .string(instance.approvalCode),
                "status": .string(instance.status),
                "update_time": instance.updateTime.millisecondString,
                "tasks": .array(tasks.map { ["id": .string($0.id), "status": .string($0.status), "update_time": $0.updateTime.millisecondString] }),
            ])
        }
        let context = "external_tasks|\(appID)|\(codes)|\(instanceIDs)|\(userIDs)|\(status ?? "")"
        let page = try Pagination.cut(matching, call, context: context, defaultSize: 50, maxSize: 500)
        var data: [String: JSON] = ["data": .array(Array(page.items)), "has_more": .bool(page.hasMore)]
        if let token = page.token { data["page_token"] = .string(token) }
        return .object(data)
    }
}
