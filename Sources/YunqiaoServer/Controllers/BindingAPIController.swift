import Foundation
import Hummingbird
import YunqiaoServices
import YunqiaoCore

/// Bindings under `/api/admin/v1/enterprises/{id}/…`.
struct BindingAPIController {
    let service: AdminService

    struct UnbindAllInput: Codable, Sendable {
        /// The enterprise's name, typed again.
        var confirm: String
    }

    struct Unbound: ResponseEncodable, Sendable {
        var unbound: Int
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("enterprises/:id/bindings") { request, context in
            Items(try await service.binding.bindings(context.admin(), enterpriseId: context.id("id"), query: request.uri.queryParameters.get("q") ?? ""))
        }
        routes.post("enterprises/:id/bindings") { request, context in
            let created = try await service.binding.bind(context.admin(), enterpriseId: context.id("id"), request.decode(as: BindInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.delete("enterprises/:id/bindings/:oaUser") { _, context in
            try await service.binding.unbind(context.admin(), enterpriseId: context.id("id"), oaUserID: context.pathComponent("oaUser"))
            return HTTPResponse.Status.noContent
        }
        routes.post("enterprises/:id/bindings/unbind-all") { request, context in
            let input = try await request.decode(as: UnbindAllInput.self, context: context)
            return Unbound(unbound: try await service.binding.unbindAll(context.admin(), enterpriseId: context.id("id"), confirm: input.confirm))
        }
        routes.get("enterprises/:id/binding-conflicts") { _, context in
            Items(try await service.binding.bindingConflicts(context.admin(), enterpriseId: context.id("id")))
        }
        routes.delete("enterprises/:id/binding-conflicts/:unionID") { _, context in
            try await service.binding.dismissBindingConflict(context.admin(), enterpriseId: context.id("id"), unionID: context.pathComponent("unionID"))
            return HTTPResponse.Status.noContent
        }
        routes.get("enterprises/:id/binding-settings") { _, context in
            try await service.binding.bindingSettings(context.admin(), enterpriseId: context.id("id"))
        }
        routes.put("enterprises/:id/binding-settings") { request, context in
            try await service.binding.setBindingSettings(context.admin(), enterpriseId: context.id("id"),
                                                 request.decode(as: BindingSettings.self, context: context))
        }
        routes.post("enterprises/:id/auto-bind") { _, context in try await service.binding.autoBind(context.admin(), enterpriseId: context.id("id")) }
        return routes
    }
}
