import Foundation
import Hummingbird
import HummingbirdCore
import YunqiaoCore
import YunqiaoServices

/// 用户绑定/解绑 (seed 4.2.4) of an enterprise: the auto-bind setting (also on the enterprise page: one setting, two
/// places), "auto-bind now", the conflict queue, the bindings with unbind, batch unbind, and the user card's
/// bind / unbind.
extension ConsoleController {
    static let bindingsPerPage = 50
    static let conflictsPerPage = 20
    static let cardSearchResults = 20

    func addBindingRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises/:id/bindings") { request, context in
            show("bindings", try await bindingsPage(context.admin(), context.id("id"), request), request, context)
        }
        routes.post("enterprises/:id/binding-settings") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            let back = form["back"] == "enterprise" ? "enterprise" : "bindings"
            do {
                _ = try await service.binding.setBindingSettings(admin, enterpriseId: id, try Self.bindingSettingsInput(form))
                return Self.seeOther(back == "enterprise" ? "/console/enterprises/\(id)?saved=1" : "/console/enterprises/\(id)/bindings?saved=1")
            } catch {
                let t = strings(request)
                if back == "enterprise" {
                    return try await rejected(error, request, context, form.values, template: "enterprise", labels: "bd_field_") { entered in
                        var values = try await enterprisePage(admin, id, t)
                        values["bindingSettings"] = bindingSettingsForm(entered, enterpriseId: id, back: back, t)
                        return values
                    }
                }
                return try await rejected(error, request, context, form.values, template: "bindings", labels: "bd_field_") { entered in
                    try await bindingsPage(admin, id, request, settingsEntered: entered)
                }
            }
        }
        routes.post("enterprises/:id/auto-bind") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await bindingAction(request, context, form, admin: admin, id: id) {
                let result = try await service.binding.autoBind(admin, enterpriseId: id)
                return "/console/enterprises/\(id)/bindings" + ConsoleFormat.query([
                    "auto": "1", "bound": "\(result.bound)", "conflicts": "\(result.conflicts)", "unmatched": "\(result.unmatched)",
                ])
            }
        }
        routes.post("enterprises/:id/bindings/bind") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await bindingAction(request, context, form, admin: admin, id: id) {
                let input = BindInput(oaUserID: form["oaUserID"] ?? "", unionID: form["unionID"] ?? "")
                _ = try await service.binding.bind(admin, enterpriseId: id, input)
                return Self.bindingBack(form, enterpriseId: id, notice: "bound")
            }
        }
        routes.post("enterprises/:id/bindings/unbind") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await bindingAction(request, context, form, admin: admin, id: id) {
                try await service.binding.unbind(admin, enterpriseId: id, oaUserID: form["oaUserID"] ?? "")
                return Self.bindingBack(form, enterpriseId: id, notice: "unbound")
            }
        }
        routes.post("enterprises/:id/binding-conflicts/dismiss") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await bindingAction(request, context, form, admin: admin, id: id) {
                try await service.binding.dismissBindingConflict(admin, enterpriseId: id, unionID: form["unionID"] ?? "")
                return "/console/enterprises/\(id)/bindings?dismissed=1#conflicts"
            }
        }
        routes.get("enterprises/:id/bindings/unbind-all") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            return show("bindings-unbind-all", try await unbindAllPage(admin, id, strings(request)), request, context)
        }
        routes.post("enterprises/:id/bindings/unbind-all") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "bindings-unbind-all",
                                    page: { _ in try await unbindAllPage(admin, id, strings(request)) }) {
                let count = try await service.binding.unbindAll(admin, enterpriseId: id, confirm: (form["confirm"] ?? "").trimmingCharacters(in: .whitespaces))
                return "/console/enterprises/\(id)/bindings?unboundAll=\(count)"
            }
        }
        addUnbindConfirmRoute(to: routes)
        routes.get("enterprises/:id/users/:user") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            return show("user", try await userCardPage(admin, id, context.pathComponent("user"), request), request, context)
        }
    }

    /// Runs a bind, unbind, dismiss or auto-bind post and goes where it answers (303); a refusal shows the page the
    /// form was on again (the user card or the bindings page) with the reason on top.
    private func bindingAction(_ request: Request, _ context: AppRequestContext, _ form: FormFields, admin: AdminIdentity, id: Int64,
                               action: () async throws -> String) async throws -> Response
    {
        do {
            return Self.seeOther(try await action())
        } catch {
            if form["back"] == "user", let unionID = form["unionID"]?.nilIfEmpty {
                return try await rejected(error, request, context, form.values, template: "user", labels: "bd_field_") { _ in
                    try await userCardPage(admin, id, unionID, request)
                }
            }
            return try await rejected(error, request, context, form.values, template: "bindings", labels: "bd_field_") { _ in
                try await bindingsPage(admin, id, request)
            }
        }
    }

    /// Where a bind or unbind goes back to: the user card it was made on, or the bindings page.
    private static func bindingBack(_ form: FormFields, enterpriseId: Int64, notice: String) -> String {
        if form["back"] == "user", let unionID = form["unionID"]?.nilIfEmpty {
            return "/console/enterprises/\(enterpriseId)/users/\(ConsoleFormat.component(unionID))?\(notice)=1"
        }
        if form["back"] == "oaUser", let oaID = form["oaUserID"]?.nilIfEmpty { return Self.oaUserHref(oaID) + "?\(notice)=1" }
        return "/console/enterprises/\(enterpriseId)/bindings?\(notice)=1"
    }

    /// Like ``refused(_:_:_:_:template:page:)``, with the field names of this area (`labels` + field) first.
    func rejected(_ error: any Error, _ request: Request, _ context: AppRequestContext, _ entered: [String: String], template: String,
                  labels: String, page: ([String: String]) async throws -> PageValues) async throws -> Response
    {
        guard let refusal = APIError.from(error), [.badRequest, .conflict].contains(refusal.status) else { throw error }
        var values = try await page(entered.filter { !Self.unechoed.contains($0.key) && !$0.key.lowercased().contains("password") })
        let language = ConsoleLanguage(request: request)
        let t = ConsoleStrings.table(for: language)
        let message = ConsoleStrings.text(refusal.message, language)
        if let field = refusal.field {
            values["formError"] = (t[labels + field] ?? t["field_" + field] ?? field) + (t["label_separator"] ?? ": ") + message
            values["err"] = [field: message]
        } else {
            values["formError"] = message
        }
        return show(template, values, request, context, status: refusal.status)
    }

    // MARK: settings (one setting, two places)

    /// The form's settings: the fields with a position, in that order; two fields at one position are refused.
    static func bindingSettingsInput(_ form: FormFields) throws -> BindingSettings {
        var ranked: [(rank: Int, field: BindingField)] = []
        for field in BindingField.allCases {
            guard let text = form["rank_" + field.rawValue]?.nilIfEmpty else { continue }
            guard let rank = Int(text), (1...BindingField.allCases.count).contains(rank) else {
                throw APIError.invalid("fields", "choose a position from 1 to \(BindingField.allCases.count)")
            }
            ranked.append((rank, field))
        }
        guard Set(ranked.map(\.rank)).count == ranked.count else { throw APIError.invalid("fields", "give each chosen field its own position") }
        return BindingSettings(autoBindEnabled: ["on", "true", "1"].contains(form["autoBindEnabled"] ?? ""),
                               fields: ranked.sorted { $0.rank < $1.rank }.map(\.field))
    }

    /// Stored settings as the form's fields.
    static func bindingSettingsFields(_ settings: BindingSettings) -> [String: String] {
        var fields = ["autoBindEnabled": settings.autoBindEnabled ? "on" : ""]
        for (index, field) in settings.fields.enumerated() { fields["rank_" + field.rawValue] = "\(index + 1)" }
        return fields
    }

    /// The settings form (`_binding-settings`) with `entered` values; `back` is the page it is on.
    func bindingSettingsForm(_ entered: [String: String], enterpriseId: Int64, back: String, _ t: Strings) -> PageValues {
        let positions = 1...BindingField.allCases.count
        let chosen = BindingField.allCases.filter { entered["rank_" + $0.rawValue]?.nilIfEmpty != nil }
        return [
            "action": "/console/enterprises/\(enterpriseId)/binding-settings", "back": back,
            "enabled": ["on", "true", "1"].contains(entered["autoBindEnabled"] ?? ""),
            "fields": BindingField.allCases.map { field -> PageValues in
                let selected = entered["rank_" + field.rawValue] ?? ""
                return ["name": field.rawValue, "label": t["bd_match_" + field.rawValue] ?? field.rawValue,
                        "help": t["bd_match_help_" + field.rawValue] ?? "",
                        "options": Self.options([("", t["bd_rank_off"] ?? "—")] + positions.map { ("\($0)", "\($0)") }, selected: selected)]
            },
            "usesContact": chosen.contains(.mobile) || chosen.contains(.email),
            "order": chosen.sorted { Int(entered["rank_" + $0.rawValue] ?? "") ?? 0 < Int(entered["rank_" + $1.rawValue] ?? "") ?? 0 }
                .map { t["bd_match_" + $0.rawValue] ?? $0.rawValue }.joined(separator: " > "),
        ]
    }

    /// The enterprise page's part of the setting: the same form, going back to the enterprise page.
    func enterpriseBindingValues(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let settings = try await service.binding.bindingSettings(admin, enterpriseId: id)
        return ["bindingSettings": bindingSettingsForm(Self.bindingSettingsFields(settings), enterpriseId: id, back: "enterprise", t),
                "bindingsHref": "/console/enterprises/\(id)/bindings"]
    }

    // MARK: pages

    /// Settings, auto-bind now, the conflict queue and the bindings (searched, paged).
    private func bindingsPage(_ admin: AdminIdentity, _ id: Int64, _ request: Request, settingsEntered: [String: String]? = nil) async throws
        -> PageValues
    {
        let t = strings(request)
        let query = request.uri.queryParameters
        let enterprise = try await service.enterprise(admin, id: id)
        let settings = try await service.binding.bindingSettings(admin, enterpriseId: id)
        let search = query.get("q") ?? ""
        let method = query.get("method").flatMap { Self.bindingMethods.contains($0) ? $0 : nil }
        let offset = max(0, Int(query.get("offset") ?? "") ?? 0)
        let conflictOffset = max(0, Int(query.get("coffset") ?? "") ?? 0)
        let page = try await service.binding.bindingPage(admin, enterpriseId: id, query: search, method: method, limit: Self.bindingsPerPage,
                                                 offset: offset)
        let conflicts = try await service.binding.bindingConflictPage(admin, enterpriseId: id, limit: Self.conflictsPerPage, offset: conflictOffset)
        let base = "/console/enterprises/\(id)/bindings"
        let link = { (offset: Int, conflictOffset: Int) in
            base + ConsoleFormat.query(["q": search, "method": method, "offset": offset > 0 ? "\(offset)" : nil,
                                        "coffset": conflictOffset > 0 ? "\(conflictOffset)" : nil])
        }
        var values: PageValues = [
            "enterprise": enterpriseRow(enterprise, t),
            "bindingSettings": bindingSettingsForm(settingsEntered ?? Self.bindingSettingsFields(settings), enterpriseId: id, back: "bindings", t),
            "conflicts": conflicts.conflicts.map { conflictRow($0, enterpriseId: id, t) }, "conflictTotal": conflicts.total,
            "bindings": page.bindings.map { bindingRow($0, enterpriseId: id, t) }, "total": page.total,
            "from": page.bindings.isEmpty ? 0 : offset + 1, "to": offset + page.bindings.count, "q": search,
            "methods": Self.options([("", t["bd_method_all"] ?? "")] + Self.bindingMethods.map { ($0, t["bd_method_" + $0] ?? $0) },
                                    selected: method ?? ""),
            "filtered": !search.isEmpty || method != nil, "allHref": base,
        ]
        if offset > 0 { values["prevHref"] = link(max(0, offset - Self.bindingsPerPage), conflictOffset) }
        if offset + page.bindings.count < page.total { values["nextHref"] = link(offset + Self.bindingsPerPage, conflictOffset) }
        if conflictOffset > 0 { values["conflictPrevHref"] = link(offset, max(0, conflictOffset - Self.conflictsPerPage)) }
        if conflictOffset + conflicts.conflicts.count < conflicts.total {
            values["conflictNextHref"] = link(offset, conflictOffset + Self.conflictsPerPage)
        }
        if conflicts.total > 0 {
            values["conflictRange"] = "\(conflictOffset + 1)–\(conflictOffset + conflicts.conflicts.count)"
        }
        values["notice"] = bindingNotice(query, t)
        return values
    }

    static let bindingMethods = ["manual", "auto", "import", "card"]

    /// The notice a redirect of this area asked for.
    private func bindingNotice(_ query: FlatDictionary<Substring, Substring>, _ t: Strings) -> String? {
        if query.get("auto") != nil {
            let counts = ["bound", "conflicts", "unmatched"].map { key -> String in
                let count = query.get(key).flatMap { Int($0) } ?? 0
                return (t["bd_auto_" + key] ?? key) + " \(count)"
            }
            return (t["bd_auto_done"] ?? "") + counts.joined(separator: t["list_separator"] ?? ", ")
        }
        if let count = query.get("unboundAll").flatMap({ Int($0) }) {
            return String(format: t["bd_notice_unbound_all"] ?? "%d", count)
        }
        return ["bound", "unbound", "dismissed"].first { query.get($0) != nil }.flatMap { t["bd_notice_" + $0] }
    }

    /// A binding in a list or on a card: names, links, the method in words.
    func bindingRow(_ binding: BindingView, enterpriseId: Int64, _ t: Strings) -> TemplateValue {
        var extra: PageValues = [
            "oaHref": Self.oaUserHref(binding.oaUserID),
            "userHref": "/console/enterprises/\(enterpriseId)/users/" + ConsoleFormat.component(binding.unionID),
            "methodLabel": t["bd_method_" + binding.method] ?? binding.method,
            "oaDisplay": binding.oaName ?? binding.oaUserID, "feishuDisplay": binding.feishuName ?? binding.unionID,
            // Unbinding asks first (ConsoleController+Unbind.swift), then goes back to the list or the user card.
            "unbindHref": "/console/enterprises/\(enterpriseId)/bindings/unbind" + ConsoleFormat.query(["oaUserID": binding.oaUserID, "back": "bindings"]),
            "unbindCardHref": "/console/enterprises/\(enterpriseId)/bindings/unbind" + ConsoleFormat.query(["oaUserID": binding.oaUserID, "back": "user"]),
        ]
        extra["fieldLabel"] = binding.field.map { t["bd_match_" + $0] ?? $0 } ?? false
        return TemplateValue(binding, extra)
    }

    private func conflictRow(_ detail: BindingConflictDetail, enterpriseId: Int64, _ t: Strings) -> PageValues {
        let conflict = detail.conflict
        return [
            "unionID": conflict.unionID, "kind": conflict.kind, "kindLabel": t["bd_kind_" + conflict.kind] ?? conflict.kind,
            "kindHelp": t["bd_kind_help_" + conflict.kind] ?? "", "feishuName": detail.feishuName ?? conflict.unionID,
            "userHref": "/console/enterprises/\(enterpriseId)/users/" + ConsoleFormat.component(conflict.unionID),
            "fieldLabel": t["bd_match_" + conflict.field] ?? conflict.field, "value": conflict.value,
            "createdAt": ConsoleFormat.dateTime(conflict.createdAt),
            "candidates": detail.candidates.map { candidate -> PageValues in
                var item: PageValues = [
                    "oaID": candidate.oaID, "name": candidate.name ?? candidate.oaID, "href": Self.oaUserHref(candidate.oaID),
                    "missing": candidate.name == nil, "left": candidate.status == "left",
                    "canBind": candidate.name != nil && candidate.status == "active" && candidate.boundTo == nil,
                ]
                item["loginID"] = candidate.loginID ?? false
                item["boundHref"] = candidate.boundTo.map { "/console/enterprises/\(enterpriseId)/users/" + ConsoleFormat.component($0) } ?? false
                return item
            },
        ]
    }

    private func unbindAllPage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let enterprise = try await service.enterprise(admin, id: id)
        let count = try await service.binding.bindingPage(admin, enterpriseId: id, query: "", method: nil, limit: 1, offset: 0).total
        return ["enterprise": enterpriseRow(enterprise, t), "count": count, "hasBindings": count > 0]
    }

    /// A Feishu user's card: the mirror's fields, the binding with an unbind button, or (unbound) a search for an OA
    /// user to bind.
    func userCardPage(_ admin: AdminIdentity, _ id: Int64, _ userID: String, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let enterprise = try await service.enterprise(admin, id: id)
        let user = try await service.directory.user(admin, enterpriseId: id, id: userID)
        var values: PageValues = ["enterprise": enterpriseRow(enterprise, t), "user": userRow(user, enterpriseId: id, t),
                                  "bindingsHref": "/console/enterprises/\(id)/bindings"]
        if let binding = try await service.binding.binding(admin, enterpriseId: id, unionID: user.unionID) {
            values["binding"] = bindingRow(binding, enterpriseId: id, t)
        } else {
            let search = request.uri.queryParameters.get("oaq") ?? ""
            values["oaq"] = search
            if let text = search.trimmingCharacters(in: .whitespaces).nilIfEmpty {
                let found = try await service.oaDirectory.users(admin, query: text, department: nil, limit: Self.cardSearchResults, offset: 0)
                let bound: [String: String] = try await service.database.bindings.boundFeishuUsers(enterpriseId: id,
                                                                                                   oaUserIDs: found.users.map { $0.oaID })
                values["oaSearched"] = true
                values["oaTotal"] = found.total
                values["oaMore"] = found.total > found.users.count
                values["oaResults"] = found.users.map { candidate -> PageValues in
                    let boundTo: String? = bound[candidate.oaID]
                    var item: PageValues = ["oaID": candidate.oaID, "name": candidate.name, "loginID": candidate.loginID,
                                            "href": Self.oaUserHref(candidate.oaID), "status": candidate.status]
                    item["statusLabel"] = t["oad_status_" + candidate.status] ?? candidate.status
                    item["canBind"] = candidate.status == "active" && boundTo == nil
                    item["employeeNo"] = candidate.employeeNo ?? false
                    item["mobile"] = candidate.mobile ?? false
                    item["boundHref"] = boundTo.map { "/console/enterprises/\(id)/users/" + ConsoleFormat.component($0) } ?? false
                    return item
                }
            }
        }
        values["notice"] = bindingNotice(request.uri.queryParameters, t)
        if request.uri.queryParameters.get("unfrozen") != nil { values["notice"] = t["o2f_unfrozen"] }
        if let mode3 = oaToFeishu, let disabled = try await mode3.disabledByRun(admin, enterpriseId: id, unionID: user.unionID) {
            let deleteAt: Any = disabled.deleteAt.map(ConsoleFormat.dateTime) ?? false
            values["disabledByRun"] = ["at": ConsoleFormat.dateTime(disabled.at), "deleteAt": deleteAt,
                                       "action": "/console/enterprises/\(id)/users/\(ConsoleFormat.component(user.unionID))/unfreeze"]
        }
        return values
    }
}
