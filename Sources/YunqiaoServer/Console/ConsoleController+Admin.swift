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
                return show("audit", try await auditPage(admin, form, before: query.get("before"), language: ConsoleLanguage(request: request)), request, context)
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
                let created = try await service.createToken(admin, TokenInput(name: form["name"] ?? "", scope: form["scope"]?.nilIfEmpty,
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

    /// An entry in the reader's words: the action (`app.update` → 修改应用), the kind of target, the names of the fields
    /// and the words `true`, `false`, `none`, `set`; the raw action stays in `data-action`. Values are what was stored.
    static func auditRow(_ entry: AuditView, _ t: Strings) -> TemplateValue {
        func words(_ prefix: String, _ key: String) -> String { t[prefix + key.replacingOccurrences(of: ".", with: "_")] ?? key }
        func fields(_ values: [String: String]?) -> [[String: String]] {
            (values ?? [:]).sorted { $0.key < $1.key }.map { ["key": words("audit_key_", $0.key), "value": auditValue($0.key, $0.value, t)] }
        }
        // `oaModule 2 daily-report`, `OA user 10008 何欣芳`: the kind is the first word (two for `OA user`).
        var target = entry.target
        for kind in auditTargetKinds where target == kind || target.hasPrefix(kind + " ") {
            target = words("audit_target_", kind.replacingOccurrences(of: " ", with: "_")) + target.dropFirst(kind.count)
            break
        }
        return TemplateValue(entry, ["actionLabel": words("audit_action_", entry.action), "target": target,
                                     "before": fields(entry.before), "after": fields(entry.after)])
    }

    /// A stored value in the reader's words where it is one of the bridge's own words (`true`, `merge`, `card`), a list of
    /// binding fields (`employeeNo > mobile`) or a rule's targets (`企业 / 应用 (cli_…): todo + quick approval`); names
    /// and addresses stay as stored.
    static func auditValue(_ key: String, _ value: String, _ t: Strings) -> String {
        func word(_ word: String) -> String { t["audit_value_" + word.replacingOccurrences(of: " ", with: "_")] ?? word }
        // A value of this field (`method` `card` → 用户卡片), then one of any field (`true`, `none`, `set`).
        if let words = t["audit_value_\(key)_\(value)"] ?? (["true", "false", "none", "set"].contains(value) ? t["audit_value_" + value] : nil) {
            return words
        }
        switch key {
        case "fields": return value.components(separatedBy: " > ").map { t["audit_key_" + $0] ?? $0 }.joined(separator: " > ")
        case "targets":
            return value.components(separatedBy: "; ").map { target in
                guard let colon = target.range(of: ": ", options: .backwards) else { return target }
                let kinds = target[colon.upperBound...].components(separatedBy: " + ").map(word)
                return target[..<colon.upperBound] + kinds.joined(separator: " + ")
            }.joined(separator: "; ")
        default: return value
        }
    }

    /// The kinds of target an audit entry names first (one or two words).
    static let auditTargetKinds = ["OIDC client", "CAS service", "OA user", "homepageApp", "oaConnector", "oaDirectory", "oaModule", "oaKey", "pushRule", "enterprise",
                                   "externalDomain", "imageHosts", "directory", "delivery", "message", "binding", "tenant", "token", "admin",
                                   "app"]

    /// One page of entries, newest first; `before` (an entry id) pages back.
    private func auditPage(_ admin: AdminIdentity, _ form: [String: String], before: String?, language: ConsoleLanguage) async throws -> PageValues {
        var until = try AdminAPIController.date(form["until"], "until")
        if let day = until, form["until"]?.count == 10 { until = day.addingTimeInterval(86_400) }  // a day includes itself
        let filter = AuditFilter(actor: form["actor"]?.nilIfEmpty, action: form["action"]?.nilIfEmpty, text: form["q"]?.nilIfEmpty,
                                 since: try AdminAPIController.date(form["since"], "since"), until: until, limit: Self.auditPageSize,
                                 beforeId: try AdminAPIController.int(before, "before").map(Int64.init))
        let entries = try await service.auditLog(admin, filter: filter)
        let t = ConsoleStrings.table(for: language)
        var values: PageValues = ["form": form, "entries": entries.map { Self.auditRow($0, t) },
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
