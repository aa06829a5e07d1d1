import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Tenant management in the admin API (`/api/admin/v1/tenants`), for the super-admin (a session or a super-admin
/// token); anyone else gets 403 (``TenantAdmin``).
struct TenantAPIController {
    let service: AdminService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("tenants") { _, context in Items(try await service.tenants.tenants(context.admin())) }
        routes.post("tenants") { request, context in
            let created = try await service.tenants.create(context.admin(), request.decode(as: TenantInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.get("tenants/:id") { _, context in try await service.tenants.tenant(context.admin(), id: context.id("id")) }
        routes.put("tenants/:id") { request, context in
            try await service.tenants.rename(context.admin(), id: context.id("id"), request.decode(as: TenantInput.self, context: context))
        }
        routes.post("tenants/:id/admins") { request, context in
            let created = try await service.tenants.createFirstAdmin(context.admin(), tenantId: context.id("id"),
                                                                     request.decode(as: TenantAdminInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        return routes
    }
}

extension TenantView: ResponseEncodable {}
extension TenantAdminView: ResponseEncodable {}
