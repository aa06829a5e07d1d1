import Foundation

/// `POST /open-apis/approval/v4/external_instances` (`feishu-api.md` §5.2): an instance with its tasks and CCs, pushed
/// whole (`update_mode` REPLACE, the default) or as an upsert (UPDATE). Answers `{data: <the instance as now stored>}`.
///
/// - REPLACE: a push whose instance `update_time` is not greater than the stored one changes nothing (a stale or
///   repeated push, still code 0); a newer one replaces the instance, its tasks and CCs (missing ones are deleted).
/// - UPDATE: the instance, each task and each CC are taken only when their own `update_time` increased (or they are
///   new); tasks and CCs missing from the push stay.
///
/// The whole push is checked before anything is applied.
extension ApprovalState {
    static let displayMethods: Set<String> = ["BROWSER", "SIDEBAR", "NORMAL", "TRUSTEESHIP"]
    static let updateModes: Set<String> = ["REPLACE", "UPDATE"]

    mutating func pushInstance(_ call: APICall, appID: String, org: Org) throws(APIError) -> JSON {
        let body = try ApprovalInput(body: call)
        let code = try body.requiredString("approval_code")
        guard let definition = definitions[code], definition.appID == appID else { throw Self.approvalNotFound(code) }
        let instanceID = try body.requiredString("instance_id")
        let status = try body.requiredChoice("status", Self.instanceStatuses)
        let links = try body.links()
        let startTime = try body.requiredMilliseconds("start_time")
        let endTime = try body.requiredMilliseconds("end_time")
        let updateTime = try body.requiredMilliseconds("update_time")
        let mode = try body.choice("update_mode", Self.updateModes) ?? "REPLACE"

        var used: [(field: String, text: String)] = []
        var fields: [String: JSON] = ["approval_code": .string(definition.code), "instance_id": .string(instanceID),
                                      "status": .string(status), "links": links, "start_time": startTime.millisecondString,
                                      "end_time": endTime.millisecondString, "update_time": updateTime.millisecondString]
        for field in ["title", "extra", "user_name", "department_id", "department_name", "trusteeship_url_token",
                      "trusteeship_user_id_type", "resource_region"]
        {
            guard let text = try body.string(field) else { continue }
            fields[field] = .string(text)
            if ["title", "user_name", "department_name"].contains(field) { used.append((field, text)) }
        }
        if let method = try body.choice("display_method", Self.displayMethods) { fields["display_method"] = .string(method) }
        for field in ["trusteeship_urls", "trusteeship_cache_config"] {
            if let object = try body.object(field) { fields[field] = .object(object.fields) }
        }
        if body.has("user_id") || body.has("open_id") {
            let initiator = try Self.user(of: body, app: appID, org: org, required: false)
            fields.merge(initiator.fields) { _, new in new }
        }
        if body.has("form") {
            var form: [JSON] = []
            for item in try body.objects("form") {
                let name = try item.string("name") ?? ""
                let value = try item.string("value") ?? ""
                used += [(item.name("name"), name), (item.name("value"), value)]
                form.append(["name": .string(name), "value": .string(value)])
            }
            fields["form"] = .array(form)
        }

        var ids: Set<String> = [instanceID]
        var tasks: [Task] = []
        for item in try body.objects("task_list", max: Self.maxTasks) {
            let task = try Self.task(item, app: appID, org: org, used: &used)
            guard ids.insert(task.id).inserted else {
                throw Self.invalid(item.name("task_id"), "\(task.id) is already the id of the instance or of another task", value: task.id)
            }
            tasks.append(task)
        }
        var ccs: [CC] = []
        for item in try body.objects("cc_list", max: Self.maxCCs) {
            let cc = try Self.cc(item, app: appID, org: org, used: &used)
            guard ids.insert(cc.id).inserted else {
                throw Self.invalid(item.name("cc_id"), "\(cc.id) is already the id of the instance, a task or another CC", value: cc.id)
            }
            ccs.append(cc)
        }
        let locales = try body.locales()
        try ApprovalInput.requireDefined(used, in: locales)

        let key = Self.key(appID, instanceID)
        let sequence: Int
        if let existing = instances[key] { sequence = existing.sequence } else { sequence = takeSequence() }
        let incoming = Instance(appID: appID, id: instanceID, approvalCode: definition.code, status: status, updateTime: updateTime,
                                fields: fields, locales: locales, tasks: tasks, ccs: ccs,
                                sequence: sequence)
        var stored = instances[key] ?? incoming
        if instances[key] == nil {
            stored.applied = 1
        } else if mode == "REPLACE" {
            if updateTime > stored.updateTime {
                stored = Self.replaced(stored, with: incoming)
                stored.applied += 1
            }
        } else if Self.upsert(&stored, incoming) {
            stored.applied += 1
        }
        stored.pushes += 1
        instances[key] = stored
        return ["data": stored.json]
    }

