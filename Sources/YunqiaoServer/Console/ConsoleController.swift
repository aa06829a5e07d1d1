import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The admin console's pages under `/console`: server-rendered HTML over the same ``AdminService`` as the API.
/// Forms follow Post/Redirect/Get: a change answers 303; refused input shows the form again (400, or 409 for a clash)
/// with the entered values (never a secret) and the message next to its field.
struct ConsoleController {
    let service: AdminService
    let renderer: ConsoleRenderer
    /// The OA pull connector's page (`/console/oa/connector`), when the app has the connector.
    var oaConnector: OAConnectorAdmin? = nil
    /// The message push delivery worker, woken after a test send or a resend (without it the worker's poll finds them).
    var pushDelivery: PushDelivery? = nil
    /// Mode 3 (通讯录管理, OA → 飞书), when the app runs its background applies.
    var oaToFeishu: OAToFeishuAdmin? = nil
    /// 单点登录: the OIDC provider's OA clients (also CAS services).
    var sso: OIDCClientAdmin? = nil
    /// 扫码登录's settings.
    var qrLogin: QRLogin? = nil
    /// 审批中心: the worker woken after a change, with its reconciliation.
    var approvalCenter: ApprovalCenterSync? = nil
    /// The long connections (their state on the app page; woken when an app's channel changes).
    var longConnections: LongConnections? = nil

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        addSettingsRoutes(to: routes)
        addEnterpriseRoutes(to: routes)
        addAppRoutes(to: routes)
        addHomepageAppRoutes(to: routes)
        addDirectoryRoutes(to: routes)
        addEventRoutes(to: routes)
        addAdminRoutes(to: routes)
        addOADirectoryRoutes(to: routes)
        addOASafetyRoutes(to: routes)
        addBindingRoutes(to: routes)
        addBindingSheetRoutes(to: routes)
        addPushRoutes(to: routes)
        addTenantRoutes(to: routes)
        if let oaConnector { addOAConnectorRoutes(to: routes, oaConnector) }
        if let sso { addSSORoutes(to: routes, sso) }
        if let qrLogin { addQRLoginRoutes(to: routes, qrLogin) }
        if let approvalCenter { addApprovalCenterRoutes(to: routes, approvalCenter) }
        if let oaToFeishu {
            addOAToFeishuRoutes(to: routes, oaToFeishu)
            addSyncScheduleRoutes(to: routes, oaToFeishu)
        }
        // Pages answered to a post (a check's result, a refused sync) show the post's path: a reload or the language
        // switch there goes back to the page it belongs to, keeping the query (`?lang=`).
        let pages = [("settings/check-network", "settings"), ("apps/:id/test-credentials", "apps/:id"),
                     ("enterprises/:id/sync", "enterprises/:id")]
        for (path, page) in pages {
            routes.get(RouterPath(path)) { request, context in
                let target = page.contains(":id") ? page.replacingOccurrences(of: ":id", with: "\(try context.id("id"))") : page
                return Self.seeOther("/console/" + target + (request.uri.query.map { "?" + $0 } ?? ""))
            }
        }
        return routes
    }

    /// The error page for a browser (nil for API and non-HTML requests, which get JSON).
    static func errorPage(_ error: APIError, request: Request, context: AppRequestContext, renderer: ConsoleRenderer) -> Response? {
        guard !request.uri.path.hasPrefix("/api/"), request.headers[.accept]?.contains("text/html") == true else { return nil }
        let language = ConsoleLanguage(request: request)
        return renderer.page("error", ["status": Int(error.status.code), "message": ConsoleStrings.text(error.message, language)],
                             context: context, request: request, status: error.status)
    }
}

/// What a page hands its template.
typealias PageValues = [String: Any]

/// The words of the request's language.
typealias Strings = [String: String]

/// The values of an edit form: of the item, with the entered (or stored) fields.
typealias EditPage<Item> = @Sendable (AdminIdentity, Item, [String: String], Strings) async throws -> PageValues

extension ConsoleController {
    func strings(_ request: Request) -> Strings { ConsoleStrings.table(for: ConsoleLanguage(request: request)) }

