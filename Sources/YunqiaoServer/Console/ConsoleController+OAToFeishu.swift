import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 通讯录管理 — OA → 飞书 (mode 3, seed 4.3.2): the settings of an enterprise, 模拟同步 (preview) and 立即同步 (run), the
/// runs, and a run's plan — the tree with matched (orange) and new (blue) departments, the tables of creates, updates
/// (field: old → new), disables and deletes (out-of-scope deletes apart, in red) — with approve / discard when parked.
extension ConsoleController {
    func addOAToFeishuRoutes(to routes: RouteCollection<AppRequestContext>, _ mode3: OAToFeishuAdmin) {
        routes.get("enterprises/:id/oa-to-feishu") { request, context in
            let admin = try context.admin(), id = try context.id("id")
            let settings = try await mode3.settings(admin, enterpriseId: id)
            var values = try await oaToFeishuPage(admin, id, Self.settingsForm(settings), mode3, strings(request))
            if request.uri.queryParameters.get("saved") != nil { values["notice"] = strings(request)["o2f_saved"] }
            if request.uri.queryParameters.get("scheduled") != nil { values["notice"] = strings(request)["schedule_saved"] }
            return show("oa-to-feishu", values, request, context)
        }
        routes.post("enterprises/:id/oa-to-feishu") { request, context in
            let admin = try context.admin(), id = try context.id("id")
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "oa-to-feishu",
                                    page: { try await oaToFeishuPage(admin, id, $0, mode3, strings(request)) }) {
                try await mode3.setSettings(admin, enterpriseId: id, try Self.settings(form.values))
                return "/console/enterprises/\(id)/oa-to-feishu?saved=1"
            }
        }
        for (path, preview) in [("preview", true), ("run", false)] {
            routes.post(RouterPath("enterprises/:id/oa-to-feishu/\(path)")) { request, context in
                let admin = try context.admin(), id = try context.id("id")
                let form = try await Self.form(request, context)
                return try await submit(request, context, form, template: "oa-to-feishu", page: { _ in
                    try await oaToFeishuPage(admin, id, Self.settingsForm(try await mode3.settings(admin, enterpriseId: id)), mode3, strings(request))
                }) {
                    let run = preview ? try await mode3.preview(admin, enterpriseId: id) : try await mode3.start(admin, enterpriseId: id)
                    return "/console/enterprises/\(id)/oa-to-feishu/runs/\(run.id ?? 0)"
                }
            }
        }
        routes.get("enterprises/:id/oa-to-feishu/runs/:run") { request, context in
            let admin = try context.admin(), id = try context.id("id")
            let run = try await mode3.run(admin, runId: try context.id("run"))
            guard run.enterpriseId == id else { throw YunqiaoError.notFound("OA → Feishu run \(run.id ?? 0)") }
            return show("oa-to-feishu-run", try OAToFeishuRunPage.values(run, strings(request)), request, context)
        }
        // Undo within the grace window: unfreeze a user a run froze, from the user card.
        routes.post("enterprises/:id/users/:user/unfreeze") { request, context in
            let admin = try context.admin(), id = try context.id("id"), user = try context.pathComponent("user")
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "user", page: { _ in try await userCardPage(admin, id, user, request) }) {
                try await mode3.unfreeze(admin, enterpriseId: id, unionID: user)
                return "/console/enterprises/\(id)/users/\(ConsoleFormat.component(user))?unfrozen=1"
            }
        }
        for (path, approve) in [("approve", true), ("discard", false)] {
            routes.post(RouterPath("enterprises/:id/oa-to-feishu/runs/:run/\(path)")) { _, context in
                let admin = try context.admin(), id = try context.id("id")
                let run = approve ? try await mode3.approve(admin, runId: try context.id("run")) : try await mode3.discard(admin, runId: try context.id("run"))
                return Self.seeOther("/console/enterprises/\(id)/oa-to-feishu/runs/\(run.id ?? 0)")
            }
        }
    }

    func oaToFeishuPage(_ admin: AdminIdentity, _ id: Int64, _ form: [String: String], _ mode3: OAToFeishuAdmin,
                        _ t: Strings, scheduleForm: [String: String]? = nil) async throws -> PageValues
    {
        let enterprise = try await service.enterprise(admin, id: id)
        let top = form["topDepartmentID"] ?? ""
        var departments: [[String: Any]] = [["value": "", "label": t["o2f_top_none"] ?? "", "selected": top.isEmpty],
                                            ["value": "0", "label": t["o2f_top_root"] ?? "", "selected": top == "0"]]
        departments += try await mode3.departmentChoices(admin, enterpriseId: id).map { ["value": $0.id, "label": $0.path, "selected": $0.id == top] }
        let mapping = FeishuUserField.allCases.map { field -> [String: Any] in
            let chosen = form["map_" + field.rawValue] ?? ""
            return ["field": field.rawValue, "label": t["o2f_field_" + field.rawValue] ?? field.rawValue,
                    "synced": form["synced_" + field.rawValue] != nil,
                    "options": [["value": "", "label": t["o2f_not_mapped"] ?? "", "selected": chosen.isEmpty]]
                        + OAUserField.allCases.map { ["value": $0.rawValue, "label": t["o2f_oa_" + $0.rawValue] ?? $0.rawValue, "selected": $0.rawValue == chosen] }]
        }
        let accounts = OAUserField.allCases.map { ["value": $0.rawValue, "label": t["o2f_oa_" + $0.rawValue] ?? $0.rawValue,
                                                   "selected": $0.rawValue == form["accountField"]] }
        let runs = try await mode3.runs(admin, enterpriseId: id).map { run -> [String: Any] in
            ["id": run.id ?? 0, "href": "/console/enterprises/\(id)/oa-to-feishu/runs/\(run.id ?? 0)", "status": run.status.rawValue,
             "statusLabel": t["o2f_status_" + run.status.rawValue] ?? run.status.rawValue, "createdBy": run.createdBy,
             "createdAt": ConsoleFormat.dateTime(run.createdAt)]
        }
        return ["enterprise": ["id": id, "name": enterprise.name], "form": form, "departments": departments, "mapping": mapping,
                "accounts": accounts, "runs": runs, "hasRuns": !runs.isEmpty, "writable": form["writable"] == "readWrite",
                "disable": form["leaverAction"] != "delete", "schedules": try await scheduleRows(admin, id, mode3, scheduleForm, t)]
    }

    /// The settings as the form shows them.
    static func settingsForm(_ settings: OAToFeishuSettings) -> [String: String] {
        let writable: String = settings.writable ? "readWrite" : "readOnly"
        let days: String = settings.deleteDisabledAfterDays.map(String.init) ?? ""
        let percent: String = settings.threshold.maxPercent.map(String.init) ?? ""
        let count: String = settings.threshold.maxCount.map(String.init) ?? ""
        var form: [String: String] = ["writable": writable, "topDepartmentID": settings.topDepartmentID ?? ""]
        form["accountField"] = settings.accountField.rawValue
        form["leaverAction"] = settings.leaverAction.rawValue
        form["deleteDisabledAfterDays"] = days
        form["disabledDepartmentName"] = settings.disabledDepartmentName ?? ""
        form["includeDepartments"] = settings.includeDepartments.joined(separator: "\n")
        form["includeUsers"] = settings.includeUsers.joined(separator: "\n")
        form["excludeUsers"] = settings.excludeUsers.joined(separator: "\n")
        form["maxPercent"] = percent
        form["maxCount"] = count
        if settings.createUsers { form["createUsers"] = "on" }
        if settings.includePartTimeDepartments { form["includePartTimeDepartments"] = "on" }
        for mapping in settings.fieldMapping {
            form["map_" + mapping.feishu.rawValue] = mapping.oa.rawValue
            if mapping.synced { form["synced_" + mapping.feishu.rawValue] = "on" }
        }
        return form
    }

    /// The settings a form post says; a value that is not one of the choices is refused naming its field.
    static func settings(_ form: [String: String]) throws -> OAToFeishuSettings {
        func choice<Value: RawRepresentable>(_ field: String, _ type: Value.Type) throws -> Value where Value.RawValue == String {
            guard let value = form[field].flatMap(Value.init(rawValue:)) else { throw APIError.invalid(field, "not one of the choices") }
            return value
        }
        func number(_ field: String) throws -> Int? {
            guard let text = form[field]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw APIError.invalid(field, "must be a whole number") }
            return value
        }
        func list(_ field: String) -> [String] {
            (form[field] ?? "").split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "," || $0 == "，" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard let writable = form["writable"], ["readOnly", "readWrite"].contains(writable) else {
            throw APIError.invalid("writable", "not one of the choices")
        }
        let mapping = try FeishuUserField.allCases.compactMap { field -> OAToFeishuSettings.FieldMapping? in
            guard let chosen = form["map_" + field.rawValue], !chosen.isEmpty else { return nil }
            guard let oa = OAUserField(rawValue: chosen) else { throw APIError.invalid("map_" + field.rawValue, "not one of the choices") }
            return .init(oa: oa, feishu: field, synced: form["synced_" + field.rawValue] != nil)
        }
        let name = form["disabledDepartmentName"]?.trimmingCharacters(in: .whitespaces) ?? ""
        return OAToFeishuSettings(
            writable: writable == "readWrite", topDepartmentID: form["topDepartmentID"].flatMap(\.nilIfEmpty), createUsers: form["createUsers"] != nil,
            accountField: try choice("accountField", OAUserField.self), fieldMapping: mapping,
            includePartTimeDepartments: form["includePartTimeDepartments"] != nil, leaverAction: try choice("leaverAction", OAToFeishuSettings.LeaverAction.self),
            deleteDisabledAfterDays: try number("deleteDisabledAfterDays"), disabledDepartmentName: name.nilIfEmpty,
            includeDepartments: list("includeDepartments"), includeUsers: list("includeUsers"), excludeUsers: list("excludeUsers"),
            threshold: DecreaseThreshold(maxPercent: try number("maxPercent"), maxCount: try number("maxCount")))
    }
}
