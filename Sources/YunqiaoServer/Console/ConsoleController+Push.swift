import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 消息推送 (seed 三, issue #7): the overview, the OA's modules (the `source` of messages, with the quick-approval action
/// webhook), and the push rules (消息推送规则) with their targets (推送目标: enterprise, app, message type, quick approval)
/// and a test send per target. The message log and dead letters are in `ConsoleController+PushMessages.swift`.
extension ConsoleController {
    func addPushRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("push") { request, context in
            show("push", try await pushOverviewPage(context.admin(), strings(request)), request, context)
        }
        addPushModuleRoutes(to: routes)
        addPushRuleRoutes(to: routes)
        addPushTargetRoutes(to: routes)
        addPushMessageRoutes(to: routes)
    }

    // MARK: overview

    private func pushOverviewPage(_ admin: AdminIdentity, _ t: Strings) async throws -> PageValues {
        let today = try await push.today(admin)
        let modules = try await push.modules(admin)
        let rules = try await push.rules(admin)
        let dead = try await push.deadLetters(admin, limit: 1, offset: 0).total
        let states = DeliveryState.allCases.map { state -> PageValues in
            ["state": state.rawValue, "label": t["push_state_" + state.rawValue] ?? state.rawValue,
             "count": today.deliveries[state] ?? 0,
             "href": "/console/push/messages" + ConsoleFormat.query(["state": state.rawValue])]
        }
        return ["today": ["messages": today.messages, "states": states, "partial": today.partial, "limit": PushConsoleService.overviewLimit],
                "moduleCount": modules.count, "ruleCount": rules.count, "enabledRuleCount": rules.filter(\.rule.enabled).count,
                "deadCount": dead, "hasDead": dead > 0, "noModules": modules.isEmpty, "noRules": rules.isEmpty, "tab": ["overview": true]]
    }

    // MARK: modules

    private func addPushModuleRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("push/modules") { request, context in
            let admin = try context.admin()
            let t = strings(request)
            let rules = try await push.rules(admin)
            let rows = try await push.modules(admin).map { pushModuleRow($0, rules: rules, t) }
            return show("push-modules", ["modules": rows, "tab": ["modules": true]], request, context)
        }
        routes.get("push/modules/new") { request, context in
            show("push-module-form", pushModuleForm([:], nil), request, context)
        }
        routes.post("push/modules/new") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                _ = try await push.createModule(admin, key: form["key"] ?? "", name: form["name"] ?? "", actionURL: form["actionURL"],
                                                actionSecret: form["actionSecret"])
                return Self.seeOther("/console/push/modules?saved=1")
            } catch {
                return try await rejected(error, request, context, form.values, template: "push-module-form", labels: "push_field_") {
                    pushModuleForm($0, nil)
                }
            }
        }
        routes.get("push/modules/:id/edit") { request, context in
            let module = try await push.module(context.admin(), id: context.id("id"))
            let fields = ["key": module.key, "name": module.name, "actionURL": module.actionURL ?? ""]
            return show("push-module-form", pushModuleForm(fields, module), request, context)
        }
        routes.post("push/modules/:id/edit") { request, context in
            let admin = try context.admin()
            let module = try await push.module(admin, id: context.id("id"))
            let form = try await Self.form(request, context)
            do {
                _ = try await push.updateModule(admin, id: module.id ?? 0, name: form["name"] ?? "", actionURL: form["actionURL"],
                                                actionSecret: form["actionSecret"], clearActionSecret: form["clearActionSecret"] == "on")
                return Self.seeOther("/console/push/modules?saved=1")
            } catch {
                return try await rejected(error, request, context, form.values, template: "push-module-form", labels: "push_field_") {
                    var entered = $0
                    entered["key"] = module.key
                    return pushModuleForm(entered, module)
                }
            }
        }
        addDeleteRoutes(to: routes, "push/modules/:id", page: { admin, id, t in
            let module = try await push.module(admin, id: id)
            return Self.pushConfirm(kind: t["push_kind_module"] ?? "", name: "\(module.name) (\(module.key))",
                                    note: t["push_delete_note_module"] ?? "", action: "/console/push/modules/\(id)/delete",
                                    back: "/console/push/modules")
        }) { admin, id in
            try await push.deleteModule(admin, id: id)
            return "/console/push/modules?deleted=1"
        }
    }

    private func pushModuleRow(_ module: OAModuleRecord, rules: [PushRuleDetail], _ t: Strings) -> PageValues {
        let id = module.id ?? 0
        var row: PageValues = [
            "id": id, "key": module.key, "name": module.name, "updatedAt": ConsoleFormat.dateTime(module.updatedAt),
            "editHref": "/console/push/modules/\(id)/edit", "deleteHref": "/console/push/modules/\(id)/delete",
            "usedBy": rules.filter { $0.rule.source == module.key }.map(\.rule.name),
            "messagesHref": "/console/push/messages" + ConsoleFormat.query(["source": module.key]),
        ]
        row["actionURL"] = module.actionURL ?? false
        row["secretMask"] = push.actionSecretMask(module) ?? false
        row["channelLabel"] = t["approval_channel_" + module.todoChannel] ?? module.todoChannel
        row["approvalCenterHref"] = "/console/push/modules/\(id)/approval-center"
        return row
    }

    /// The new/edit form; the action secret is never filled in: the stored one shows as its mask.
    private func pushModuleForm(_ form: [String: String], _ module: OAModuleRecord?) -> PageValues {
        var values: PageValues = ["form": form.filter { $0.key != "actionSecret" }, "tab": ["modules": true]]
        if let module {
            let id = module.id ?? 0
            var shown: PageValues = ["id": id, "key": module.key, "name": module.name]
            shown["secretMask"] = push.actionSecretMask(module) ?? false
            values["module"] = shown
            values["action"] = "/console/push/modules/\(id)/edit"
            values["clearChecked"] = form["clearActionSecret"] == "on"
        } else {
            values["action"] = "/console/push/modules/new"
        }
        return values
    }

    /// The `confirm-delete` page's values, with this area's words.
    static func pushConfirm(kind: String, name: String, note: String, action: String, back: String) -> PageValues {
        ["confirm": ["kind": kind, "name": name, "note": note, "action": action, "back": back]]
    }

    // MARK: rules

    private func addPushRuleRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("push/rules") { request, context in
            let admin = try context.admin()
            let t = strings(request)
            let modules = try await push.modules(admin)
            let rules = try await push.rules(admin)
            let rows = rules.map { pushRuleRow($0, modules: modules, t) }
            let effective = push.effectiveTargets(modules: modules, rules: rules).map { module, targets -> PageValues in
                ["name": module.name, "key": module.key, "hasTargets": !targets.isEmpty, "targets": targets.map { effective -> PageValues in
                    let (rule, target) = (effective.rule, effective.target)
                    return ["ruleName": rule.name, "ruleHref": "/console/push/rules/\(rule.id ?? 0)", "all": rule.source == PushRules.allSources,
                            "enterpriseName": target.enterprise.name, "appName": target.app.name.isEmpty ? target.app.appID : target.app.name,
                            "appHref": "/console/apps/\(target.record.appId)", "appKey": target.record.appId,
                            "typeLabel": t["push_type_" + target.record.type] ?? target.record.type,
                            "quickApproval": target.record.quickApproval && target.record.messageType == .todo]
                }]
            }
            return show("push-rules", ["rules": rows, "tab": ["rules": true], "effective": effective, "hasModules": !modules.isEmpty],
                        request, context)
        }
        routes.get("push/rules/new") { request, context in
            let admin = try context.admin()
            return show("push-rule-form", try await pushRuleForm(admin, ["enabled": "on"], nil, strings(request)), request, context)
        }
        routes.post("push/rules/new") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                let rule = try await push.createRule(admin, name: form["name"] ?? "", source: form["source"] ?? "",
                                                     enabled: form["enabled"] == "on")
                return Self.seeOther("/console/push/rules/\(rule.rule.id ?? 0)?saved=1")
            } catch {
                return try await rejected(error, request, context, form.values, template: "push-rule-form", labels: "push_field_") {
                    try await pushRuleForm(admin, $0, nil, strings(request))
                }
            }
        }
        routes.get("push/rules/:id") { request, context in
            let admin = try context.admin()
            return show("push-rule", try await pushRulePage(admin, context.id("id"), request), request, context)
        }
        addEditRoutes(to: routes, "push/rules/:id", template: "push-rule-form",
                      load: { admin, id in try await push.rule(admin, id: id) },
                      fields: { ["name": $0.rule.name, "source": $0.rule.source, "enabled": $0.rule.enabled ? "on" : ""] },
                      page: { admin, rule, form, t in try await pushRuleForm(admin, form, rule, t) }) { admin, rule, form in
            let id = rule.rule.id ?? 0
            _ = try await push.updateRule(admin, id: id, name: form["name"] ?? "", source: form["source"] ?? "", enabled: form["enabled"] == "on")
            return "/console/push/rules/\(id)?saved=1"
        }
        addDeleteRoutes(to: routes, "push/rules/:id", page: { admin, id, t in
            let rule = try await push.rule(admin, id: id)
            return Self.pushConfirm(kind: t["push_kind_rule"] ?? "", name: rule.rule.name, note: t["push_delete_note_rule"] ?? "",
                                    action: "/console/push/rules/\(id)/delete", back: "/console/push/rules/\(id)")
        }) { admin, id in
            try await push.deleteRule(admin, id: id)
            return "/console/push/rules?deleted=1"
        }
    }

    /// 消息来源 in words: `全部` for `*`, else the module's name and key.
    func pushSourceLabel(_ source: String, modules: [OAModuleRecord], _ t: Strings) -> String {
        if source == PushRules.allSources { return t["push_source_all"] ?? source }
        return modules.first { $0.key == source }.map { "\($0.name) (\($0.key))" } ?? source
    }

    private func pushRuleRow(_ detail: PushRuleDetail, modules: [OAModuleRecord], _ t: Strings) -> PageValues {
        let rule = detail.rule
        let id = rule.id ?? 0
        return ["id": id, "name": rule.name, "source": rule.source, "sourceLabel": pushSourceLabel(rule.source, modules: modules, t),
                "all": rule.source == PushRules.allSources, "enabled": rule.enabled,
                "enabledLabel": t[rule.enabled ? "push_enabled_on" : "push_enabled_off"] ?? "", "targetCount": detail.targets.count,
                "updatedAt": ConsoleFormat.dateTime(rule.updatedAt), "href": "/console/push/rules/\(id)",
                "editHref": "/console/push/rules/\(id)/edit", "deleteHref": "/console/push/rules/\(id)/delete"]
    }

    private func pushRuleForm(_ admin: AdminIdentity, _ form: [String: String], _ rule: PushRuleDetail?, _ t: Strings)
        async throws -> PageValues
    {
        let modules = try await push.modules(admin)
        let choices = [(PushRules.allSources, t["push_source_all_long"] ?? PushRules.allSources)]
            + modules.map { ($0.key, "\($0.name) (\($0.key))") }
        var values: PageValues = ["form": form, "sources": Self.options(choices, selected: form["source"] ?? ""),
                                  "enabledChecked": form["enabled"] == "on", "noModules": modules.isEmpty, "tab": ["rules": true]]
        if let rule {
            let id = rule.rule.id ?? 0
            values["rule"] = ["id": id, "name": rule.rule.name, "href": "/console/push/rules/\(id)"]
            values["action"] = "/console/push/rules/\(id)/edit"
        } else {
            values["action"] = "/console/push/rules/new"
        }
        return values
    }

    // MARK: the rule page: targets, the target form, test sends

    private func addPushTargetRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.post("push/rules/:id/targets") { request, context in
            try await savePushTarget(request, context, targetId: nil)
        }
        routes.post("push/rules/:id/targets/:target") { request, context in
            try await savePushTarget(request, context, targetId: context.id("target"))
        }
        routes.post("push/rules/:id/targets/:target/delete") { request, context in
            let (admin, id, target) = (try context.admin(), try context.id("id"), try context.id("target"))
            do {
                try await push.deleteTarget(admin, ruleId: id, targetId: target)
                return Self.seeOther("/console/push/rules/\(id)?targetDeleted=1")
            } catch {
                return try await rejected(error, request, context, [:], template: "push-rule", labels: "push_field_") { _ in
                    try await pushRulePage(admin, id, request)
                }
            }
        }
        routes.post("push/rules/:id/targets/:target/test") { request, context in
            let (admin, id, target) = (try context.admin(), try context.id("id"), try context.id("target"))
            let form = try await Self.form(request, context)
            do {
                let sent = try await push.testSend(admin, ruleId: id, targetId: target, user: form["oaUserID"] ?? "")
                return Self.seeOther("/console/push/messages/\(sent.message.id ?? 0)?testSent=1")
            } catch {
                let language = ConsoleLanguage(request: request)
                let rowError = APIError.from(error).map { ConsoleStrings.text($0.message, language) }
                return try await rejected(error, request, context, [:], template: "push-rule", labels: "push_field_") { _ in
                    try await pushRulePage(admin, id, request, test: (target, form["oaUserID"] ?? "", rowError))
                }
            }
        }
    }

    private func savePushTarget(_ request: Request, _ context: AppRequestContext, targetId: Int64?) async throws -> Response {
        let (admin, id) = (try context.admin(), try context.id("id"))
        let form = try await Self.form(request, context)
        do {
            let pair = (form["target"] ?? "").split(separator: ":").map { Int64($0) }
            guard pair.count == 2, let enterpriseId = pair[0], let appId = pair[1] else {
                throw APIError.invalid("target", "choose an enterprise and app")
            }
            let input = PushConsoleService.TargetInput(enterpriseId: enterpriseId, appId: appId, type: form["type"] ?? "",
                                                       quickApproval: form["quickApproval"] == "on")
            _ = try await push.saveTarget(admin, ruleId: id, targetId: targetId, input)
            return Self.seeOther("/console/push/rules/\(id)?targetSaved=1")
        } catch {
            return try await rejected(error, request, context, form.values, template: "push-rule", labels: "push_field_") { entered in
                try await pushRulePage(admin, id, request, targetForm: entered, editing: targetId)
            }
        }
    }

    /// The rule, its targets (each with edit, delete and a test send), and the target form: empty for a new target,
    /// `?target=<id>` fills it with that target, a refused post with what was entered.
    private func pushRulePage(_ admin: AdminIdentity, _ id: Int64, _ request: Request, targetForm: [String: String]? = nil,
                              editing: Int64? = nil, test: (target: Int64, user: String, error: String?)? = nil) async throws -> PageValues
    {
        let t = strings(request)
        let detail = try await push.rule(admin, id: id)
        let modules = try await push.modules(admin)
        let query = request.uri.queryParameters
        let editing = editing ?? query.get("target").flatMap { Int64($0) }.flatMap { target in
            detail.targets.contains { $0.record.id == target } ? target : nil
        }
        var form = targetForm ?? ["type": PushMessageType.text.rawValue]
        if targetForm == nil, let editing, let target = detail.targets.first(where: { $0.record.id == editing }) {
            form = ["target": "\(target.record.enterpriseId):\(target.record.appId)", "type": target.record.type,
                    "quickApproval": target.record.quickApproval ? "on" : ""]
        }
        let targets = detail.targets.map { target -> PageValues in
            let record = target.record
            let targetId = record.id ?? 0
            var row: PageValues = [
                "id": targetId, "enterpriseName": target.enterprise.name, "enterpriseHref": "/console/enterprises/\(record.enterpriseId)",
                "appName": target.app.name.isEmpty ? target.app.appID : target.app.name, "appID": target.app.appID,
                "appHref": "/console/apps/\(record.appId)", "type": record.type, "typeLabel": t["push_type_" + record.type] ?? record.type,
                "quickApproval": record.quickApproval, "editHref": "/console/push/rules/\(id)?target=\(targetId)#target-form",
                "editing": targetId == editing, "testAction": "/console/push/rules/\(id)/targets/\(targetId)/test",
                "deleteAction": "/console/push/rules/\(id)/targets/\(targetId)/delete", "testUser": "",
            ]
            if let test, test.target == targetId {
                row["testUser"] = test.user
                row["testError"] = test.error ?? false
            }
            return row
        }
        let pairs = try await push.appChoices(admin)
        let appOptions = Self.options(pairs.map { pair in
            ("\(pair.enterprise.id ?? 0):\(pair.app.id ?? 0)",
             "\(pair.enterprise.name) / \(pair.app.name.isEmpty ? pair.app.appID : pair.app.name) (\(pair.app.appID))")
        }, selected: form["target"] ?? "")
        let types = Self.options(PushMessageType.allCases.map { ($0.rawValue, t["push_type_" + $0.rawValue] ?? $0.rawValue) },
                                 selected: form["type"] ?? "")
        var values: PageValues = [
            "rule": pushRuleRow(detail, modules: modules, t), "targets": targets, "hasTargets": !targets.isEmpty, "tab": ["rules": true],
            "targetForm": ["action": editing.map { "/console/push/rules/\(id)/targets/\($0)" } ?? "/console/push/rules/\(id)/targets",
                           "editing": editing != nil, "apps": appOptions, "hasApps": !pairs.isEmpty, "types": types,
                           "quickApprovalChecked": form["quickApproval"] == "on",
                           "cancelHref": "/console/push/rules/\(id)"] as PageValues,
        ]
        if query.get("targetSaved") != nil { values["notice"] = t["push_notice_target_saved"] }
        if query.get("targetDeleted") != nil { values["notice"] = t["push_notice_target_deleted"] }
        return values
    }
}

extension ConsoleController {
    /// The message push pages' service, over the admin service's database.
    var push: PushConsoleService { PushConsoleService(database: service.database, delivery: pushDelivery) }
}
