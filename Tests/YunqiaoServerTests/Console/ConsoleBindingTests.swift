import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The console's binding pages: settings (one setting on two pages), auto-bind now, the conflict queue, the bindings
/// list with unbind, batch unbind, the user card's bind / unbind; and the dismiss API.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleBindingTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    /// An enterprise synced from the emulator's standard org, and OA users: 1001 matches `multi` by employee no., 1002
    /// `root1` by mobile, 1003 and 1004 share `root2`'s mobile (a conflict), 1005 matches no one.
    static func scenario(_ env: APIEnvironment) async throws -> (id: Int64, users: [String: UserView]) {
        let (id, users) = try await BindingAPITests.syncedEnterprise(env)
        let tenant = env.tenantId
        try await env.database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenant, oaID: "1001", loginID: "zhang", name: "兼职者OA", employeeNo: "e-multi"),
            OAUserRecord(tenantId: tenant, oaID: "1002", loginID: "root1", name: "根成员一OA", mobile: "139 0000 0001"),
            OAUserRecord(tenantId: tenant, oaID: "1003", loginID: "r2a", name: "甲", mobile: "13900000002"),
            OAUserRecord(tenantId: tenant, oaID: "1004", loginID: "r2b", name: "乙", mobile: "+86 139-0000-0002"),
            OAUserRecord(tenantId: tenant, oaID: "1005", loginID: "deep-oa", name: "最深处OA"),
        ])
        return (id, users)
    }

    @Test func settingsAreOneSettingOnTwoPages() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await Self.scenario(env)
            let browser = try await Browser.signIn(env)
            let page = try await browser.get("/console/enterprises/\(id)/bindings")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"id="nav-enterprises" class="current""#))
            #expect(page.text.contains("飞书中的手机号和邮箱由飞书管理员设置，并未经用户本人验证"))
            #expect(page.text.contains(#"<select name="rank_employeeNo" id="rank-employeeNo" aria-label="工号"><option value="">不使用</option><option value="1" selected>"#))
            #expect(page.text.contains("当前顺序：工号 &gt; 手机号 &gt; 邮箱"))

            // Saved on the bindings page: mobile first, then user id; enabled.
            let saved = try await browser.post("/console/enterprises/\(id)/binding-settings",
                                               [("back", "bindings"), ("autoBindEnabled", "on"), ("rank_mobile", "1"), ("rank_userID", "2"),
                                                ("rank_employeeNo", ""), ("rank_email", "")])
            #expect(saved.status == .seeOther && saved.headers[.location] == "/console/enterprises/\(id)/bindings?saved=1")
            let stored = try await env.api.get("enterprises/\(id)/binding-settings").decode(BindingAPITests.Settings.self)
            #expect(stored.autoBindEnabled && stored.fields == ["mobile", "userID"])
            // … and shown on the enterprise page's sync section, which saves the same setting.
            let enterprise = try await browser.get("/console/enterprises/\(id)")
            #expect(enterprise.text.contains(#"<input type="hidden" name="back" value="enterprise">"#))
            #expect(enterprise.text.contains(#"id="auto-bind-enabled" name="autoBindEnabled" value="on" checked"#))
            #expect(enterprise.text.contains("当前顺序：手机号 &gt; 用户 ID ⇄ OA 登录名"))
            #expect(enterprise.text.contains("/console/enterprises/\(id)/bindings") && enterprise.text.contains("/console/oa/connector"))
            #expect(enterprise.text.contains("/console/enterprises/\(id)/binding-sheet"))
            let fromEnterprise = try await browser.post("/console/enterprises/\(id)/binding-settings",
                                                        [("back", "enterprise"), ("rank_email", "1")])
            #expect(fromEnterprise.headers[.location] == "/console/enterprises/\(id)?saved=1")
            let again = try await env.api.get("enterprises/\(id)/binding-settings").decode(BindingAPITests.Settings.self)
            #expect(!again.autoBindEnabled && again.fields == ["email"])
            #expect(try await browser.get("/console/enterprises/\(id)/bindings").text.contains("当前顺序：邮箱"))

            // Refused: two fields at one position (on the enterprise page), no field at all (on the bindings page).
            let twice = try await browser.post("/console/enterprises/\(id)/binding-settings",
                                               [("back", "enterprise"), ("rank_email", "1"), ("rank_mobile", "1")])
            #expect(twice.status == .badRequest)
            #expect(twice.text.contains(#"<h1 id="enterprise-name">"#))
            #expect(twice.text.contains(#"data-field="fields">每个选中的字段需要不同的顺序"#))
            let none = try await browser.post("/console/enterprises/\(id)/binding-settings", [("back", "bindings"), ("autoBindEnabled", "on")])
            #expect(none.status == .badRequest && none.text.contains(#"data-field="fields">至少选择一个关联字段"#))
            #expect(none.text.contains(#"id="auto-bind-enabled" name="autoBindEnabled" value="on" checked"#))
            let audit = try await env.api.get("audit?action=binding.settings").items(AuditEntry.self)
            #expect(audit.count == 2 && audit.allSatisfy { $0.actor == "admin" })
        }
    }

    @Test func autoBindNowConflictQueueBindAndDismiss() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await Self.scenario(env)
            let browser = try await Browser.signIn(env)
            let run = try await browser.post("/console/enterprises/\(id)/auto-bind")
            #expect(run.status == .seeOther)
            let location = try #require(run.headers[.location])
            #expect(location.hasPrefix("/console/enterprises/\(id)/bindings?auto=1&bound=2&conflicts=1&unmatched="))
            let page = try await browser.get(location)
            #expect(page.text.contains("自动绑定完成：新绑定 2、冲突 1、未匹配"))
            let root2 = try #require(users["root2"]?.unionID)
            #expect(page.text.contains(#"<tr data-union-id="\#(root2)" data-kind="ambiguous">"#))
            #expect(page.text.contains("根成员二") && page.text.contains("多个候选") && page.text.contains("<code>+8613900000002</code>"))
            #expect(page.text.contains(#"<li data-oa-id="1003">"#) && page.text.contains(#"<li data-oa-id="1004">"#))
            #expect(page.text.contains(#"<span class="count" id="conflict-count">1</span>"#))
            // The bindings list: OA and Feishu names, method and field.
            #expect(page.text.contains("兼职者OA") && page.text.contains("<code>zhang</code>") && page.text.contains("自动绑定 <span class=\"muted\">(工号)</span>"))

            // Bind the second candidate: a card binding; the conflict leaves the queue.
            let bound = try await browser.post("/console/enterprises/\(id)/bindings/bind",
                                               [("unionID", root2), ("oaUserID", "1004"), ("back", "bindings")])
            #expect(bound.status == .seeOther && bound.headers[.location] == "/console/enterprises/\(id)/bindings?bound=1")
            let afterBind = try await browser.get("/console/enterprises/\(id)/bindings?bound=1")
            #expect(afterBind.text.contains("没有冲突") && afterBind.text.contains(#"<tr data-oa-id="1004" data-union-id="\#(root2)">"#))
            #expect(afterBind.text.contains("用户卡片"))
            // Binding the same Feishu user again is refused on the page, with the reason.
            let twice = try await browser.post("/console/enterprises/\(id)/bindings/bind",
                                               [("unionID", root2), ("oaUserID", "1003"), ("back", "bindings")])
            #expect(twice.status == .conflict && twice.text.contains("飞书用户：飞书用户 \(root2) 已绑定 OA 用户 1004，请先解绑"))

            // Unbind it and run again: the conflict is back; dismiss it.
            #expect(try await browser.post("/console/enterprises/\(id)/bindings/unbind", [("oaUserID", "1004")]).status == .seeOther)
            _ = try await browser.post("/console/enterprises/\(id)/auto-bind")
            let dismissed = try await browser.post("/console/enterprises/\(id)/binding-conflicts/dismiss", [("unionID", root2)])
            #expect(dismissed.status == .seeOther && dismissed.headers[.location] == "/console/enterprises/\(id)/bindings?dismissed=1#conflicts")
            #expect(try await env.api.get("enterprises/\(id)/binding-conflicts").items(BindingAPITests.Conflict.self).isEmpty)
            #expect(try await browser.get("/console/enterprises/\(id)/bindings?dismissed=1").text.contains("已忽略该冲突"))
            let gone = try await browser.post("/console/enterprises/\(id)/binding-conflicts/dismiss", [("unionID", root2)])
            #expect(gone.status == .notFound)
            let audit = try await env.api.get("audit?action=binding").items(AuditEntry.self)
            #expect(audit.contains { $0.action == "binding.bind" && $0.after?["method"] == "card" && $0.actor == "admin" })
            let dismissal = try #require(audit.first { $0.action == "binding.conflict.dismiss" })
            #expect(dismissal.before?["oaUserIDs"] == "1003, 1004" && dismissal.before?["kind"] == "ambiguous")
            #expect(dismissal.target.hasSuffix("Feishu user 根成员二"))
        }
    }

    @Test func bindingsListSearchUnbindAndBatchUnbind() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await Self.scenario(env)
            _ = try await env.api.post("enterprises/\(id)/auto-bind")
            let browser = try await Browser.signIn(env)
            let search = try await browser.get("/console/enterprises/\(id)/bindings?q=root1")
            #expect(search.text.contains("根成员一OA") && !search.text.contains("兼职者OA"))
            #expect(search.text.contains(#"id="binding-search-reset""#))
            let byMethod = try await browser.get("/console/enterprises/\(id)/bindings?method=card")
            #expect(byMethod.text.contains("没有符合条件的绑定"))
            #expect(try await browser.get("/console/enterprises/\(id)/bindings?method=auto").text.contains("共 2 · 1–2"))

            let unbound = try await browser.post("/console/enterprises/\(id)/bindings/unbind", [("oaUserID", "1002"), ("back", "bindings")])
            #expect(unbound.headers[.location] == "/console/enterprises/\(id)/bindings?unbound=1")
            #expect(try await browser.get("/console/enterprises/\(id)/bindings?unbound=1").text.contains("已解绑"))
            #expect(try await browser.post("/console/enterprises/\(id)/bindings/unbind", [("oaUserID", "1002")]).status == .notFound)

            // Batch unbind: a confirmation page asking for the enterprise's name.
            let confirm = try await browser.get("/console/enterprises/\(id)/bindings/unbind-all")
            #expect(confirm.status == .ok && confirm.text.contains(#"<span id="unbind-all-count">1</span>"#))
            let wrong = try await browser.post("/console/enterprises/\(id)/bindings/unbind-all", [("confirm", "别的企业")])
            #expect(wrong.status == .badRequest && wrong.text.contains(#"data-field="confirm">请输入企业名称以确认"#))
            #expect(try await env.api.get("enterprises/\(id)/bindings").items(BindingAPITests.Binding.self).count == 1)
            let done = try await browser.post("/console/enterprises/\(id)/bindings/unbind-all", [("confirm", " 模拟企业 ")])
            #expect(done.status == .seeOther && done.headers[.location] == "/console/enterprises/\(id)/bindings?unboundAll=1")
            #expect(try await browser.get("/console/enterprises/\(id)/bindings?unboundAll=1").text.contains("已批量解绑 1 个绑定"))
            #expect(try await env.api.get("enterprises/\(id)/bindings").items(BindingAPITests.Binding.self).isEmpty)
            #expect(try await browser.get("/console/enterprises/\(id)/bindings/unbind-all").text.contains(#"id="unbind-all-nothing""#))
            let audit = try await env.api.get("audit?action=binding.unbind").items(AuditEntry.self)
            #expect(audit.count == 2 && audit.allSatisfy { $0.actor == "admin" })
        }
    }

    @Test func userCardBindAndUnbind() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await Self.scenario(env)
            let deep = try #require(users["deep"])
            let browser = try await Browser.signIn(env)
            let card = try await browser.get("/console/enterprises/\(id)/users/\(deep.unionID)")
            #expect(card.status == .ok && card.text.contains(#"id="user-unbound""#) && card.text.contains(#"id="oa-search-form""#))
            #expect(!card.text.contains(#"id="oa-search-results""#))

            let found = try await browser.get("/console/enterprises/\(id)/users/\(deep.unionID)?oaq=deep")
            #expect(found.text.contains(#"<tr data-oa-id="1005">"#) && found.text.contains(#"id="bind-1005""#))
            // The OA user has no mobile: the Feishu user's must not show in its row.
            let row = try #require(found.text.range(of: #"<tr data-oa-id="1005">"#).map { String(found.text[$0.lowerBound...].prefix(900)) })
            #expect(!row.contains("13900000004"))
            #expect(try await browser.get("/console/enterprises/\(id)/users/\(deep.unionID)?oaq=nobody-at-all").text.contains("没有找到 OA 用户"))

            let bound = try await browser.post("/console/enterprises/\(id)/bindings/bind",
                                               [("oaUserID", "1005"), ("unionID", deep.unionID), ("back", "user")])
            #expect(bound.status == .seeOther && bound.headers[.location] == "/console/enterprises/\(id)/users/\(deep.unionID)?bound=1")
            let boundCard = try await browser.get("/console/enterprises/\(id)/users/\(deep.unionID)?bound=1")
            #expect(boundCard.text.contains(#"<a href="/console/oa/users/1005" id="bound-oa-user">最深处OA</a> <code id="bound-oa-login">deep-oa</code>"#))
            #expect(boundCard.text.contains(#"<dd id="bound-method" data-method="card">用户卡片"#))
            #expect(boundCard.text.contains(#"<dd id="bound-by">admin</dd>"#) && boundCard.text.contains("已绑定"))
            // The OA user's page shows the binding too.
            #expect(try await browser.get("/console/oa/users/1005").text.contains(#"class="bound-feishu-user">最深处</a>"#))
            // The same OA user for another Feishu user: refused on that user's card, with the reason.
            let root2 = try #require(users["root2"]?.unionID)
            let taken = try await browser.get("/console/enterprises/\(id)/users/\(root2)?oaq=deep-oa")
            #expect(taken.text.contains("已绑定他人") && !taken.text.contains(#"id="bind-1005""#))
            let refused = try await browser.post("/console/enterprises/\(id)/bindings/bind",
                                                 [("oaUserID", "1005"), ("unionID", root2), ("back", "user")])
            #expect(refused.status == .conflict && refused.text.contains(#"<h1 id="user-name">根成员二"#))
            #expect(refused.text.contains("OA 用户 1005 已绑定飞书用户"))

            let unbound = try await browser.post("/console/enterprises/\(id)/bindings/unbind",
                                                 [("oaUserID", "1005"), ("unionID", deep.unionID), ("back", "user")])
            #expect(unbound.headers[.location] == "/console/enterprises/\(id)/users/\(deep.unionID)?unbound=1")
            #expect(try await browser.get("/console/enterprises/\(id)/users/\(deep.unionID)?unbound=1").text.contains(#"id="user-unbound""#))
            let audit = try await env.api.get("audit?action=binding").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["binding.unbind", "binding.bind"])
            #expect(audit.first?.before?["method"] == "card" && audit.allSatisfy { $0.actor == "admin" })
        }
    }

    @Test func postsNeedTheCSRFTokenAndStayInTheirTenant() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await Self.scenario(env)
            let deep = try #require(users["deep"]?.unionID)
            let browser = try await Browser.signIn(env)
            let posts: [(String, [(String, String)])] = [
                ("binding-settings", [("rank_email", "1")]), ("auto-bind", []), ("bindings/bind", [("oaUserID", "1005"), ("unionID", deep)]),
                ("bindings/unbind", [("oaUserID", "1001")]), ("binding-conflicts/dismiss", [("unionID", deep)]),
                ("bindings/unbind-all", [("confirm", "模拟企业")]),
            ]
            for (path, fields) in posts {
                #expect(try await browser.post("/console/enterprises/\(id)/\(path)", fields, csrf: false).status == .forbidden, "\(path)")
            }
            let bob = try await Browser.signIn(env, username: "bob")
            for path in ["bindings", "bindings/unbind-all", "users/\(deep)"] {
                #expect(try await bob.get("/console/enterprises/\(id)/\(path)").status == .notFound, "\(path)")
            }
            for (path, fields) in posts {
                #expect(try await bob.post("/console/enterprises/\(id)/\(path)", fields).status == .notFound, "\(path)")
            }
            #expect(try await env.api.get("enterprises/\(id)/bindings").items(BindingAPITests.Binding.self).isEmpty)
            #expect(try await env.api.get("audit?action=binding").items(AuditEntry.self).isEmpty)
        }
    }

    // MARK: API

    @Test func dismissAPIAndNamedBindings() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await Self.scenario(env)
            _ = try await env.api.post("enterprises/\(id)/auto-bind")
            let root2 = try #require(users["root2"]?.unionID)
            #expect(try await env.otherAPI.delete("enterprises/\(id)/binding-conflicts/\(root2)").status == .notFound)
            #expect(try await env.api.delete("enterprises/\(id)/binding-conflicts/\(root2)").status == .noContent)
            #expect(try await env.api.delete("enterprises/\(id)/binding-conflicts/\(root2)").status == .notFound)
            #expect(try await env.api.get("enterprises/\(id)/binding-conflicts").items(BindingAPITests.Conflict.self).isEmpty)
            let audit = try await env.api.get("audit?action=binding.conflict").items(AuditEntry.self)
            #expect(audit.count == 1 && audit.first?.actor == "token:ci")

            struct Named: Decodable { var oaUserID: String; var oaName: String?; var oaLoginID: String?; var feishuName: String? }
            let named = try await env.api.get("enterprises/\(id)/bindings").items(Named.self)
            #expect(named.map(\.oaName) == ["兼职者OA", "根成员一OA"])
            #expect(named.first?.oaLoginID == "zhang" && named.first?.feishuName == "兼职者")
            #expect(try await env.api.get("enterprises/\(id)/bindings?q=%E6%A0%B9").items(Named.self).map(\.oaUserID) == ["1002"])
        }
    }
}
