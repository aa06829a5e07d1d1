import Foundation
import Hummingbird
import YunqiaoServices
import YunqiaoCore

/// OA 连接器 (`/console/oa/connector`, issue #6 way 3): the pull connector's settings (the OA's base URL, the secret,
/// the schedule, how OA logins are checked), a check of the OA step by step, "pull now" and the run history.
extension ConsoleController {
    static let oaConnectorPath = "/console/oa/connector"

    func addOAConnectorRoutes(to routes: RouteCollection<AppRequestContext>, _ connector: OAConnectorAdmin) {
        routes.get("oa/connector") { request, context in
            let admin = try context.admin()
            let view = try await connector.view(admin)
            var values = try await oaConnectorPage(connector, admin, Self.oaConnectorFields(view), strings(request))
            let query = request.uri.queryParameters
            if let run = query.get("run").flatMap({ Int64($0) }) {
                let t = strings(request)
                let key = query.get("started") != nil ? "oac_notice_started" : "oac_notice_already"
                values["notice"] = (t[key] ?? key).replacingOccurrences(of: "{}", with: "#\(run)")
                values["refresh"] = view.running
            }
            return show("oa-connector", values, request, context)
        }
        routes.post("oa/connector") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                _ = try await connector.save(admin, try Self.oaConnectorInput(form))
                return Self.seeOther(Self.oaConnectorPath + "?saved=1")
            } catch {
                return try await oaConnectorRefused(error, request, context, form.values) { entered in
                    try await oaConnectorPage(connector, admin, entered, strings(request))
                }
            }
        }
        routes.post("oa/connector/check") { request, context in
            let (admin, t) = (try context.admin(), strings(request))
            let form = try await Self.form(request, context)
            let stored = Self.oaConnectorFields(try await connector.view(admin))
            do {
                var values = try await oaConnectorPage(connector, admin, stored, t)
                values["check"] = oaConnectorCheckRow(try await connector.check(admin), t)
                return show("oa-connector", values, request, context)
            } catch {
                return try await oaConnectorRefused(error, request, context, form.values) { _ in
                    try await oaConnectorPage(connector, admin, stored, t)
                }
            }
        }
        routes.post("oa/connector/run") { request, context in
            let (admin, t) = (try context.admin(), strings(request))
            let form = try await Self.form(request, context)
            do {
                let (run, started) = try await connector.runNow(admin)
                return Self.seeOther(Self.oaConnectorPath + "?run=\(run.id)" + (started ? "&started=1" : ""))
            } catch {
                let stored = Self.oaConnectorFields(try await connector.view(admin))
                return try await oaConnectorRefused(error, request, context, form.values) { _ in
                    try await oaConnectorPage(connector, admin, stored, t)
                }
            }
        }
        // The pages answered to a post show the post's path: a reload or the language switch goes back to the page.
        for path in ["oa/connector/check", "oa/connector/run"] {
            routes.get(RouterPath(path)) { request, _ in
                Self.seeOther(Self.oaConnectorPath + (request.uri.query.map { "?" + $0 } ?? ""))
            }
        }
    }

    /// The form's fields of a stored (or default) connector.
    static func oaConnectorFields(_ view: OAConnectorView) -> [String: String] {
        ["baseURL": view.baseURL ?? "", "enabled": view.enabled ? "true" : "false", "intervalMinutes": "\(view.intervalMinutes)",
         "loginCheck": view.loginCheck]
    }

    static func oaConnectorInput(_ form: FormFields) throws -> OAConnectorInput {
        let text = (form["intervalMinutes"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw APIError.invalid("intervalMinutes", "required") }
        guard let interval = Int(text) else { throw APIError.invalid("intervalMinutes", "must be an integer") }
        return OAConnectorInput(baseURL: form["baseURL"] ?? "", secret: form["secret"]?.trimmingCharacters(in: .whitespacesAndNewlines), enabled: form["enabled"] == "true",
                                intervalMinutes: interval, loginCheck: form["loginCheck"]?.nilIfEmpty)
    }

    /// The page's values: the form (entered or stored fields), the stored connector and the run history.
    func oaConnectorPage(_ connector: OAConnectorAdmin, _ admin: AdminIdentity, _ form: [String: String],
                         _ t: Strings) async throws -> PageValues
    {
        let view = try await connector.view(admin)
        let runs = try await connector.runs(admin, limit: 20)
        return [
            "form": form, "connector": TemplateValue(view), "configured": view.configured,
            "enabledOptions": Self.options([("true", t["oac_enabled_on"] ?? "on"), ("false", t["oac_enabled_off"] ?? "off")],
                                           selected: form["enabled"] ?? "false"),
            "loginCheckOptions": Self.options(OALoginCheck.allCases.map { ($0.rawValue, t["oac_login_" + $0.rawValue] ?? $0.rawValue) },
                                              selected: form["loginCheck"] ?? OALoginCheck.embedded.rawValue),
            "intervalMin": OAConnectorSettings.intervals.lowerBound, "intervalMax": OAConnectorSettings.intervals.upperBound,
            "runs": runs.map { oaConnectorRunRow($0, t) },
        ]
    }

    func oaConnectorRunRow(_ run: OAConnectorRunView, _ t: Strings) -> TemplateValue {
        var extra: PageValues = ["statusLabel": t["status_" + run.status] ?? run.status,
                                 "sourceLabel": t["oac_source_" + run.source] ?? run.source,
                                 "itemErrors": run.itemErrors.map { Self.itemError($0, t) }, "hasItemErrors": !run.itemErrors.isEmpty,
                                 "error": run.error.map { ConsoleStrings.note($0, in: t) } ?? false]
        extra["duration"] = run.durationMs.map { ConsoleFormat.duration(milliseconds: $0, t) }
        return TemplateValue(run, extra)
    }

    /// `users[5].email: 不是邮箱地址："x@"`: the place as the OA sent it, the problem in the reader's words.
    static func itemError(_ error: OAConnectorItemError, _ t: Strings) -> String {
        let place = error.list + (error.index.map { "[\($0)]" } ?? "") + (error.field.map { ".\($0)" } ?? "")
        return place + (t["label_separator"] ?? ": ") + ConsoleStrings.text(error.message, in: t)
    }

    /// A check's steps with their names, explanations and status in words.
    func oaConnectorCheckRow(_ result: CheckResult, _ t: Strings) -> TemplateValue {
        TemplateValue(result, ["steps": result.steps.map { step in
            TemplateValue(step, ["label": t["oac_step_" + step.name] ?? step.name, "help": t["oac_step_help_" + step.name] ?? "",
                                 "statusLabel": t["status_" + step.status] ?? step.status,
                                 "message": ConsoleStrings.text(step.message, in: t)])
        }])
    }

    /// The page again after refused input (400) or a state the admin must fix first (409), the message next to its
    /// field; the secret is never shown again. Other errors go to the error page.
    func oaConnectorRefused(_ error: any Error, _ request: Request, _ context: AppRequestContext, _ entered: [String: String],
                            page: ([String: String]) async throws -> PageValues) async throws -> Response
    {
        guard let refusal = APIError.from(error), [.badRequest, .conflict].contains(refusal.status) else { throw error }
        var values = try await page(entered.filter { !["_csrf", "secret"].contains($0.key) })
        let language = ConsoleLanguage(request: request)
        let t = ConsoleStrings.table(for: language)
        let message = ConsoleStrings.text(refusal.message, language)
        if let field = refusal.field {
            values["formError"] = (t["oac_field_" + field] ?? field) + (t["label_separator"] ?? ": ") + message
            values["err"] = [field: message]
        } else {
            values["formError"] = message
        }
        return show("oa-connector", values, request, context, status: refusal.status)
    }
}
