import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The OA clients of the OpenID Connect provider in the admin API (issue #16): list, register (201, the secret shown
/// once), read, change, rotate the secret (shown once), delete. Scoped to the caller's tenant, audited.
/// 扫码登录's setting too (`/qr-login`): read and replace.
struct OIDCClientAPIController {
    let clients: OIDCClientAdmin
    let qrLogin: QRLogin

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("oidc-clients") { _, context in Items(try await clients.clients(context.admin())) }
        routes.post("oidc-clients") { request, context in
            EditedResponse(status: .created, response: try await clients.create(context.admin(), request.decode(as: OIDCClientInput.self, context: context)))
        }
        routes.get("oidc-clients/:id") { _, context in try await clients.client(context.admin(), id: context.id("id")) }
        routes.put("oidc-clients/:id") { request, context in
            try await clients.update(context.admin(), id: context.id("id"), request.decode(as: OIDCClientInput.self, context: context))
        }
        routes.post("oidc-clients/:id/secret") { _, context in try await clients.rotateSecret(context.admin(), id: context.id("id")) }
        routes.delete("oidc-clients/:id") { _, context in
            try await clients.delete(context.admin(), id: context.id("id"))
            return Response(status: .noContent)
        }
        routes.get("qr-login") { _, context in try await qrLogin.setting(context.admin()) }
        routes.put("qr-login") { request, context in
            try await qrLogin.save(context.admin(), request.decode(as: QRLoginSetting.self, context: context))
        }
        return routes
    }
}

extension QRLogin.SettingView: ResponseEncodable {}

extension OIDCClientAdmin.View: ResponseEncodable {}
