import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 租户管理 (issue #13, item 20), the super-admin's pages under `/console/tenants`: the tenants with their admins and
/// enterprises, a new tenant, a tenant's page with its name and its first admin (the generated password shown once).
/// Anyone else gets the 403 page (``TenantAdmin``), and the menu shows the entry to the super-admin only.
extension ConsoleController {
    func addTenantRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("tenants") { request, context in
            var values = try await tenantsPage(context.admin(), form: [:], request)
            if request.uri.queryParameters.get("created") != nil { values["notice"] = strings(request)["tn_notice_created"] }
            return show("tenants", values, request, context)
        }
        routes.post("tenants") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "tenants", page: { try await tenantsPage(admin, form: $0, request) }) {
                "/console/tenants/\(try await service.tenants.create(admin, TenantInput(name: form["name"] ?? "")).id)?created=1"
            }
        }
        routes.get("tenants/:id") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            return show("tenant", try await tenantPage(admin, id, request, form: [:]), request, context)
        }
        routes.post("tenants/:id/rename") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "tenant", page: { try await tenantPage(admin, id, request, form: $0) }) {
                _ = try await service.tenants.rename(admin, id: id, TenantInput(name: form["name"] ?? ""))
                return "/console/tenants/\(id)?renamed=1"
            }
        }
        routes.post("tenants/:id/admins") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            do {
                let created = try await service.tenants.createFirstAdmin(admin, tenantId: id, TenantAdminInput(username: form["username"] ?? ""))
                var values = try await tenantPage(admin, id, request, form: [:])
                values["newAdmin"] = ["username": created.username, "password": created.password]
                return show("tenant", values, request, context, status: .created)
            } catch {
                return try await refused(error, request, context, form.values, template: "tenant") { try await tenantPage(admin, id, request, form: $0) }
            }
        }
    }

    private func tenantsPage(_ admin: AdminIdentity, form: [String: String], _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let tenants = try await service.tenants.tenants(admin)
        return ["tenants": tenants.map { tenantRow($0, admin, t) }, "form": form]
    }

    private func tenantPage(_ admin: AdminIdentity, _ id: Int64, _ request: Request, form: [String: String]) async throws -> PageValues {
        let t = strings(request)
        let tenant = try await service.tenants.tenant(admin, id: id)
        var values: PageValues = ["tenant": tenantRow(tenant, admin, t), "form": ["name": form["name"] ?? tenant.name, "username": form["username"] ?? ""],
                                  "needsAdmin": tenant.admins.isEmpty]
        if request.uri.queryParameters.get("created") != nil { values["notice"] = t["tn_notice_created"] }
        if request.uri.queryParameters.get("renamed") != nil { values["notice"] = t["tn_notice_renamed"] }
        return values
    }

    private func tenantRow(_ tenant: TenantView, _ admin: AdminIdentity, _ t: Strings) -> TemplateValue {
        TemplateValue(tenant, ["href": "/console/tenants/\(tenant.id)", "own": tenant.id == admin.tenantId,
                               "adminNames": tenant.admins.joined(separator: t["list_separator"] ?? ", "), "hasAdmins": !tenant.admins.isEmpty])
    }
}
