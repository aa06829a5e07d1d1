import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The overview and 基础参数设置 (seed 【云桥对外域名】配置 and 开通服务器网络权限的说明): the external domain and the
/// network check.
extension ConsoleController {
    func addSettingsRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get { request, context in
            show("home", try await overview(context.admin(), strings(request)), request, context)
        }
        routes.get("settings") { request, context in
            let admin = try context.admin()
            let settings = try await service.settings(admin)
            let entered = ["externalDomain": settings.externalDomain ?? "", "imageHosts": settings.imageHosts.joined(separator: "\n")]
            return show("settings", try await settingsPage(admin, entered, strings(request)), request, context)
        }
        routes.post("settings") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "settings",
                                    page: { try await settingsPage(admin, $0, strings(request)) }) {
                let hosts = (form["imageHosts"] ?? "").split(whereSeparator: \.isNewline).map(String.init)
                _ = try await service.updateSettings(admin, SettingsInput(externalDomain: form["externalDomain"] ?? "", imageHosts: hosts))
                return "/console/settings?saved=1"
            }
        }
        routes.post("settings/check-network") { request, context in try await checkNetwork(request, context) }
    }

    /// Runs the network check of the chosen enterprise and shows its steps on the settings page.
    private func checkNetwork(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (admin, t) = (try context.admin(), strings(request))
        let form = try await Self.form(request, context)
        let settings = try await service.settings(admin)
        let stored = ["externalDomain": settings.externalDomain ?? "", "imageHosts": settings.imageHosts.joined(separator: "\n")]
        let page = { (entered: [String: String]) in
            try await settingsPage(admin, stored, t, checked: entered["enterpriseId"])
        }
        do {
            guard let id = form["enterpriseId"].flatMap({ Int64($0) }) else {
                throw APIError.invalid("enterpriseId", "choose an enterprise")
            }
            var values = try await page(form.values)
            values["check"] = checkRow(try await service.checkNetwork(admin, enterpriseId: id), t)
            return show("settings", values, request, context)
        } catch {
            return try await refused(error, request, context, form.values, template: "settings", page: page)
        }
    }

    private func overview(_ admin: AdminIdentity, _ t: Strings) async throws -> PageValues {
        var rows: [TemplateValue] = []
        for enterprise in try await service.enterprises(admin) {
            let lastRun = try await service.directory.syncRuns(admin, enterpriseId: enterprise.id, limit: 1).first
            rows.append(enterpriseRow(enterprise, t, lastRun: lastRun))
        }
        var values: PageValues = ["enterprises": rows, "homepageAppCount": try await service.homepageApps(admin).count,
                                  "tokenCount": try await service.tokens(admin).filter { $0.revokedAt == nil }.count]
        values["domain"] = try await service.settings(admin).externalDomain
        return values
    }

    private func settingsPage(_ admin: AdminIdentity, _ form: [String: String], _ t: Strings,
                              checked: String? = nil) async throws -> PageValues
    {
        let enterprises = try await service.enterprises(admin)
        return ["form": form, "hasEnterprises": !enterprises.isEmpty,
                "enterprises": Self.options(enterprises.map { ("\($0.id)", $0.name) }, selected: checked)]
    }
}
