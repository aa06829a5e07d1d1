import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 审批中心 (issue #18) on the console: a module's todo channel (card, card and Approval Center, Approval Center only)
/// with the OA's pages, its definition per app, the last reconciliation with a run on demand, and dead pushes sent
/// again. The message page shows a todo's instances (`ConsoleController+PushMessages.swift`).
extension ConsoleController {
    func addApprovalCenterRoutes(to routes: RouteCollection<AppRequestContext>, _ sync: ApprovalCenterSync) {
        routes.get("push/modules/:id/approval-center") { request, context in
            let admin = try context.admin()
            let module = try await push.module(admin, id: context.id("id"))
            return show("push-approval-center", try await approvalCenterPage(admin, module, Self.approvalForm(module), request), request, context)
        }
        routes.post("push/modules/:id/approval-center") { request, context in
            let admin = try context.admin()
            let module = try await push.module(admin, id: context.id("id"))
            let form = try await Self.form(request, context)
            let id = module.id ?? 0
            do {
                let channel = try Self.todoChannel(form["channel"])
                _ = try await service.database.approvalCenter.setApprovalCenter(
                    tenantId: admin.tenantId, moduleId: id,
                    ApprovalCenterSetting(channel: channel, pcURL: form["pcURL"]?.nilIfEmpty, mobileURL: form["mobileURL"]?.nilIfEmpty),
                    by: admin.actor, at: Date())
                sync.wake()
                return Self.seeOther("/console/push/modules/\(id)/approval-center?saved=1")
            } catch {
                return try await rejected(error, request, context, form.values, template: "push-approval-center", labels: "approval_field_") {
                    try await approvalCenterPage(admin, module, $0, request)
                }
            }
        }
        routes.post("push/approval-center/check") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            _ = await sync.check.run(tenantId: admin.tenantId)
            sync.wake()
            return Self.seeOther(Self.approvalBack(form["module"], notice: "checked"))
        }
        routes.post("push/approval-center/resend") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            let count = try await service.database.approvalCenter.resendApprovalDeadLetters(tenantId: admin.tenantId, by: admin.actor, at: Date())
            sync.wake()
            return Self.seeOther(Self.approvalBack(form["module"], notice: "resent") + "&count=\(count)")
        }
    }

    /// Where the check and resend buttons lead back to: the module's page they were pressed on.
    static func approvalBack(_ module: String?, notice: String) -> String {
        guard let id = module.flatMap({ Int64($0) }) else { return "/console/push/modules?\(notice)=1" }
        return "/console/push/modules/\(id)/approval-center?\(notice)=1"
    }

    static func todoChannel(_ text: String?) throws -> TodoChannel {
        guard let channel = text.flatMap(TodoChannel.init(rawValue:)) else {
            throw APIError.invalid("channel", "must be card, cardAndApprovalCenter or approvalCenter")
        }
        return channel
    }

    static func approvalForm(_ module: OAModuleRecord) -> [String: String] {
        ["channel": module.todoChannel, "pcURL": module.approvalPCURL ?? "", "mobileURL": module.approvalMobileURL ?? ""]
    }

    private func approvalCenterPage(_ admin: AdminIdentity, _ module: OAModuleRecord, _ form: [String: String], _ request: Request) async throws
        -> PageValues
    {
        let t = strings(request)
        let id = module.id ?? 0
        let chosen = form["channel"] ?? TodoChannel.card.rawValue
        let channels: [PageValues] = TodoChannel.allCases.map { channel in
            ["value": channel.rawValue, "label": t["approval_channel_" + channel.rawValue] ?? channel.rawValue,
             "help": t["approval_channel_help_" + channel.rawValue] ?? "", "checked": channel.rawValue == chosen]
        }
        let definitions = try await service.database.approvalCenter.approvalDefinitions(tenantId: admin.tenantId, source: module.key)
        let rows: [PageValues] = definitions.map { detail in
            var row: PageValues = ["appName": detail.app.name.isEmpty ? detail.app.appID : detail.app.name, "appHref": "/console/apps/\(detail.app.id ?? 0)",
                                   "state": detail.definition.state, "stateLabel": t["approval_state_" + detail.definition.state] ?? detail.definition.state]
            row["approvalCode"] = detail.definition.approvalCode ?? false
            row["lastError"] = detail.definition.lastError ?? false
            return row
        }
        var values: PageValues = ["module": ["id": id, "key": module.key, "name": module.name], "form": form, "channels": channels,
                                  "definitions": rows, "action": "/console/push/modules/\(id)/approval-center", "tab": ["modules": true]]
        if let report = try await service.database.approvalCenter.lastApprovalCheck(tenantId: admin.tenantId) {
            var shown: PageValues = ["finishedAt": ConsoleFormat.dateTime(report.finishedAt), "checked": report.checked, "drifted": report.drifted,
                                     "errors": report.errors]
            shown["driftedIds"] = report.driftedIds.isEmpty ? false : report.driftedIds.joined(separator: t["list_separator"] ?? ", ")
            values["check"] = shown
        } else {
            values["check"] = false
        }
        let query = request.uri.queryParameters
        if query.get("checked") != nil { values["notice"] = t["approval_notice_checked"] }
        if query.get("resent") != nil {
            values["notice"] = (t["approval_notice_resent"] ?? "").replacingOccurrences(of: "{count}", with: query.get("count") ?? "0")
        }
        return values
    }

    /// The message page's Approval Center rows: each app's instance with its tasks.
    static func approvalInstanceRows(_ instances: [ApprovalInstanceDetail], todo: TodoRecord?, _ t: Strings) -> [PageValues] {
        instances.map { detail in
            let view = ApprovalInstanceView(detail, todo: todo)
            var row: PageValues = [
                "appName": detail.app.name.isEmpty ? detail.app.appID : detail.app.name, "appHref": "/console/apps/\(detail.app.id ?? 0)",
                "instanceId": detail.instance.instanceId, "state": detail.instance.state,
                "stateLabel": t["approval_state_" + detail.instance.state] ?? detail.instance.state, "attempts": detail.instance.attempts,
                "tasks": view.tasks.map { ["oaUserID": $0.oaUserID, "status": t["approval_status_" + $0.status] ?? $0.status] },
            ]
            row["status"] = detail.instance.feishuStatus.map { t["approval_status_" + $0] ?? $0 } ?? false
            row["lastError"] = detail.instance.lastError ?? false
            return row
        }
    }
}
