import Foundation
import Hummingbird
import YunqiaoServices
import YunqiaoCore

/// The audit log and the admin API tokens.
extension ConsoleController {
    static let auditPageSize = 100

    func addAdminRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("audit") { request, context in
            let admin = try context.admin()
            let query = request.uri.queryParameters
            let form = Dictionary(uniqueKeysWithValues: ["actor", "action", "q", "since", "until"].map { ($0, query.get($0) ?? "") })
            do {
                return show("audit", try await auditPage(admin, form, before: query.get("before")), request, context)
            } catch {
                return try await refused(error, request, context, form, template: "audit", page: { ["form": $0, "filtered": true] })
            }
        }
        routes.get("tokens") { request, context in
            show("tokens", try await tokensPage(context.admin(), newToken: nil, strings(request)), request, context)
        }
        routes.post("tokens") { request, context in
            let admin = try context.admin().creatingTokens()
            let form = try await Self.form(request, context)
            do {
                let days = form["expiresInDays"].flatMap { $0.isEmpty ? nil : $0 }
                guard days.map({ Int($0) != nil }) ?? true else { throw APIError.invalid("expiresInDays", "must be a whole number of days") }
                let created = try await service.createToken(admin, TokenInput(name: form["name"] ?? "", scope: form["scope"],
                                                                              expiresInDays: days.flatMap { Int($0) },
                                                                              superAdmin: form["superAdmin"] == "on"))
                return show("tokens", try await tokensPage(admin, newToken: created, strings(request)), request, context, status: .created)
            } catch {
                return try await refused(error, request, context, form.values, template: "tokens", page: { entered in
                    var values = try await tokensPage(admin, newToken: nil, strings(request), entered: entered)
                    values["form"] = entered
                    return values
                })
            }
        }
        routes.post("tokens/:id/revoke") { request, context in
            try await service.revokeToken(context.admin(), id: context.id("id"))
            return Self.seeOther("/console/tokens?revoked=1")
        }
    }

    /// One page of entries, newest first; `before` (an entry id) pages back.
    private func auditPage(_ admin: AdminIdentity, _ form: [String: String], before: String?) async throws -> PageValues {
        var until = try AdminAPIController.date(form["until"], "until")
        if let day = until, form["until"]?.count == 10 { until = day.addingTimeInterval(86_400) }  // a day includes itself
        let filter = AuditFilter(actor: form["actor"]?.nilIfEmpty, action: form["action"]?.nilIfEmpty, text: form["q"]?.nilIfEmpty,
                                 since: try AdminAPIController.date(form["since"], "since"), until: until, limit: Self.auditPageSize,
                                 beforeId: try AdminAPIController.int(before, "before").map(Int64.init))
        let entries = try await service.auditLog(admin, filter: filter)
        var values: PageValues = ["form": form, "entries": entries.map { TemplateValue($0) },
                                  "filtered": form.values.contains { !$0.isEmpty } || before != nil]
        if entries.count == Self.auditPageSize, let last = entries.last {
            values["olderHref"] = "/console/audit" + ConsoleFormat.query(["actor": form["actor"], "action": form["action"], "q": form["q"],
                                                                          "since": form["since"], "until": form["until"],
                                                                          "before": "\(last.id)"])
        }
        return values
    }

    /// The tokens; `newToken` (just created) is the only time a token's value is shown. `entered`: the refused form's
    /// values, to keep its choices.
    private func tokensPage(_ admin: AdminIdentity, newToken: TokenView?, _ t: Strings, entered: [String: String] = [:]) async throws
        -> PageValues
    {
        let now = Date()
        let tokens = try await service.tokens(admin).map { token in
            TemplateValue(token, ["readOnly": token.scope == APITokenScope.readOnly.rawValue,
                                  "expired": token.expiresAt.map { $0 <= now } ?? false])
        }
        let scope = entered["scope"] ?? APITokenScope.full.rawValue
        let scopes: [[String: Any]] = [APITokenScope.full, .readOnly].map { option in
            ["value": option.rawValue, "label": t["token_scope_\(option.rawValue)"] ?? option.rawValue, "selected": option.rawValue == scope]
        }
        let days = entered["expiresInDays"] ?? ""
        let expiries: [[String: Any]] = ([""] + ["30", "90", "365"]).map { value in
            let label = value.isEmpty ? t["token_never"] ?? "" : (t["token_days"] ?? "{}").replacingOccurrences(of: "{}", with: value)
            return ["value": value, "label": label, "selected": value == days]
        }
        var values: PageValues = ["tokens": tokens, "form": [String: String](), "scopes": scopes, "expiries": expiries]
        values["newToken"] = newToken.map { TemplateValue($0) }
        return values
    }
}
