import Foundation

/// Third-party approval as the operator and the users see it: the instances held (`/_emulator/approval/instances`),
/// a user's Approval Center lists (`/_emulator/approval/center`), and drifts made on purpose (forget, rewind).
extension ApprovalState {
    /// A user by any of their ids: the open_id of any app, the union_id or the user_id.
    static func userKeys(matching id: String, appIDs: [String], org: Org) -> Set<Int> {
        Set(IMState.userKeys(matching: id, as: "user", appIDs: appIDs, org: org))
    }

    static func userFields(_ key: Int?, app: String, org: Org) -> [String: JSON] {
        guard let key, let user = org.users[key] else { return ["user_open_id": .null, "user_union_id": .null, "user_id": .null] }
        return ["user_open_id": .string(org.openID(of: key, app: app)), "user_union_id": .string(user.unionID),
                "user_id": .string(user.userID), "user_name": .string(user.name)]
    }

    /// The instance's title in the default locale; the definition's name when it has none.
    func title(of instance: Instance) -> String {
        if let title = instance.fields["title"]?.stringValue, !title.isEmpty { return Self.resolve(title, in: instance.locales) }
        return definitions[instance.approvalCode]?.name ?? ""
    }

    /// A task's title in the default locale; the instance's title when it has none.
    func title(of task: Task, in instance: Instance) -> String {
        if let title = task.fields["title"]?.stringValue, !title.isEmpty { return Self.resolve(title, in: instance.locales) }
        return title(of: instance)
    }

    // MARK: instances

    /// `GET /_emulator/approval/instances?app_id=`: every instance held (of one app or all), oldest first.
    func instancesJSON(appID: String?, org: Org) -> JSON {
        let chosen = instances.values.filter { appID == nil || $0.appID == appID }.sorted { $0.sequence < $1.sequence }
        return ["items": .array(chosen.map { instanceJSON($0, org: org) })]
    }

    func instanceJSON(_ instance: Instance, org: Org) -> JSON {
        let tasks: [JSON] = instance.tasks.map { task in
            var item = Self.userFields(task.userKey, app: instance.appID, org: org)
            item["task_id"] = .string(task.id)
            item["status"] = .string(task.status)
            item["update_time"] = .int(Int(task.updateTime))
            item["title"] = .string(title(of: task, in: instance))
            item["links"] = task.fields["links"] ?? .null
            item["action_configs"] = task.fields["action_configs"] ?? .array([])
            item["action_context"] = task.fields["action_context"] ?? .null
            return .object(item)
        }
        let ccs: [JSON] = instance.ccs.map { cc in
            var item = Self.userFields(cc.userKey, app: instance.appID, org: org)
            item["cc_id"] = .string(cc.id)
            item["read_status"] = cc.fields["read_status"] ?? .null
            item["update_time"] = .int(Int(cc.updateTime))
            return .object(item)
        }
        return [
            "app_id": .string(instance.appID),
            "approval_code": .string(instance.approvalCode),
            "instance_id": .string(instance.id),
            "status": .string(instance.status),
            "update_time": .int(Int(instance.updateTime)),
            "pushes": .int(instance.pushes),
            "applied": .int(instance.applied),
            "title": .string(title(of: instance)),
            "links": instance.fields["links"] ?? .null,
            "tasks": .array(tasks),
            "cc_list": .array(ccs),
            "echo": instance.json,
        ]
    }

    // MARK: the Approval Center

    /// A user's Approval Center list: `pending` = their PENDING tasks, `done` = their APPROVED, REJECTED and TRANSFERRED
    /// tasks (DONE tasks are hidden from them); instances DELETED or HIDDEN show in neither. Newest first.
    func center(userKeys: Set<Int>, list: String) -> JSON {
        let statuses: Set<String> = list == "pending" ? ["PENDING"] : ["APPROVED", "REJECTED", "TRANSFERRED"]
        var rows: [(time: Int64, sequence: Int, item: JSON)] = []
        for instance in instances.values where !Self.hiddenInstanceStatuses.contains(instance.status) {
            let definition = definitions[instance.approvalCode]
            for task in instance.tasks where userKeys.contains(task.userKey) && statuses.contains(task.status) {
                let quick = task.status == "PENDING" && definition?.flag("enable_quick_operate") == true
                let item: JSON = [
                    "app_id": .string(instance.appID),
                    "approval_code": .string(instance.approvalCode),
                    "instance_id": .string(instance.id),
                    "task_id": .string(task.id),
                    "title": .string(title(of: task, in: instance)),
                    "status": .string(task.status),
                    "instance_status": .string(instance.status),
                    "update_time": .int(Int(task.updateTime)),
                    "links": task.fields["links"] ?? .null,
                    "quick_actions": .array(quick ? task.actionTypes.map(JSON.string) : []),
                    "batch": .bool(definition?.flag("allow_batch_operate") == true),
                ]
                rows.append((task.updateTime, instance.sequence, item))
            }
        }
        rows.sort { ($0.time, $0.sequence) > ($1.time, $1.sequence) }
        return ["list": .string(list), "items": .array(rows.map(\.item))]
    }

    // MARK: drifts

    /// The keys of the instances with this id, of one app or of any.
    func instanceKeys(_ instanceID: String, appID: String?) -> [String] {
        if let appID { return instances[Self.key(appID, instanceID)] == nil ? [] : [Self.key(appID, instanceID)] }
        return instances.values.filter { $0.id == instanceID }.map(\.key).sorted()
    }

    /// Sets the stored `update_time` of an instance, its tasks and CCs 1 ms back, or to `time`.
    mutating func rewind(_ key: String, to time: Int64?) {
        guard var instance = instances[key] else { return }
        func moved(_ value: Int64) -> Int64 { time ?? max(0, value - 1) }
        instance.updateTime = moved(instance.updateTime)
        instance.fields["update_time"] = instance.updateTime.millisecondString
        for index in instance.tasks.indices {
            instance.tasks[index].updateTime = moved(instance.tasks[index].updateTime)
            instance.tasks[index].fields["update_time"] = instance.tasks[index].updateTime.millisecondString
        }
        for index in instance.ccs.indices {
            instance.ccs[index].updateTime = moved(instance.ccs[index].updateTime)
            instance.ccs[index].fields["update_time"] = instance.ccs[index].updateTime.millisecondString
        }
        instances[key] = instance
    }
}
