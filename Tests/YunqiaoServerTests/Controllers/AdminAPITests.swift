import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// Settings, enterprises, apps, OA homepage apps and the audit log through the admin API.
@Suite(.timeLimit(.minutes(2)))
struct AdminAPITests {
    @Test func settingsNormaliseValidateAndClear() async throws {
        try await APIEnvironment.with { env in
            let empty = try await env.api.get("settings")
            #expect(empty.status == .ok)
            #expect(empty.text == #"{"imageHosts":[]}"#)

            let set = try await env.api.put("settings", #"{"externalDomain":"  https://bridge.example.com/  "}"#)
            #expect(set.status == .ok)
            #expect(try set.decode(SettingsView.self).externalDomain == "https://bridge.example.com")
            #expect(try await env.api.get("settings").decode(SettingsView.self).externalDomain == "https://bridge.example.com")

            for bad in ["ftp://bridge.example.com", "bridge.example.com", "https://bridge.example.com/?a=1", "https://"] {
                let answer = try await env.api.put("settings", #"{"externalDomain":"\#(bad)"}"#)
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.error?.field == "externalDomain", "\(bad)")
            }
            let wrongType = try await env.api.put("settings", #"{"externalDomain":5}"#)
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.error?.field == "externalDomain")
            #expect(try await env.api.get("settings").decode(SettingsView.self).externalDomain == "https://bridge.example.com")

            let cleared = try await env.api.put("settings", #"{"externalDomain":""}"#)
            #expect(cleared.status == .ok)
            #expect(cleared.text == #"{"imageHosts":[]}"#)
            #expect(try await env.api.get("settings").decode(SettingsView.self).externalDomain == nil)
            _ = try await env.api.put("settings", #"{"externalDomain":"http://10.0.0.5:8080"}"#)
            #expect(try await env.api.put("settings", #"{}"#).text == #"{"imageHosts":[]}"#)

            let audit = try await env.api.get("audit?action=settings").items(AuditEntry.self)
            #expect(audit.count == 4)
            #expect(audit.allSatisfy { $0.actor == "token:ci" && $0.target == "externalDomain" })
            #expect(audit.last?.before == nil)
            #expect(audit.last?.after == ["externalDomain": "https://bridge.example.com"])
            #expect(audit[2].before == ["externalDomain": "https://bridge.example.com"])
            #expect(audit[2].after == nil)
        }
    }

    @Test func imageHostsAreReplacedOnlyWhenGivenAndABadOneIsRefusedWithNothingChanged() async throws {
        try await APIEnvironment.with { env in
            let set = try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com","imageHosts":[" Files.OA.example.com. ","10.0.0.8","","files.oa.example.com","[fd00::1]"]}"#)
            #expect(set.status == .ok)
            #expect(try set.decode(SettingsView.self).imageHosts == ["files.oa.example.com", "10.0.0.8", "fd00::1"])
            // Absent keeps the list.
            _ = try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#)
            #expect(try await env.api.get("settings").decode(SettingsView.self).imageHosts.count == 3)
            for bad in ["http://files.example.com", "files.example.com:8080", "files.example.com/x", "a b", "-x.example.com"] {
                let answer = try await env.api.put("settings", #"{"externalDomain":"https://other.example.com","imageHosts":["ok.example.com","\#(bad)"]}"#)
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.error?.field == "imageHosts", "\(bad)")
            }
            let tooMany = (0...50).map { "\"h\($0).example.com\"" }.joined(separator: ",")
            #expect(try await env.api.put("settings", #"{"imageHosts":[\#(tooMany)]}"#).status == .badRequest)
            let kept = try await env.api.get("settings").decode(SettingsView.self)
            #expect(kept.imageHosts.count == 3 && kept.externalDomain == "https://bridge.example.com")
            #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com","imageHosts":[]}"#).decode(SettingsView.self).imageHosts == [])
        }
    }

    @Test func enterprisesCreateReadUpdateDelete() async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("enterprises", #"{"name":"示例科技"}"#)
            #expect(created.status == .created)
            let enterprise = try created.decode(EnterpriseView.self)
            #expect(enterprise.name == "示例科技")
            #expect(enterprise.brand == "feishu")
            #expect(enterprise.baseURL == "https://open.feishu.cn")
            #expect(enterprise.appCount == 0)
            #expect(abs(enterprise.createdAt.timeIntervalSinceNow) < 60)
            #expect(created.text.contains(#""createdAt":"20"#))

            // The brand is one of the document's enum exactly (" Lark " is refused: APIContractTests).
            let lark = try await env.api.post("enterprises", #"{"name":"Acme Global","brand":"lark"}"#).decode(EnterpriseView.self)
            #expect(lark.brand == "lark")
            #expect(lark.baseURL == "https://open.larksuite.com")
            let custom = try await env.api.post("enterprises", #"{"name":"私有化","brand":"feishu","baseURL":"https://feishu.corp.example.com/"}"#)
            #expect(try custom.decode(EnterpriseView.self).baseURL == "https://feishu.corp.example.com")

            let list = try await env.api.get("enterprises")
            #expect(list.status == .ok)
            #expect(try list.items(EnterpriseView.self).map(\.name) == ["Acme Global", "示例科技", "私有化"])
            #expect(try await env.api.get("enterprises/\(enterprise.id)").decode(EnterpriseView.self) == enterprise)

            // Validation names the field.
            let taken = try await env.api.post("enterprises", #"{"name":"示例科技"}"#)
            #expect(taken.status == .conflict && taken.error?.field == "name", "\(taken)")
            let invalid: [(String, String?)] = [
                (#"{"name":"  "}"#, "name"),
                (#"{"name":"\#(String(repeating: "长", count: 101))"}"#, "name"),
                (#"{"name":"X","brand":"wechat"}"#, "brand"),
                (#"{"name":"X","baseURL":"open.feishu.cn"}"#, "baseURL"),
                (#"{"name":"X","baseURL":"https://open.feishu.cn/?x=1"}"#, "baseURL"),
                (#"{}"#, "name"),
                (#"{"brand":"feishu"}"#, "name"),
                (#"{"name":5}"#, "name"),
                (#"{"name":null}"#, "name"),
                (#"{"name":"#, "body"),
                (#"not json"#, "body"),
                (#"{"name":"X","homepage":{}}"#, "homepage"),
            ]
            for (body, field) in invalid {
                let answer = try await env.api.post("enterprises", body)
                #expect(answer.status == .badRequest, "\(body): \(answer)")
                #expect(answer.error?.field == field, "\(body): \(answer)")
            }
            #expect(try await env.api.post("enterprises", #"{}"#).error?.message == "required")
            #expect(try await env.api.post("enterprises", "{").error?.message == "the body is not valid JSON")
            #expect(try await env.api.get("enterprises").items(EnterpriseView.self).count == 3)

            // Unknown and malformed ids.
            #expect(try await env.api.get("enterprises/9999").status == .notFound)
            #expect(try await env.api.get("enterprises/9999").error?.message == "enterprise 9999 not found")
            for id in ["abc", "0", "-1", "1.5"] {
                let answer = try await env.api.get("enterprises/\(id)")
                #expect(answer.status == .badRequest, "\(id)")
                #expect(answer.error?.field == "id", "\(id)")
            }

            // Update: same defaults, names stay unique.
            try await Task.sleep(for: .milliseconds(5))
            let updated = try await env.api.put("enterprises/\(enterprise.id)",
                                                #"{"name":"示例科技（新）","brand":"lark","baseURL":"http://127.0.0.1:8787/"}"#)
            #expect(updated.status == .ok)
            let changed = try updated.decode(EnterpriseView.self)
            #expect(changed.name == "示例科技（新）")
            #expect(changed.brand == "lark")
            #expect(changed.baseURL == "http://127.0.0.1:8787")
            #expect(changed.createdAt == enterprise.createdAt)
            #expect(changed.updatedAt >= enterprise.updatedAt)
            let reset = try await env.api.put("enterprises/\(enterprise.id)", #"{"name":"示例科技（新）"}"#).decode(EnterpriseView.self)
            #expect(reset.brand == "feishu")
            #expect(reset.baseURL == "https://open.feishu.cn")
            let clash = try await env.api.put("enterprises/\(enterprise.id)", #"{"name":"Acme Global"}"#)
            #expect(clash.status == .conflict)
            #expect(clash.error?.field == "name")
            #expect(try await env.api.put("enterprises/9999", #"{"name":"nobody"}"#).status == .notFound)
            #expect(try await env.api.put("enterprises/\(enterprise.id)", #"{"brand":"lark"}"#).error?.field == "name")

            // Delete: refused while apps use it, the answer names them.
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                             #"{"name":"云桥助手","appID":"cli_delete_me","appSecret":"s3cr3t-value"}"#).decode(AppView.self)
            #expect(try await env.api.get("enterprises/\(enterprise.id)").decode(EnterpriseView.self).appCount == 1)
            let refused = try await env.api.delete("enterprises/\(enterprise.id)")
            #expect(refused.status == .conflict)
            #expect(refused.error?.message.contains("云桥助手 (cli_delete_me)") == true)
            #expect(try await env.api.delete("apps/\(app.id)").status == .noContent)
            let deleted = try await env.api.delete("enterprises/\(enterprise.id)")
            #expect(deleted.status == .noContent)
            #expect(deleted.text.isEmpty)
            #expect(try await env.api.get("enterprises/\(enterprise.id)").status == .notFound)
            #expect(try await env.api.delete("enterprises/\(enterprise.id)").status == .notFound)
            #expect(try await env.api.delete("enterprises/abc").status == .badRequest)

            let audit = try await env.api.get("audit?action=enterprise").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["enterprise.delete", "enterprise.update", "enterprise.update", "enterprise.create",
                                            "enterprise.create", "enterprise.create"])
            #expect(audit.allSatisfy { $0.actor == "token:ci" })
            #expect(audit[2].before == ["name": "示例科技", "brand": "feishu", "baseURL": "https://open.feishu.cn"])
            #expect(audit[2].after == ["name": "示例科技（新）", "brand": "lark", "baseURL": "http://127.0.0.1:8787"])
            #expect(audit[0].target == "enterprise \(enterprise.id) 示例科技（新）")
        }
    }

    @Test func appSecretsAreWriteOnly() async throws {
        try await APIEnvironment.with { env in
            let secret = "Sup3r-S3cret-Value-7Qz9"
            var answers: [Answer] = []
            let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技"}"#).decode(EnterpriseView.self)
            let apps = "enterprises/\(enterprise.id)/apps"

            let missing = try await env.api.post(apps, #"{"name":"云桥","appID":"cli_a1b2c3d4e5f6"}"#)
            #expect(missing.status == .badRequest)
            #expect(missing.error?.field == "appSecret")
            #expect(try await env.api.post(apps, #"{"appID":"cli_a1b2c3d4e5f6","appSecret":"  "}"#).error?.field == "appSecret")
            #expect(try await env.api.post(apps, #"{"appSecret":"x"}"#).error?.field == "appID")
            #expect(try await env.api.post(apps, #"{"appID":"cli a1","appSecret":"x"}"#).error?.field == "appID")
            #expect(try await env.api.post(apps, #"{"appID":"cli_a1","appSecret":"x","name":"\#(String(repeating: "n", count: 101))"}"#)
                .error?.field == "name")
            #expect(try await env.api.post("enterprises/9999/apps", #"{"appID":"cli_a1","appSecret":"x"}"#).status == .notFound)

            let created = try await env.api.post(apps, #"{"name":"云桥","appID":"cli_a1b2c3d4e5f6","appSecret":"\#(secret)"}"#)
            answers.append(created)
            #expect(created.status == .created)
            let app = try created.decode(AppView.self)
            #expect(app.appSecret == "••••••••7Qz9")
            #expect(app.appID == "cli_a1b2c3d4e5f6")
            #expect(app.name == "云桥")
            #expect(app.enterpriseId == enterprise.id)
            #expect(app.enterpriseName == "示例科技")
            let noName = try await env.api.post(apps, #"{"appID":"cli_second","appSecret":"abc"}"#)
            answers.append(noName)
            #expect(try noName.decode(AppView.self).name == "cli_second")
            #expect(try noName.decode(AppView.self).appSecret == "•••")
            let duplicate = try await env.api.post(apps, #"{"appID":"cli_a1b2c3d4e5f6","appSecret":"other"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.error?.field == "appID")

            answers.append(try await env.api.get(apps))
            answers.append(try await env.api.get("apps/\(app.id)"))
            #expect(try answers.last!.decode(AppView.self) == app)
            #expect(try answers[answers.count - 2].items(AppView.self).map(\.id) == [app.id, try noName.decode(AppView.self).id])

            // Editing without a secret keeps it; a new secret replaces it (mask of the new one).
            let kept = try await env.api.put("apps/\(app.id)", #"{"name":"云桥 OA","appID":"cli_a1b2c3d4e5f6"}"#)
            answers.append(kept)
            #expect(kept.status == .ok)
            #expect(try kept.decode(AppView.self).appSecret == "••••••••7Qz9")
            #expect(try kept.decode(AppView.self).name == "云桥 OA")
            let keptEmpty = try await env.api.put("apps/\(app.id)", #"{"name":"云桥 OA","appID":"cli_a1b2c3d4e5f6","appSecret":""}"#)
            answers.append(keptEmpty)
            #expect(try keptEmpty.decode(AppView.self).appSecret == "••••••••7Qz9")
            let stored = try #require(try await env.database.integration.apps(enterpriseId: enterprise.id).first)
            #expect(try env.database.integration.secret(of: stored) == secret)
            #expect(!stored.sealedSecret.contains(secret))
            let secondSecret = "An0ther-Secret-Value-K8wX"
            let replaced = try await env.api.put("apps/\(app.id)", #"{"name":"云桥 OA","appID":"cli_a1b2c3d4e5f6","appSecret":"\#(secondSecret)"}"#)
            answers.append(replaced)
            #expect(try replaced.decode(AppView.self).appSecret == "••••••••K8wX")
            #expect(try await env.api.put("apps/\(app.id)", #"{"appID":"cli_second"}"#).error?.field == "appID")
            #expect(try await env.api.put("apps/9999", #"{"appID":"cli_x"}"#).status == .notFound)
            #expect(try await env.api.put("apps/\(app.id)", #"{"name":"x"}"#).error?.field == "appID")

            // The audit log carries masks only.
            let audit = try await env.api.get("audit?action=app")
            answers.append(audit)
            let entries = try audit.items(AuditEntry.self)
            #expect(entries.map(\.action) == ["app.update", "app.update", "app.create", "app.create"])
            #expect(entries[3].after?["appSecret"] == "••••••••7Qz9")
            #expect(entries[1].before?["appSecret"] == "••••••••7Qz9")
            #expect(entries[1].after?["appSecret"] == "••••••••7Qz9")
            #expect(entries[1].after?["name"] == "云桥 OA")
            #expect(entries[0].before?["appSecret"] == "••••••••7Qz9")
            #expect(entries[0].after?["appSecret"] == "••••••••K8wX")
            #expect(entries.allSatisfy { $0.actor == "token:ci" })

            let deleted = try await env.api.delete("apps/\(app.id)")
            #expect(deleted.status == .noContent)
            #expect(try await env.api.get("apps/\(app.id)").status == .notFound)
            #expect(try await env.api.delete("apps/\(app.id)").status == .notFound)
            answers.append(try await env.api.get("audit"))

            // Nowhere: answers, stored audit entries, logs.
            for secretText in [secret, secondSecret] {
                for answer in answers { #expect(!answer.text.contains(secretText), "\(answer)") }
                let rows = try await env.database.admins.auditLog(tenantId: env.tenantId, filter: AuditFilter(limit: 500))
                #expect(!rows.contains { ($0.before ?? "").contains(secretText) || ($0.after ?? "").contains(secretText) })
                #expect(!env.logs.text.contains(secretText))
            }
            #expect(!env.logs.text.isEmpty)
        }
    }

    @Test func appURLsComeFromTheExternalDomain() async throws {
        try await APIEnvironment.with { env in
            let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技"}"#).decode(EnterpriseView.self)
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps", #"{"appID":"cli_urls","appSecret":"secret-1234"}"#)
                .decode(AppView.self)
            #expect(app.homepageURL == nil)
            #expect(app.oauthRedirectURL == nil)
            #expect(app.trustedDomain == nil)
            #expect(Set(app.warnings.map(\.code)) == ["homepageUnset", "externalDomainUnset"])
            #expect(app.homepage.kind == "none")

            _ = try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com/"}"#)
            let withDomain = try await env.api.get("apps/\(app.id)").decode(AppView.self)
            #expect(withDomain.homepageURL == "https://bridge.example.com/feishu/apps/\(app.id)/home")
            #expect(withDomain.oauthRedirectURL == "https://bridge.example.com/feishu/apps/\(app.id)/oauth/callback")
            #expect(withDomain.trustedDomain == "bridge.example.com")
            #expect(withDomain.warnings.map(\.code) == ["homepageUnset"])

            _ = try await env.api.put("settings", #"{"externalDomain":"http://10.1.2.3:8080"}"#)
            let http = try await env.api.get("enterprises/\(enterprise.id)/apps").items(AppView.self)
            #expect(http.first?.homepageURL == "http://10.1.2.3:8080/feishu/apps/\(app.id)/home")
            #expect(http.first?.trustedDomain == "10.1.2.3")
            #expect(http.first?.warnings.map(\.code) == ["homepageUnset", "externalDomainHTTP"])
            #expect(http.first?.warnings.allSatisfy { !$0.message.isEmpty } == true)
        }
    }

    @Test func appHomepageKinds() async throws {
        try await APIEnvironment.with { env in
            let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技"}"#).decode(EnterpriseView.self)
            let portal = try await env.api.post("homepage-apps", #"{"name":"门户","url":"https://oa.example.com/spa/portal"}"#)
                .decode(HomepageAppView.self)
            let apps = "enterprises/\(enterprise.id)/apps"

            let invalid: [(String, String)] = [
                (#""homepageKind":"oaApp""#, "homepageAppId"),
                (#""homepageKind":"oaApp","homepageAppId":9999"#, "homepageAppId"),
                (#""homepageKind":"custom""#, "homepageURL"),
                (#""homepageKind":"custom","homepageURL":"javascript:alert(1)""#, "homepageURL"),
                (#""homepageKind":"custom","homepageURL":"/relative/path""#, "homepageURL"),
                (#""homepageKind":"portal""#, "homepageKind"),
                (#""homepageKind":"oaApp","homepageAppId":"one""#, "homepageAppId"),
            ]
            for (fields, field) in invalid {
                let answer = try await env.api.post(apps, #"{"appID":"cli_home","appSecret":"secret",\#(fields)}"#)
                #expect(answer.status == .badRequest, "\(fields): \(answer)")
                #expect(answer.error?.field == field, "\(fields): \(answer)")
            }
            #expect(try await env.api.get(apps).items(AppView.self).isEmpty)

            let oa = try await env.api.post(apps, #"{"name":"OA","appID":"cli_home","appSecret":"secret","homepageKind":"oaApp","homepageAppId":\#(portal.id)}"#)
            #expect(oa.status == .created)
            let oaApp = try oa.decode(AppView.self)
            #expect(oaApp.homepage.kind == "oaApp")
            #expect(oaApp.homepage.homepageAppId == portal.id)
            #expect(oaApp.homepage.homepageAppName == "门户")
            #expect(oaApp.homepage.target == "https://oa.example.com/spa/portal")
            #expect(!oaApp.warnings.contains { $0.code == "homepageUnset" })

            let custom = try await env.api.put("apps/\(oaApp.id)",
                                               #"{"name":"OA","appID":"cli_home","homepageKind":"custom","homepageURL":"https://intranet.example.com/start"}"#)
            #expect(custom.status == .ok)
            let customHomepage = try custom.decode(AppView.self).homepage
            #expect(customHomepage.kind == "custom")
            #expect(customHomepage.target == "https://intranet.example.com/start")
            #expect(customHomepage.homepageAppId == nil)
            // Switching away from oaApp drops the link; the old id is not kept.
            #expect(try await env.api.get("homepage-apps/\(portal.id)").decode(HomepageAppView.self).usedBy.isEmpty)

            let none = try await env.api.put("apps/\(oaApp.id)", #"{"name":"OA","appID":"cli_home","homepageKind":"none"}"#)
            let noneHomepage = try none.decode(AppView.self).homepage
            #expect(noneHomepage.kind == "none")
            #expect(noneHomepage.target == nil)
            #expect(try none.decode(AppView.self).warnings.contains { $0.code == "homepageUnset" })
            let omitted = try await env.api.put("apps/\(oaApp.id)", #"{"name":"OA","appID":"cli_home"}"#)
            #expect(try omitted.decode(AppView.self).homepage.kind == "none")

            let audit = try await env.api.get("audit?action=app.update").items(AuditEntry.self)
            #expect(audit.contains { $0.after?["homepageURL"] == "https://intranet.example.com/start" && $0.before?["homepageAppId"] == "\(portal.id)" })
        }
    }

    @Test func homepageAppsCreateReadUpdateDelete() async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("homepage-apps", #"{"name":"门户","url":" /spa/portal ","note":" OA 首页 "}"#)
            #expect(created.status == .created)
            let portal = try created.decode(HomepageAppView.self)
            #expect(portal.name == "门户")
            #expect(portal.url == "/spa/portal")
            #expect(portal.note == "OA 首页")
            #expect(portal.usedBy.isEmpty)
            let noNote = try await env.api.post("homepage-apps", #"{"name":"流程","url":"https://oa.example.com/workflow"}"#)
            #expect(try noNote.decode(HomepageAppView.self).note == "")

            let taken = try await env.api.post("homepage-apps", #"{"name":"门户","url":"/other"}"#)
            #expect(taken.status == .conflict && taken.error?.field == "name", "\(taken)")
            let invalid: [(String, String)] = [
                (#"{"name":"","url":"/other"}"#, "name"),
                (#"{"url":"/other"}"#, "name"),
                (#"{"name":"坏","url":"javascript:alert(1)"}"#, "url"),
                (#"{"name":"坏","url":"//evil.example.com"}"#, "url"),
                (#"{"name":"坏","url":"/a b"}"#, "url"),
                (#"{"name":"坏","url":""}"#, "url"),
                (#"{"name":"坏"}"#, "url"),
            ]
            for (body, field) in invalid {
                let answer = try await env.api.post("homepage-apps", body)
                #expect(answer.status == .badRequest, "\(body): \(answer)")
                #expect(answer.error?.field == field, "\(body): \(answer)")
            }

            let list = try await env.api.get("homepage-apps").items(HomepageAppView.self)
            #expect(list.map(\.name) == ["流程", "门户"])
            #expect(try await env.api.get("homepage-apps/\(portal.id)").decode(HomepageAppView.self) == portal)
            #expect(try await env.api.get("homepage-apps/9999").status == .notFound)
            #expect(try await env.api.get("homepage-apps/x").error?.field == "id")

            // An app opens it: listed in usedBy, follows its new URL, and it cannot be deleted.
            let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技"}"#).decode(EnterpriseView.self)
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                             #"{"name":"云桥","appID":"cli_portal","appSecret":"secret","homepageKind":"oaApp","homepageAppId":\#(portal.id)}"#)
                .decode(AppView.self)
            let updated = try await env.api.put("homepage-apps/\(portal.id)", #"{"name":"新门户","url":"/spa/portal/v2"}"#)
            #expect(updated.status == .ok)
            let changed = try updated.decode(HomepageAppView.self)
            #expect(changed.name == "新门户")
            #expect(changed.url == "/spa/portal/v2")
            #expect(changed.note == "")
            #expect(changed.usedBy == ["云桥"])
            #expect(try await env.api.get("apps/\(app.id)").decode(AppView.self).homepage.target == "/spa/portal/v2")
            #expect(try await env.api.put("homepage-apps/\(portal.id)", #"{"name":"流程","url":"/x"}"#).error?.field == "name")
            #expect(try await env.api.put("homepage-apps/9999", #"{"name":"x","url":"/x"}"#).status == .notFound)

            let refused = try await env.api.delete("homepage-apps/\(portal.id)")
            #expect(refused.status == .conflict)
            #expect(refused.error?.message.contains("云桥 (cli_portal)") == true)
            _ = try await env.api.put("apps/\(app.id)", #"{"name":"云桥","appID":"cli_portal"}"#)
            #expect(try await env.api.delete("homepage-apps/\(portal.id)").status == .noContent)
            #expect(try await env.api.get("homepage-apps/\(portal.id)").status == .notFound)
            #expect(try await env.api.delete("homepage-apps/\(portal.id)").status == .notFound)

            let audit = try await env.api.get("audit?action=homepageApp").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["homepageApp.delete", "homepageApp.update", "homepageApp.create", "homepageApp.create"])
            #expect(audit[1].before == ["name": "门户", "url": "/spa/portal", "note": "OA 首页"])
            #expect(audit[1].after == ["name": "新门户", "url": "/spa/portal/v2", "note": ""])
        }
    }

    @Test func auditLogFilters() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            _ = try await env.api.post("enterprises", #"{"name":"甲企业"}"#)
            _ = try await session.post("enterprises", #"{"name":"乙企业"}"#)
            _ = try await session.post("homepage-apps", #"{"name":"门户","url":"/spa/portal"}"#)
            _ = try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#)

            let all = try await env.api.get("audit").items(AuditEntry.self)
            #expect(all.map(\.action).prefix(5) == ["settings.update", "homepageApp.create", "enterprise.create", "enterprise.create",
                                                    "admin.login"])
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >))
            #expect(all.suffix(2).map(\.action).sorted() == ["admin.create", "token.create"])

            let byAdmin = try await env.api.get("audit?actor=admin").items(AuditEntry.self)
            #expect(byAdmin.map(\.action) == ["homepageApp.create", "enterprise.create", "admin.login"])
            let byToken = try await env.api.get("audit?actor=token:ci").items(AuditEntry.self)
            #expect(byToken.map(\.action) == ["settings.update", "enterprise.create"])
            #expect(try await env.api.get("audit?action=enterprise.").items(AuditEntry.self).count == 2)
            #expect(try await env.api.get("audit?action=enterprise.create&actor=admin").items(AuditEntry.self).map(\.target)
                == ["enterprise 2 乙企业"])
            let text = try await env.api.get("audit?q=%E4%B9%99").items(AuditEntry.self)  // 乙
            #expect(text.map(\.action) == ["enterprise.create"])
            #expect(try await env.api.get("audit?q=bridge.example").items(AuditEntry.self).map(\.action) == ["settings.update"])
            #expect(try await env.api.get("audit?q=%25").items(AuditEntry.self).isEmpty)

            let page = try await env.api.get("audit?limit=2").items(AuditEntry.self)
            #expect(page.count == 2)
            let next = try await env.api.get("audit?limit=2&before=\(page[1].id)").items(AuditEntry.self)
            #expect(next.map(\.id) == Array(all.map(\.id)[2..<4]))
            #expect(try await env.api.get("audit?since=2999-01-01").items(AuditEntry.self).isEmpty)
            #expect(try await env.api.get("audit?until=2000-01-01T00:00:00Z").items(AuditEntry.self).isEmpty)
            #expect(try await env.api.get("audit?since=2000-01-01&until=2999-01-01").items(AuditEntry.self).count == all.count)

            for (query, field) in [("since=yesterday", "since"), ("until=26/11/2026", "until"), ("limit=ten", "limit"), ("before=x", "before")] {
                let answer = try await env.api.get("audit?\(query)")
                #expect(answer.status == .badRequest, "\(query)")
                #expect(answer.error?.field == field, "\(query)")
            }
        }
    }
}
