import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Tenant management (issue #13, item 20): the super-admin (the first admin of the default tenant, `admin` here) lists,
/// creates and renames tenants and creates a tenant's first admin, through the API and the console; ordinary admins and
/// tokens never see or reach it (403), and the new tenant's admin sees only their own tenant.
@Suite(.timeLimit(.minutes(2)))
struct TenantAPITests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    struct Tenant: Decodable {
        var id: Int64
        var name: String
        var admins: [String]
        var enterprises: Int
        var superAdminTenant: Bool
    }

    struct NewAdmin: Decodable {
        var tenantId: Int64
        var username: String
        var password: String
    }

    @Test func ordinaryAdminsAndTokensAreRefused() async throws {
        try await APIEnvironment.with { env in
            let bob = try await env.session(username: "bob")
            for caller in [env.api, env.otherAPI, bob] {
                #expect(try await caller.get("tenants").status == .forbidden)
                #expect(try await caller.post("tenants", #"{"name":"x"}"#).status == .forbidden)
                #expect(try await caller.get("tenants/\(env.otherTenantId)").status == .forbidden)
                #expect(try await caller.get("tenants/9999").status == .forbidden)
                #expect(try await caller.put("tenants/\(env.otherTenantId)", #"{"name":"x"}"#).status == .forbidden)
                #expect(try await caller.post("tenants/\(env.otherTenantId)/admins", #"{"username":"x"}"#).status == .forbidden)
            }
            #expect(try await bob.post("tokens", #"{"name":"root","superAdmin":true}"#).status == .forbidden)
            #expect(try await env.api.post("tokens", #"{"name":"root","superAdmin":true}"#).status == .forbidden)
            #expect((try await bob.get("me").json as? [String: Any])?["superAdmin"] as? Bool == false)
            // The console: no menu entry, and the pages answer 403.
            let browser = try await Browser.signIn(env, username: "bob")
            #expect(!(try await browser.get("/console").text.contains(#"id="nav-tenants""#)))
            #expect(try await browser.get("/console/tenants").status == .forbidden)
            #expect(try await browser.post("/console/tenants", [("name", "x")]).status == .forbidden)
            #expect(try await env.api.get("tenants").error?.message == "only the super-admin manages tenants")
        }
    }

    @Test func theSuperAdminManagesTenantsThroughTheAPI() async throws {
        try await APIEnvironment.with { env in
            let root = try await env.session()
            #expect((try await root.get("me").json as? [String: Any])?["superAdmin"] as? Bool == true)
            let listed = try await root.get("tenants").items(Tenant.self)
            #expect(listed.map(\.name) == ["default", "other"] && listed.map(\.admins) == [["admin"], ["bob"]])
            #expect(listed.map(\.superAdminTenant) == [true, false])

            let created = try await root.post("tenants", #"{"name":"华东子公司"}"#)
            #expect(created.status == .created, "\(created)")
            let east = try created.decode(Tenant.self)
            #expect(east.admins.isEmpty && east.enterprises == 0)
            #expect(try await root.post("tenants", #"{"name":"华东子公司"}"#).error?.field == "name")
            #expect(try await root.post("tenants", #"{"name":""}"#).error?.field == "name")
            #expect(try await root.post("tenants", #"{"nom":"x"}"#).error?.field == "name")
            #expect(try await root.put("tenants/\(east.id)", #"{"name":"华东"}"#).decode(Tenant.self).name == "华东")
            #expect(try await root.get("tenants/999").status == .notFound)

            // The first admin: a generated password, shown once; a second one is refused, a taken user name too.
            let admin = try await root.post("tenants/\(east.id)/admins", #"{"username":"east-admin"}"#)
            #expect(admin.status == .created, "\(admin)")
            let new = try admin.decode(NewAdmin.self)
            #expect(new.tenantId == east.id && new.username == "east-admin" && new.password.count >= 16)
            #expect(try await root.post("tenants/\(east.id)/admins", #"{"username":"east-2"}"#).status == .conflict)
            let west = try await root.post("tenants", #"{"name":"华西"}"#).decode(Tenant.self)
            #expect(try await root.post("tenants/\(west.id)/admins", #"{"username":"bob"}"#).error?.field == "username")

            // The new admin works in the new tenant only, and may not manage tenants.
            let login = try await env.login(username: "east-admin", password: new.password)
            #expect(login.status == .seeOther)
            let cookie = try #require(login.cookie("yq_session"))
            let eastAdmin = APICaller(client: env.client, credentials: .session(cookie: cookie, csrf: nil))
            let me = try #require(try await eastAdmin.get("me").json as? [String: Any])
            #expect(me["tenantId"] as? Int == Int(east.id) && me["superAdmin"] as? Bool == false)
            #expect(try await eastAdmin.get("enterprises").items(EnterpriseView.self).isEmpty)
            #expect(try await eastAdmin.get("tenants").status == .forbidden)

            // A super-admin token reaches the tenants too; it is marked as one.
            let token = try await root.post("tokens", #"{"name":"ops","superAdmin":true}"#).decode(TokenView.self)
            #expect(token.superAdmin)
            let ops = APICaller(client: env.client, credentials: .token(try #require(token.token)))
            #expect(try await ops.get("tenants").items(Tenant.self).count == 4)

            // Audited in the super-admin's tenant and in the tenant concerned.
            let mine = try await root.get("audit?action=tenant").items(AuditEntry.self).map(\.action)
            #expect(mine.sorted() == ["tenant.create", "tenant.create", "tenant.rename"])
            // (The new admin's own sign-in is audited there too.)
            let theirs = try await env.database.admins.auditLog(tenantId: east.id).map(\.action).filter { $0 != "admin.login" }
            #expect(theirs.sorted() == ["admin.create", "tenant.create", "tenant.rename"])
        }
    }

    @Test func theSuperAdminManagesTenantsOnTheConsole() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let home = try await browser.get("/console")
            #expect(home.text.contains(#"<a href="/console/tenants" id="nav-tenants">租户</a>"#))
            let list = try await browser.get("/console/tenants")
            #expect(list.status == .ok && list.text.contains(#"id="nav-tenants" class="current""#))
            #expect(list.text.contains(#"<tr data-tenant="\#(env.otherTenantId)">"#) && list.text.contains("bob"))
            let refused = try await browser.post("/console/tenants", [("name", "other")])
            #expect(refused.status == .conflict && refused.text.contains(#"data-field="name">已有名为 other 的租户"#))

            let created = try await browser.post("/console/tenants", [("name", "华南")])
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let id = try #require(Int64(location.dropFirst("/console/tenants/".count).prefix { $0.isNumber }))
            let page = try await browser.get(location)
            #expect(page.text.contains("租户已创建") && page.text.contains(#"id="tenant-admin-form""#))
            #expect(try await browser.post("/console/tenants/\(id)/rename", [("name", "华南子公司")]).headers[.location] == "/console/tenants/\(id)?renamed=1")
            let admin = try await browser.post("/console/tenants/\(id)/admins", [("username", "south-admin")])
            #expect(admin.status == .created)
            let password = try #require(admin.text.components(separatedBy: #"id="new-admin-password" class="secret">"#).last?
                .components(separatedBy: "<").first)
            #expect(password.count >= 16)
            #expect(try await env.login(username: "south-admin", password: password).status == .seeOther)
            let after = try await browser.get("/console/tenants/\(id)")
            #expect(!after.text.contains(password) && after.text.contains(#"id="tenant-has-admin""#) && after.text.contains("华南子公司"))
            #expect(try await browser.get("/console/tenants?lang=en").text.contains("Tenants"))
            // The token form offers super-admin tokens to the super-admin only.
            #expect(try await browser.get("/console/tokens").text.contains(#"id="token-super-admin""#))
            #expect(!(try await Browser.signIn(env, username: "bob").get("/console/tokens").text.contains(#"id="token-super-admin""#)))
        }
    }
}
