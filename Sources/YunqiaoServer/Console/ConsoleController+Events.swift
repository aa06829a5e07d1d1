import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Contact events in the console (issue #15): `POST /console/apps/{id}/events` sets how the app receives events (the
/// app page shows the channel and the long connection); 离开权限范围的人员和部门: `GET
/// /console/enterprises/{id}/scope-removals[?all=1]` lists what left an app's contact scope with a checkbox each, `POST
/// …/scope-removals` keeps or removes the checked ones (`decision`).
extension ConsoleController {
    func addEventRoutes(to routes: RouteCollection<AppRequestContext>) {
        let removals = DirectoryEventsAdmin(database: service.database, longConnections: longConnections)
        routes.post("apps/:id/events") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            _ = try await removals.setChannel(admin, appId: id, channel: form["channel"] ?? "")
            return Self.seeOther("/console/apps/\(id)?saved=1#events")
        }
        routes.get("enterprises/:id/scope-removals") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            let all = request.uri.queryParameters.get("all") == "1"
            var values = try await scopeRemovalsPage(removals, admin, id, all: all, t)
            if let count = request.uri.queryParameters.get("decided").flatMap(Int.init) {
                values["notice"] = (t["scope_removals_done"] ?? "{count}").replacingOccurrences(of: "{count}", with: String(count))
            }
            return show("scope-removals", values, request, context)
        }
        routes.post("enterprises/:id/scope-removals") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            let form = try await Self.form(request, context)
            let ids = form.values.keys.filter { $0.hasPrefix("id_") }.compactMap { Int64($0.dropFirst(3)) }.sorted()
            return try await submit(request, context, form, template: "scope-removals",
                                    page: { _ in try await scopeRemovalsPage(removals, admin, id, all: false, t) }) {
                let decided = try await removals.decide(admin, enterpriseId: id, ids: ids, decision: form["decision"] ?? "")
                return "/console/enterprises/\(id)/scope-removals?decided=\(decided.count)"
            }
        }
    }

    private func scopeRemovalsPage(_ removals: DirectoryEventsAdmin, _ admin: AdminIdentity, _ id: Int64, all: Bool, _ t: Strings) async throws -> PageValues {
        let (enterprise, items) = try await removals.removals(admin, enterpriseId: id, all: all)
        return [
            "enterprise": ["id": id, "name": enterprise.name, "href": "/console/enterprises/\(id)"],
            "all": all,
            "hasPending": items.contains { $0.decision == nil },
            "items": items.map { item in
                TemplateValue(item, ["kindLabel": t["scope_removals_kind_" + item.kind.rawValue] ?? item.kind.rawValue,
                                     "decisionLabel": item.decision.flatMap { t["scope_removals_decision_" + $0] } ?? "",
                                     "pending": item.decision == nil])
            },
        ]
    }
}
