import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Unbinding one user asks first: the user card's and the bindings list's 解绑 open
/// `GET /console/enterprises/{id}/bindings/unbind?oaUserID=…&back=user|bindings|oaUser[&unionID=…]`, which names both
/// people and posts to `POST …/bindings/unbind` (ConsoleController+Bindings.swift); 取消 goes back where it came from.
extension ConsoleController {
    func addUnbindConfirmRoute(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises/:id/bindings/unbind") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            let query = request.uri.queryParameters
            let oaUserID = query.get("oaUserID") ?? ""
            let enterprise = try await service.enterprise(admin, id: id)
            guard !oaUserID.isEmpty,
                  let entry = try await service.oaDirectory.bindings(admin, oaID: oaUserID).first(where: { $0.enterprise.id == id })?.binding
            else { throw APIError(.notFound, field: "oaUserID", message: "OA user \(oaUserID) is not bound in this enterprise") }
            let back = ["user", "oaUser"].contains(query.get("back") ?? "") ? query.get("back") ?? "bindings" : "bindings"
            let cancel: String = switch back {
            case "user": "/console/enterprises/\(id)/users/" + ConsoleFormat.component(entry.binding.unionID)
            case "oaUser": Self.oaUserHref(oaUserID)
            default: "/console/enterprises/\(id)/bindings"
            }
            let values: PageValues = ["enterprise": enterpriseRow(enterprise, t), "binding": bindingRow(BindingAdmin.view(entry), enterpriseId: id, t),
                                      "back": back, "cancelHref": cancel]
            return show("binding-unbind", values, request, context)
        }
    }
}
