import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 扫码登录's settings page (seed 五, issue #16): on or off, and per enterprise the app whose QR code is shown (none
/// = the enterprise is not offered); the QR page's address and the snippet for the OA's login page. Without an
/// enterprise and app it says to add Feishu first (请先添加飞书), with the way there.
extension ConsoleController {
    func addQRLoginRoutes(to routes: RouteCollection<AppRequestContext>, _ qrLogin: QRLogin) {
        routes.get("qr-login") { request, context in
            let admin = try context.admin()
            let setting = try await qrLogin.setting(admin)
            return show("qr-login-settings", try await qrLoginPage(admin, setting, form: Self.qrLoginFields(setting)), request, context)
        }
        routes.post("qr-login") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                _ = try await qrLogin.save(admin, try await qrLoginInput(admin, form))
                return Self.seeOther("/console/qr-login?saved=1")
            } catch {
                let setting = try await qrLogin.setting(admin)
                return try await rejected(error, request, context, form.values, template: "qr-login-settings", labels: "qr_field_") {
                    try await qrLoginPage(admin, setting, form: $0)
                }
            }
        }
    }

    /// The form's setting: the enterprises' choices (`app_<enterprise>`, empty = none) in the enterprises' order.
    private func qrLoginInput(_ admin: AdminIdentity, _ form: FormFields) async throws -> QRLoginSetting {
        var appIds: [Int64] = []
        for enterprise in try await service.enterprises(admin) {
            guard let text = form["app_\(enterprise.id)"]?.nilIfEmpty else { continue }
            guard let id = Int64(text) else { throw APIError.invalid("appIds", "not one of the choices") }
            appIds.append(id)
        }
        return QRLoginSetting(enabled: form["enabled"] == "on", appIds: appIds)
    }

    /// A stored setting as the form's fields.
    static func qrLoginFields(_ setting: QRLogin.SettingView) -> [String: String] {
        ["enabled": setting.enabled ? "on" : "", "appIds": setting.appIds.map(String.init).joined(separator: ",")]
    }

    private func qrLoginPage(_ admin: AdminIdentity, _ setting: QRLogin.SettingView, form: [String: String]) async throws -> PageValues {
        // After a refused post the form's choices are shown; else the stored ones.
        let chosen: (Int64) -> String? = { enterpriseId in
            form["appIds"] == nil ? form["app_\(enterpriseId)"] : nil
        }
        let stored = Set((form["appIds"] ?? "").split(separator: ",").compactMap { Int64($0) })
        var enterprises: [PageValues] = []
        for enterprise in try await service.enterprises(admin) {
            let apps = try await service.apps(admin, enterpriseId: enterprise.id)
            guard !apps.isEmpty else { continue }
            let selected = chosen(enterprise.id) ?? apps.first { stored.contains($0.id) }.map { "\($0.id)" } ?? ""
            enterprises.append(["id": enterprise.id, "name": enterprise.name,
                                "apps": Self.options([("", "—")] + apps.map { ("\($0.id)", $0.name) }, selected: selected)])
        }
        var values: PageValues = ["enterprises": enterprises, "hasApps": !enterprises.isEmpty, "enabled": form["enabled"] == "on"]
        if let page = setting.pageURL, let script = setting.embedScriptURL {
            values["pageURL"] = page
            values["embed"] = "<script src=\"\(script)\" data-href=\"\(page)\" defer></script>"
        }
        return values
    }
}
