import FeishuKit
import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 飞书集成 (seed 一 企业集成): the enterprises, each with its apps, "sync now" and recent runs.
extension ConsoleController {
    func addEnterpriseRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises") { request, context in
            let t = strings(request)
            let rows = try await service.enterprises(context.admin()).map { enterpriseRow($0, t) }
            return show("enterprises", ["enterprises": rows], request, context)
        }
        routes.get("enterprises/new") { request, context in
            show("enterprise-form", enterpriseForm([:], nil, strings(request)), request, context)
        }
        routes.post("enterprises/new") { request, context in
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "enterprise-form",
                                    page: { enterpriseForm($0, nil, strings(request)) }) {
                "/console/enterprises/\(try await service.createEnterprise(context.admin(), Self.enterpriseInput(form)).id)"
            }
        }
        routes.get("enterprises/:id") { request, context in
            show("enterprise", try await enterprisePage(context.admin(), context.id("id"), strings(request)), request, context)
        }
        addEditRoutes(to: routes, "enterprises/:id", template: "enterprise-form",
                      load: { admin, id in try await service.enterprise(admin, id: id) },
                      fields: { ["name": $0.name, "brand": $0.brand, "baseURL": $0.baseURL] },
                      page: { _, enterprise, form, t in enterpriseForm(form, enterprise, t) }) { admin, enterprise, form in
            _ = try await service.updateEnterprise(admin, id: enterprise.id, Self.enterpriseInput(form))
            return "/console/enterprises/\(enterprise.id)?saved=1"
        }
        addDeleteRoutes(to: routes, "enterprises/:id",
                        page: { admin, id, t in try await deleteEnterprisePage(admin, id, t) }) { admin, id in
            try await service.deleteEnterprise(admin, id: id)
            return "/console/enterprises?deleted=1"
        }
        routes.post("enterprises/:id/sync") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            return try await submit(request, context, try await Self.form(request, context), template: "enterprise",
                                    page: { _ in try await enterprisePage(admin, id, strings(request)) }) {
                "/console/enterprises/\(id)/sync-runs/\(try await service.directory.startSync(admin, enterpriseId: id).run.id)"
            }
        }
    }

    static func enterpriseInput(_ form: FormFields) -> EnterpriseInput {
        EnterpriseInput(name: form["name"] ?? "", brand: form["brand"]?.nilIfEmpty, baseURL: form["baseURL"]?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The new/edit form: name, brand (its default API base as the placeholder) and API base.
    private func enterpriseForm(_ form: [String: String], _ enterprise: EnterpriseView?, _ t: Strings) -> PageValues {
        let brand = FeishuBrand(rawValue: form["brand"] ?? "") ?? .feishu
        var values: PageValues = [
            "form": form, "defaultBaseURL": brand.defaultBaseURL,
            "brands": FeishuBrand.allCases.map { option -> PageValues in
                ["value": option.rawValue, "label": t["brand_" + option.rawValue] ?? option.rawValue,
                 "default": option.defaultBaseURL, "selected": option == brand]
            },
        ]
        if let enterprise {
            values["enterprise"] = enterpriseRow(enterprise, t)
            values["action"] = "/console/enterprises/\(enterprise.id)/edit"
        } else {
            values["action"] = "/console/enterprises/new"
        }
        return values
    }

    func enterprisePage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let enterprise = try await service.enterprise(admin, id: id)
        let apps = try await service.apps(admin, enterpriseId: id)
        let runs = try await service.directory.syncRuns(admin, enterpriseId: id, limit: 5)
        let values: PageValues = ["enterprise": enterpriseRow(enterprise, t), "apps": apps.map { appRow($0, t) },
                                  "runs": runs.map { runRow($0, t) }, "runTableId": "recent-runs"]
        // The auto-bind setting of the sync section (ConsoleController+Bindings.swift): one setting, also on the bindings page.
        return values.merging(try await enterpriseBindingValues(admin, id, t)) { first, _ in first }
    }

    private func deleteEnterprisePage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let enterprise = try await service.enterprise(admin, id: id)
        let apps = try await service.apps(admin, enterpriseId: id).map { app -> PageValues in
            ["name": "\(app.name) (\(app.appID))", "href": "/console/apps/\(app.id)", "id": "app-\(app.id)"]
        }
        return confirmDelete(kind: "enterprise", name: enterprise.name, action: "/console/enterprises/\(id)/delete",
                             back: "/console/enterprises/\(id)", t,
                             blockers: [("delete_blocked_apps", apps), ("delete_blocked_rules", try await pushRulesUsing(admin, enterpriseId: id))])
    }
}
