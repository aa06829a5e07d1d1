import FeishuKit
import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 二 应用集成: the apps of an enterprise (AgentID/App ID, Secret, 应用主页) with the URLs to paste into Feishu, and the
/// OA 主页型应用 an app can open.
extension ConsoleController {
    func addAppRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises/:id/apps/new") { request, context in
            let admin = try context.admin()
            let enterprise = try await service.enterprise(admin, id: context.id("id"))
            return show("app-form", try await appForm(admin, [:], owner: enterprise, app: nil, strings(request)), request, context)
        }
        routes.post("enterprises/:id/apps/new") { request, context in
            let admin = try context.admin()
            let enterprise = try await service.enterprise(admin, id: context.id("id"))
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "app-form",
                                    page: { try await appForm(admin, $0, owner: enterprise, app: nil, strings(request)) }) {
                "/console/apps/\(try await service.createApp(admin, enterpriseId: enterprise.id, Self.appInput(form)).id)"
            }
        }
        routes.get("apps/:id") { request, context in
            show("app", try await appPage(context.admin(), context.id("id"), strings(request)), request, context)
        }
        routes.post("apps/:id/test-credentials") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            var values = try await appPage(admin, id, t)
            values["check"] = checkRow(try await service.testCredentials(admin, appId: id), t)
            return show("app", values, request, context)
        }
        addEditRoutes(to: routes, "apps/:id", template: "app-form", load: { admin, id in try await service.app(admin, id: id) },
                      fields: Self.formValues,
                      page: { admin, app, form, t in try await appForm(admin, form, owner: nil, app: app, t) }) { admin, app, form in
            _ = try await service.updateApp(admin, id: app.id, Self.appInput(form))
            return "/console/apps/\(app.id)?saved=1"
        }
        addDeleteRoutes(to: routes, "apps/:id", page: { admin, id, t in try await deleteAppPage(admin, id, t) }) { admin, id in
            let app = try await service.app(admin, id: id)
            try await service.deleteApp(admin, id: id)
            return "/console/enterprises/\(app.enterpriseId)?deleted=1"
        }
    }

    /// The form as an app: the callback credentials trimmed (what was pasted), an empty choice as none.
    static func appInput(_ form: FormFields) -> AppInput {
        let pasted = { (name: String) in form[name]?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty }
        return AppInput(name: form["name"], appID: (form["appID"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines), appSecret: form["appSecret"]?.nilIfEmpty,
                        homepageKind: form["homepageKind"]?.nilIfEmpty,
                        homepageAppId: form["homepageAppId"].flatMap { Int64($0) }, homepageURL: form["homepageURL"],
                        verificationToken: pasted("verificationToken"), encryptKey: pasted("encryptKey"))
    }

    /// An app's stored values as form fields (the secret and the callback credentials stay out).
    static func formValues(_ app: AppView) -> [String: String] {
        ["name": app.name, "appID": app.appID, "homepageKind": app.homepage.kind,
         "homepageAppId": app.homepage.homepageAppId.map { "\($0)" } ?? "",
         "homepageURL": app.homepage.kind == "custom" ? app.homepage.target ?? "" : ""]
    }

    /// An app in a list or on its page: links, the homepage in words and the warnings translated by code.
    func appRow(_ app: AppView, _ t: Strings) -> TemplateValue {
        TemplateValue(app, [
            "href": "/console/apps/\(app.id)", "displayName": app.name.isEmpty ? app.appID : app.name,
            "homepageLabel": t["homepage_" + app.homepage.kind] ?? app.homepage.kind,
            // The trusted domains besides the external domain's host (the homepage's, the OA's pages).
            "otherTrustedDomains": app.trustedDomains.filter { $0 != app.trustedDomain },
            "jsapiEndpoint": app.jsapiSignatureURL ?? app.jsapiSignaturePath,
            // A page of the OA's host (the homepage's) when there is one.
            "jsapiExampleURL": "https://\(app.trustedDomains.last ?? "oa.example.com")/m/approval?id=42",
            "warningItems": app.warnings.map { warning -> PageValues in
                ["code": warning.code, "text": t["warn_" + warning.code] ?? warning.message,
                 "isDomain": warning.code.hasPrefix("externalDomain")]
            },
        ])
    }

    /// The new/edit form; `owner` for a new app, `app` when editing.
    private func appForm(_ admin: AdminIdentity, _ form: [String: String], owner: EnterpriseView?, app: AppView?,
                         _ t: Strings) async throws -> PageValues
    {
        let homepageApps = try await service.homepageApps(admin)
        let kinds = ["none", "oaApp", "custom"].map { (value: $0, label: t["homepage_" + $0] ?? $0) }
        var values: PageValues = [
            "form": form, "kinds": Self.options(kinds, selected: form["homepageKind"]?.nilIfEmpty ?? "none"),
            "homepageApps": Self.options(homepageApps.map { ("\($0.id)", $0.name) }, selected: form["homepageAppId"]),
            "hasHomepageApps": !homepageApps.isEmpty,
        ]
        if let app {
            values["app"] = appRow(app, t)
            values["owner"] = ["id": app.enterpriseId, "name": app.enterpriseName]
            values["action"] = "/console/apps/\(app.id)/edit"
        } else if let owner {
            values["owner"] = ["id": owner.id, "name": owner.name]
            values["action"] = "/console/enterprises/\(owner.id)/apps/new"
        }
        return values
    }

    private func appPage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let app = try await service.app(admin, id: id)
        let events = try await DirectoryEventsAdmin(database: service.database, longConnections: longConnections).channel(admin, appId: app.id)
        let channels = ["http", "websocket"].map { (value: $0, label: t["events_channel_" + $0] ?? $0) }
        return ["app": appRow(app, t),
                "events": TemplateValue(events, [
                    "channelOptions": Self.options(channels, selected: events.channel),
                    "lastChannelLabel": events.lastChannel.flatMap { t["events_channel_" + $0] } ?? "",
                    "isWebsocket": events.channel == "websocket",
                    "connectionState": events.connection.map { t["events_state_" + $0.state.rawValue] ?? $0.state.rawValue } ?? t["events_state_none"] ?? "",
                ])]
    }

    private func deleteAppPage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let app = try await service.app(admin, id: id)
        return confirmDelete(kind: "app", name: "\(app.name) (\(app.appID))", action: "/console/apps/\(id)/delete",
                             back: "/console/apps/\(id)", t, blockers: [("delete_blocked_rules", try await pushRulesUsing(admin, appId: id))])
    }

    // MARK: OA homepage apps

    func addHomepageAppRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("homepage-apps") { request, context in
            show("homepage-apps", ["entries": try await service.homepageApps(context.admin())], request, context)
        }
        routes.get("homepage-apps/new") { request, context in show("homepage-app-form", homepageAppForm([:], nil), request, context) }
        routes.post("homepage-apps/new") { request, context in
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "homepage-app-form", page: { homepageAppForm($0, nil) }) {
                _ = try await service.createHomepageApp(context.admin(), Self.homepageAppInput(form))
                return "/console/homepage-apps?saved=1"
            }
        }
        addEditRoutes(to: routes, "homepage-apps/:id", template: "homepage-app-form",
                      load: { admin, id in try await service.homepageApp(admin, id: id) },
                      fields: { ["name": $0.name, "url": $0.url, "note": $0.note] },
                      page: { _, entry, form, _ in homepageAppForm(form, entry) }) { admin, entry, form in
            _ = try await service.updateHomepageApp(admin, id: entry.id, Self.homepageAppInput(form))
            return "/console/homepage-apps?saved=1"
        }
        addDeleteRoutes(to: routes, "homepage-apps/:id",
                        page: { admin, id, t in try await deleteHomepageAppPage(admin, id, t) }) { admin, id in
            try await service.deleteHomepageApp(admin, id: id)
            return "/console/homepage-apps?deleted=1"
        }
    }

    private func homepageAppForm(_ form: [String: String], _ entry: HomepageAppView?) -> PageValues {
        var values: PageValues = ["form": form]
        values["action"] = entry.map { "/console/homepage-apps/\($0.id)/edit" } ?? "/console/homepage-apps/new"
        values["entry"] = entry
        return values
    }

    static func homepageAppInput(_ form: FormFields) -> HomepageAppInput {
        HomepageAppInput(name: form["name"] ?? "", url: form["url"] ?? "", note: form["note"])
    }

    private func deleteHomepageAppPage(_ admin: AdminIdentity, _ id: Int64, _ t: Strings) async throws -> PageValues {
        let entry = try await service.homepageApp(admin, id: id)
        return confirmDelete(kind: "homepageApp", name: entry.name, action: "/console/homepage-apps/\(id)/delete",
                             back: "/console/homepage-apps", t)
    }
}
