import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 单点登录 (issue #16): the OAs that sign their users in through the bridge — as OpenID Connect clients and as CAS
/// services — with the addresses the OA configures, registration (the secret shown once), a new secret, deletion.
extension ConsoleController {
    func addSSORoutes(to routes: RouteCollection<AppRequestContext>, _ clients: OIDCClientAdmin) {
        routes.get("sso") { request, context in
            var values = try await ssoPage(context.admin(), clients, created: nil, form: [:], strings(request))
            if request.uri.queryParameters.get("deleted") != nil { values["notice"] = strings(request)["sso_deleted"] }
            return show("sso", values, request, context)
        }
        routes.post("sso") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                let created = try await clients.create(admin, Self.clientInput(form))
                return show("sso", try await ssoPage(admin, clients, created: created, form: [:], strings(request)), request, context, status: .created)
            } catch {
                return try await rejected(error, request, context, form.values, template: "sso", labels: "sso_field_") {
                    try await ssoPage(admin, clients, created: nil, form: $0, strings(request))
                }
            }
        }
        routes.post("sso/:id/secret") { request, context in
            let admin = try context.admin()
            let rotated = try await clients.rotateSecret(admin, id: context.id("id"))
            return show("sso", try await ssoPage(admin, clients, created: rotated, form: [:], strings(request)), request, context)
        }
        routes.post("sso/:id/delete") { _, context in
            try await clients.delete(context.admin(), id: context.id("id"))
            return Self.seeOther("/console/sso?deleted=1")
        }
    }

    /// The form's client: URIs one per line; a field at fault is named as in the API (`redirectURIs[0]`).
    static func clientInput(_ form: FormFields) throws -> OIDCClientInput {
        func lines(_ field: String) -> [String] {
            (form[field] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard let app = form["appId"].flatMap({ Int64($0) }) else { throw APIError.invalid("appId", "not one of the choices") }
        return OIDCClientInput(name: form["name"] ?? "", redirectURIs: lines("redirectURIs"), postLogoutRedirectURIs: lines("postLogoutRedirectURIs"),
                               appId: app)
    }

    private func ssoPage(_ admin: AdminIdentity, _ clients: OIDCClientAdmin, created: OIDCClientAdmin.View?, form: [String: String],
                         _ t: Strings) async throws -> PageValues
    {
        var apps: [(value: String, label: String)] = []
        for enterprise in try await service.enterprises(admin) {
            for app in try await service.apps(admin, enterpriseId: enterprise.id) { apps.append(("\(app.id)", "\(enterprise.name) / \(app.name)")) }
        }
        let issuer = try? await clients.provider.issuer(tenantId: admin.tenantId)
        let casBase = issuer.map { $0.replacingOccurrences(of: "/oidc/", with: "/cas/") }
        let rows = try await clients.clients(admin).map { client -> PageValues in
            ["id": client.id, "name": client.name, "clientID": client.clientID, "redirectURIs": client.redirectURIs,
             "postLogout": client.postLogoutRedirectURIs, "app": apps.first { $0.value == "\(client.appId)" }?.label ?? "\(client.appId)",
             "createdAt": ConsoleFormat.dateTime(client.createdAt), "createdBy": client.createdBy]
        }
        var values: PageValues = ["clients": rows, "hasClients": !rows.isEmpty, "form": form, "hasApps": !apps.isEmpty,
                                  "apps": Self.options(apps, selected: form["appId"]), "issuer": issuer ?? false, "casBase": casBase ?? false,
                                  "qrOn": try await qrLogin?.setting(admin).enabled ?? false]
        if let created, let secret = created.secret {
            values["created"] = ["name": created.name, "clientID": created.clientID, "secret": secret]
        }
        return values
    }
}
