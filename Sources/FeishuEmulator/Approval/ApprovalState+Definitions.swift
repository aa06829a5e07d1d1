import Foundation

/// `POST /open-apis/approval/v4/external_approvals` and `GET …/external_approvals/:approval_code` (`feishu-api.md` §5.1).
extension ApprovalState {
    static let externalStrings = ["biz_name", "biz_type", "create_link_pc", "create_link_mobile", "action_callback_url",
                                  "action_callback_token", "action_callback_key"]
    static let externalFlags = ["support_pc", "support_mobile", "support_batch_read", "enable_mark_readed", "enable_quick_operate",
                                "allow_batch_operate", "exclude_efficiency_statistics"]
    static let viewerTypes: Set<String> = ["TENANT", "DEPARTMENT", "USER", "NONE"]

    /// Answers an approval API call made by `appID`.
    mutating func perform(_ call: APICall, appID: String, org: inout Org) throws(APIError) -> JSON {
        switch call.endpoint {
        case .externalApprovalCreate: try createDefinition(call, appID: appID, org: &org)
        case .externalApprovalGet: try getDefinition(call, appID: appID)
        case .externalInstanceCreate: try pushInstance(call, appID: appID, org: org)
        case .externalInstanceCheck: try checkInstances(call, appID: appID)
        case .externalTaskList: try listTasks(call, appID: appID, org: org)
        default: preconditionFailure("\(call.endpoint.rawValue) is not an approval API")
        }
    }

    /// Creates a definition (with a new code made by the emulator) or, when `approval_code` is the code of one of the
    /// app's definitions, updates it. Answers `{approval_code}`.
    mutating func createDefinition(_ call: APICall, appID: String, org: inout Org) throws(APIError) -> JSON {
        _ = try call.idTypes()
        let body = try ApprovalInput(body: call)
        let name = try body.requiredString("approval_name")
        guard name.hasPrefix("@i18n@") else {
            throw Self.invalid("approval_name", "must be an i18n key starting with @i18n@", value: name)
        }
        let requested = try body.requiredString("approval_code")
        _ = try body.requiredString("group_code")
        var used: [(field: String, text: String)] = [("approval_name", name)]
        for field in ["group_name", "description"] {
            if let text = try body.string(field) { used.append((field, text)) }
        }

        let externalInput = try body.requiredObject("external")
        var external: [String: JSON] = [:]
        for field in Self.externalStrings {
            if let text = try externalInput.string(field) { external[field] = .string(text) }
        }
        for field in Self.externalFlags {
            if let flag = try externalInput.bool(field) { external[field] = .bool(flag) }
        }
        if let text = external["biz_name"]?.stringValue { used.append(("external.biz_name", text)) }
        if let url = external["action_callback_url"]?.stringValue, !url.isEmpty {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw Self.invalid("external.action_callback_url", "must be an absolute http(s) URL", value: url)
            }
        }

        var viewers: [JSON] = []
        for viewer in try body.objects("viewers") {
            var stored: [String: JSON] = ["viewer_type": .string(try viewer.requiredChoice("viewer_type", Self.viewerTypes))]
            for field in ["viewer_user_id", "viewer_department_id"] {
                if let id = try viewer.string(field) { stored[field] = .string(id) }
            }
            viewers.append(.object(stored))
        }
        let managers = try body.strings("managers")
        let locales = try body.locales()
        try ApprovalInput.requireDefined(used, in: locales)

        var fields = body.copy(["approval_name", "group_code", "group_name", "description"])
        fields["external"] = .object(external)
        if body.has("viewers") { fields["viewers"] = .array(viewers) }
        if body.has("managers") { fields["managers"] = .array(managers.map(JSON.string)) }
        fields["i18n_resources"] = .array(locales.map(\.json))

        if var existing = definitions[requested], existing.appID == appID {
            fields["approval_code"] = .string(existing.code)
            existing.fields = fields
            existing.locales = locales
            existing.updates += 1
            definitions[existing.code] = existing
            return ["approval_code": .string(existing.code)]
        }
        var code: String
        repeat {
            let hex = org.newHex(32).uppercased()
            let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            code = parts.map(String.init).joined(separator: "-")
        } while definitions[code] != nil || code == requested
        fields["approval_code"] = .string(code)
        let sequence = takeSequence()
        definitions[code] = Definition(code: code, requestedCode: requested, appID: appID, fields: fields, locales: locales,
                                       approvalID: String(7_000_000_000_000_000_000 + sequence), sequence: sequence)
        return ["approval_code": .string(code)]
    }

    /// The definition as stored: the fields as sent, with the code the emulator gave it.
    func getDefinition(_ call: APICall, appID: String) throws(APIError) -> JSON {
        _ = try call.idTypes()
        let code = call.pathParameters["approval_code"] ?? ""
        guard let definition = definitions[code], definition.appID == appID else { throw Self.approvalNotFound(code) }
        return .object(definition.fields)
    }

    // MARK: operator view

    /// `GET /_emulator/approval/definitions?app_id=`: the definitions, oldest first, with what was asked for.
    func definitionsJSON(appID: String?) -> JSON {
        let chosen = definitions.values.filter { appID == nil || $0.appID == appID }.sorted { $0.sequence < $1.sequence }
        return ["items": .array(chosen.map { definition in
            var external = definition.external
            external["has_action_callback_url"] = .bool(definition.text("action_callback_url") != nil)
            external["has_action_callback_token"] = .bool(definition.text("action_callback_token") != nil)
            external["has_action_callback_key"] = .bool(definition.text("action_callback_key") != nil)
            return [
                "app_id": .string(definition.appID),
                "approval_code": .string(definition.code),
                "requested_code": .string(definition.requestedCode),
                "approval_id": .string(definition.approvalID),
                "name": .string(definition.name),
                "group_code": definition.fields["group_code"] ?? .null,
                "external": .object(external),
                "updates": .int(definition.updates),
                "fields": .object(definition.fields),
            ]
        })]
    }
}