    /// `incoming`, keeping the stored counters.
    private static func replaced(_ stored: Instance, with incoming: Instance) -> Instance {
        var result = incoming
        result.pushes = stored.pushes
        result.applied = stored.applied
        result.sequence = stored.sequence
        return result
    }

    /// UPDATE mode: takes what is new or newer; answers whether anything changed.
    private static func upsert(_ stored: inout Instance, _ incoming: Instance) -> Bool {
        var changed = false
        if incoming.updateTime > stored.updateTime {
            stored.fields = incoming.fields
            stored.status = incoming.status
            stored.updateTime = incoming.updateTime
            stored.approvalCode = incoming.approvalCode
            changed = true
        }
        for task in incoming.tasks {
            if let index = stored.tasks.firstIndex(where: { $0.id == task.id }) {
                guard task.updateTime > stored.tasks[index].updateTime else { continue }
                stored.tasks[index] = task
            } else {
                stored.tasks.append(task)
            }
            changed = true
        }
        for cc in incoming.ccs {
            if let index = stored.ccs.firstIndex(where: { $0.id == cc.id }) {
                guard cc.updateTime > stored.ccs[index].updateTime else { continue }
                stored.ccs[index] = cc
            } else {
                stored.ccs.append(cc)
            }
            changed = true
        }
        if changed { stored.locales = merged(stored.locales, incoming.locales) }
        return changed
    }

    /// Texts of `new` over those of `old`, locale by locale; the default locale is `new`'s.
    static func merged(_ old: [Locale], _ new: [Locale]) -> [Locale] {
        var result = old
        for locale in new {
            guard let index = result.firstIndex(where: { $0.locale == locale.locale }) else {
                result.append(locale)
                continue
            }
            for text in locale.texts {
                if let at = result[index].texts.firstIndex(where: { $0.key == text.key }) {
                    result[index].texts[at] = text
                } else {
                    result[index].texts.append(text)
                }
            }
        }
        let defaultLocale = new.first(where: \.isDefault)?.locale
        for index in result.indices { result[index].isDefault = result[index].locale == defaultLocale }
        return result
    }

    // MARK: parts of a push

    /// The user named by `user_id` (the tenant's) or `open_id` (of the calling app), and those fields as sent.
    static func user(of item: ApprovalInput, app appID: String, org: Org, required: Bool) throws(APIError)
        -> (key: Int?, fields: [String: JSON])
    {
        if let id = try item.string("user_id"), !id.isEmpty {
            guard let user = org.user(id: id, type: .userID, app: appID) else {
                throw invalid(item.name("user_id"), "no user of the tenant has the user_id \(id)", value: id)
            }
            var fields: [String: JSON] = ["user_id": .string(id)]
            if let openID = try item.string("open_id") { fields["open_id"] = .string(openID) }
            return (user.key, fields)
        }
        if let id = try item.string("open_id"), !id.isEmpty {
            guard let user = org.user(id: id, type: .openID, app: appID) else {
                throw invalid(item.name("open_id"), "no user has the open_id \(id) in this app", value: id)
            }
            return (user.key, ["open_id": .string(id)])
        }
        if required { throw invalid(item.name("user_id"), "user_id or open_id is required") }
        return (nil, [:])
    }