    /// A page, with the notice a redirect asked for (`?saved=1`, `?deleted=1`, `?revoked=1`) and the current menu.
    func show(_ template: String, _ values: PageValues, _ request: Request, _ context: AppRequestContext,
              status: HTTPResponse.Status = .ok) -> Response
    {
        var values = values
        let query = request.uri.queryParameters
        if let notice = ["saved", "deleted", "revoked"].first(where: { query.get($0) != nil }) {
            values["notice"] = strings(request)["notice_" + notice]
        }
        values["nav"] = [Self.section(of: request.uri.path): true]
        return renderer.page(template, values, context: context, request: request, status: status)
    }

    /// The menu entry a console path belongs to.
    static func section(of path: String) -> String {
        let parts = path.split(separator: "/")
        guard parts.count > 1 else { return "home" }
        switch parts[1] {
        case "apps": return "enterprises"
        case "homepage-apps": return "homepageApps"
        case "qr-login": return "sso"
        default: return String(parts[1])
        }
    }

    static func seeOther(_ path: String) -> Response { Response.redirect(to: path, type: .normal) }

    /// The fields of a form post (the CSRF middleware has already read the body; it stays readable).
    static func form(_ request: Request, _ context: AppRequestContext) async throws -> FormFields {
        var request = request
        return FormFields(String(buffer: try await request.collectBody(within: context.maxUploadSize)))
    }

    /// Fields never shown again after a refused post.
    static let unechoed: Set<String> = ["_csrf", "appSecret", "password"]

    /// Runs a form post: `action` changes something and answers where to go (303). Refused input (400) or a clash
    /// (409) shows `template` again with the page's values for the entered fields, the message next to its field and
    /// a summary on top; other errors go to the error page.
    func submit(_ request: Request, _ context: AppRequestContext, _ form: FormFields, template: String,
                page: ([String: String]) async throws -> PageValues, action: () async throws -> String) async throws -> Response
    {
        do {
            return Self.seeOther(try await action())
        } catch {
            return try await refused(error, request, context, form.values, template: template, page: page)
        }
    }

    /// `template` again after `error`, when the error is the admin's to fix (400, 409); otherwise rethrows it.
    func refused(_ error: any Error, _ request: Request, _ context: AppRequestContext, _ entered: [String: String], template: String,
                 page: ([String: String]) async throws -> PageValues) async throws -> Response
    {
        guard let refusal = APIError.from(error), [.badRequest, .conflict].contains(refusal.status) else { throw error }
        var values = try await page(entered.filter { !Self.unechoed.contains($0.key) })
        let language = ConsoleLanguage(request: request)
        let message = ConsoleStrings.text(refusal.message, language)
        if let field = refusal.field {
            let t = ConsoleStrings.table(for: language)
            values["formError"] = (t["field_" + field] ?? field) + (t["label_separator"] ?? ": ") + message
            values["err"] = [field: message]
        } else {
            values["formError"] = message
        }
        return show(template, values, request, context, status: refusal.status)
    }

    /// `<option>`s: value, label and whether it is selected.
    static func options(_ choices: [(value: String, label: String)], selected: String?) -> [PageValues] {
        choices.map { ["value": $0.value, "label": $0.label, "selected": $0.value == selected] }
    }