    /// One `task_list` item (`ExternalInstanceTaskNode`).
    private static func task(_ item: ApprovalInput, app appID: String, org: Org, used: inout [(field: String, text: String)])
        throws(APIError) -> Task
    {
        let id = try item.requiredString("task_id")
        let user = try user(of: item, app: appID, org: org, required: true)
        let links = try item.links()
        let status = try item.requiredChoice("status", taskStatuses)
        let createTime = try item.requiredMilliseconds("create_time")
        let endTime = try item.requiredMilliseconds("end_time")
        let updateTime = try item.requiredMilliseconds("update_time")
        var fields = user.fields
        fields.merge(["task_id": .string(id), "links": links, "status": .string(status), "create_time": createTime.millisecondString,
                      "end_time": endTime.millisecondString, "update_time": updateTime.millisecondString]) { _, new in new }
        for field in ["title", "extra", "action_context", "node_id", "node_name", "generate_type"] {
            guard let text = try item.string(field) else { continue }
            fields[field] = .string(text)
            if field == "title" { used.append((item.name(field), text)) }
        }
        if let method = try item.choice("display_method", displayMethods) { fields["display_method"] = .string(method) }
        if let flag = try item.bool("exclude_statistics") { fields["exclude_statistics"] = .bool(flag) }
        if item.has("action_configs") {
            var configs: [JSON] = []
            var types: Set<String> = []
            for config in try item.objects("action_configs", max: maxActionConfigs) {
                let type = try config.requiredString("action_type")
                guard types.insert(type).inserted else {
                    throw invalid(config.name("action_type"), "\(type) is given twice", value: type)
                }
                var stored: [String: JSON] = ["action_type": .string(type)]
                if let name = try config.string("action_name"), !name.isEmpty {
                    stored["action_name"] = .string(name)
                    used.append((config.name("action_name"), name))
                } else if type != "APPROVE" && type != "REJECT" {
                    throw invalid(config.name("action_name"), "is required for the custom action \(type)")
                }
                for flag in ["is_need_reason", "is_reason_required", "is_need_attachment"] {
                    if let value = try config.bool(flag) { stored[flag] = .bool(value) }
                }
                configs.append(.object(stored))
            }
            fields["action_configs"] = .array(configs)
        }
        guard let key = user.key else { throw invalid(item.name("user_id"), "user_id or open_id is required") }
        return Task(id: id, userKey: key, status: status, updateTime: updateTime, fields: fields)
    }

    /// One `cc_list` item (`CcNode`).
    private static func cc(_ item: ApprovalInput, app appID: String, org: Org, used: inout [(field: String, text: String)])
        throws(APIError) -> CC
    {
        let id = try item.requiredString("cc_id")
        let user = try user(of: item, app: appID, org: org, required: true)
        var fields = user.fields
        fields["cc_id"] = .string(id)
        if item.has("links") { fields["links"] = try item.links() }
        if let status = try item.choice("read_status", ["READ", "UNREAD"]) { fields["read_status"] = .string(status) }
        for field in ["title", "extra"] {
            guard let text = try item.string(field) else { continue }
            fields[field] = .string(text)
            if field == "title" { used.append((item.name(field), text)) }
        }
        if let method = try item.choice("display_method", displayMethods) { fields["display_method"] = .string(method) }
        if let time = try item.milliseconds("create_time") { fields["create_time"] = time.millisecondString }
        let updateTime = try item.milliseconds("update_time") ?? 0
        fields["update_time"] = updateTime.millisecondString
        return CC(id: id, userKey: user.key, updateTime: updateTime, fields: fields)
    }
}