    /// GET `<path>/edit`, the form filled with the stored values (`fields`), and POST `<path>/edit`, which runs `save` and
    /// goes where it answers; refused input shows the form again.
    func addEditRoutes<Item: Sendable>(to routes: RouteCollection<AppRequestContext>, _ path: String, template: String,
                                       load: @escaping @Sendable (AdminIdentity, Int64) async throws -> Item,
                                       fields: @escaping @Sendable (Item) -> [String: String],
                                       page: @escaping EditPage<Item>,
                                       save: @escaping @Sendable (AdminIdentity, Item, FormFields) async throws -> String)
    {
        routes.get("\(path)/edit") { request, context in
            let admin = try context.admin()
            let item = try await load(admin, context.id("id"))
            return show(template, try await page(admin, item, fields(item), strings(request)), request, context)
        }
        routes.post("\(path)/edit") { request, context in
            let admin = try context.admin()
            let item = try await load(admin, context.id("id"))
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: template,
                                    page: { try await page(admin, item, $0, strings(request)) }) {
                try await save(admin, item, form)
            }
        }
    }

    /// GET `<path>/delete`, a confirmation page (`page`), and POST `<path>/delete`, which runs `delete` and goes where it
    /// answers; a refusal (the thing is still in use) shows the confirmation page again with the reason.
    func addDeleteRoutes(to routes: RouteCollection<AppRequestContext>, _ path: String,
                         page: @escaping @Sendable (AdminIdentity, Int64, Strings) async throws -> PageValues,
                         delete: @escaping @Sendable (AdminIdentity, Int64) async throws -> String)
    {
        routes.get("\(path)/delete") { request, context in
            show("confirm-delete", try await page(context.admin(), context.id("id"), strings(request)), request, context)
        }
        routes.post("\(path)/delete") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let values = try await page(admin, id, strings(request))
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "confirm-delete", page: { _ in values }) {
                try await delete(admin, id)
            }
        }
    }

    /// The confirmation page before deleting something (`confirm-delete` posts to `action`). `blockers`: what still uses
    /// it, by kind (a heading key and links: `name`, `href`) — while there is any, the page names and links them instead
    /// of offering the delete button, and a refused delete shows them again.
    func confirmDelete(kind: String, name: String, action: String, back: String, _ t: Strings,
                       blockers: [(heading: String, items: [PageValues])] = []) -> PageValues
    {
        let groups = blockers.filter { !$0.items.isEmpty }.map { group -> PageValues in
            ["heading": t[group.heading] ?? group.heading, "items": group.items, "kind": group.heading]
        }
        return ["confirm": ["kind": t["kind_" + kind] ?? kind, "name": name, "note": t["delete_note_" + kind] ?? "", "action": action,
                            "back": back, "blockers": groups, "blocked": !groups.isEmpty]]
    }

    /// The push rules with a target in this enterprise (or on this app), as links for ``confirmDelete(kind:name:action:back:_:blockers:)``.
    func pushRulesUsing(_ admin: AdminIdentity, enterpriseId: Int64? = nil, appId: Int64? = nil) async throws -> [PageValues] {
        try await push.rules(admin).filter { detail in
            detail.targets.contains { ($0.record.enterpriseId == enterpriseId || enterpriseId == nil) && ($0.record.appId == appId || appId == nil) }
        }.map { detail in
            ["name": detail.rule.name, "href": "/console/push/rules/\(detail.rule.id ?? 0)", "id": "rule-\(detail.rule.id ?? 0)"]
        }
    }

    // MARK: rows shared by several pages

    func enterpriseRow(_ enterprise: EnterpriseView, _ t: Strings, lastRun: SyncRunView? = nil) -> TemplateValue {
        var extra: PageValues = ["href": "/console/enterprises/\(enterprise.id)",
                                 "brandLabel": t["brand_" + enterprise.brand] ?? enterprise.brand]
        extra["lastRun"] = lastRun.map { runRow($0, t) }
        return TemplateValue(enterprise, extra)
    }

    func runRow(_ run: SyncRunView, _ t: Strings) -> TemplateValue {
        let milliseconds = run.report?.durationMs ?? run.finishedAt.map { Int($0.timeIntervalSince(run.startedAt) * 1000) }
        var extra: PageValues = ["href": "/console/enterprises/\(run.enterpriseId)/sync-runs/\(run.id)",
                                 "statusLabel": t["status_" + run.status] ?? run.status, "kindLabel": t["run_kind_" + run.kind] ?? run.kind,
                                 "error": run.error.map { ConsoleStrings.note($0, in: t) } ?? false]
        extra["duration"] = milliseconds.map { ConsoleFormat.duration(milliseconds: $0, t) }
        return TemplateValue(run, extra)
    }

    /// A check's steps with their names, explanations and status in words.
    func checkRow(_ result: CheckResult, _ t: Strings) -> TemplateValue {
        TemplateValue(result, ["steps": result.steps.map { step in
            TemplateValue(step, ["label": t["step_" + step.name] ?? step.name, "help": t["step_help_" + step.name] ?? "",
                                 "statusLabel": t["status_" + step.status] ?? step.status,
                                 "message": ConsoleStrings.text(step.message, in: t)])
        }])
    }
}
