import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
@testable import YunqiaoServices

/// Confirmations and rows a first-time administrator ran into (issue #13, item 19): deleting an enterprise or an app
/// names and links what still uses it (its apps, the push rules sending there), on the confirmation and on a refused
/// delete alike; unbinding one user asks first; the OA directory's rows show 兼职 only for part-time departments and
/// keep login ids whole.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleConfirmTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    @Test func deletingAnEnterpriseOrAnAppNamesAndLinksWhatUsesIt() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let (enterprise, apps) = try await ConsolePushTests.enterpriseWithApps(env)
            try await ConsolePushTests.createModule(browser)
            let rule = try await ConsolePushTests.createRule(browser, name: "审批推送", source: "approval")
            #expect(try await browser.post("/console/push/rules/\(rule)/targets", [("target", "\(enterprise):\(apps[0])"), ("type", "card")])
                .status == .seeOther)

            let confirm = try await browser.get("/console/enterprises/\(enterprise)/delete")
            #expect(confirm.status == .ok)
            #expect(confirm.text.contains(#"id="delete-blockers""#) && !confirm.text.contains(#"id="confirm-delete""#))
            for app in apps { #expect(confirm.text.contains(#"<a href="/console/apps/\#(app)" id="blocker-app-\#(app)">"#)) }
            #expect(confirm.text.contains(#"<a href="/console/push/rules/\#(rule)" id="blocker-rule-\#(rule)">审批推送</a>"#))
            #expect(confirm.text.contains("企业下的应用") && confirm.text.contains("推送到这里的推送规则"))

            // A delete sent anyway is refused, and the page names and links the same things.
            let refused = try await browser.post("/console/enterprises/\(enterprise)/delete")
            #expect(refused.status == .conflict)
            #expect(refused.text.contains(#"id="form-error""#) && refused.text.contains("审批推送"))
            #expect(refused.text.contains(#"id="blocker-rule-\#(rule)""#) && refused.text.contains(#"id="blocker-app-\#(apps[0])""#))

            // The app the rule sends through: the rule; the other app: nothing in the way.
            let app = try await browser.get("/console/apps/\(apps[0])/delete")
            #expect(app.text.contains(#"id="blocker-rule-\#(rule)""#) && !app.text.contains(#"id="confirm-delete""#))
            let free = try await browser.get("/console/apps/\(apps[1])/delete")
            #expect(!free.text.contains(#"id="delete-blockers""#) && free.text.contains(#"id="confirm-delete""#))
            #expect(try await browser.get("/console/enterprises/\(enterprise)/delete?lang=en").text.contains("Push rules that send here"))
        }
    }

    @Test func unbindingOneUserAsksFirst() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await ConsoleBindingTests.scenario(env)
            let browser = try await Browser.signIn(env)
            _ = try await browser.post("/console/enterprises/\(id)/auto-bind")
            let multi = try #require(users["multi"])
            let ask = "/console/enterprises/\(id)/bindings/unbind?oaUserID=1001&amp;back=user"

            // The user card and the bindings list lead to the question, not straight to the unbinding.
            let card = try await browser.get("/console/enterprises/\(id)/users/\(multi.unionID)")
            #expect(card.text.contains(#"href="\#(ask)" id="unbind-user""#))
            #expect(!card.text.contains(#"action="/console/enterprises/\#(id)/bindings/unbind""#))
            let list = try await browser.get("/console/enterprises/\(id)/bindings")
            #expect(list.text.contains(#"href="/console/enterprises/\#(id)/bindings/unbind?oaUserID=1001&amp;back=bindings""#))

            let question = try await browser.get("/console/enterprises/\(id)/bindings/unbind?oaUserID=1001&back=user")
            #expect(question.status == .ok)
            #expect(question.text.contains(#"id="unbind-oa-user">兼职者OA</a>"#) && question.text.contains(#"id="unbind-feishu-user">兼职者</a>"#))
            #expect(question.text.contains(#"<input type="hidden" name="back" value="user">"#))
            #expect(question.text.contains(#"href="/console/enterprises/\#(id)/users/\#(multi.unionID)" id="cancel-unbind""#))
            #expect(try await browser.get("/console/enterprises/\(id)/bindings/unbind?oaUserID=1001&back=bindings&lang=en").text
                .contains("Remove this binding?"))
            #expect(try await browser.get("/console/enterprises/\(id)/bindings/unbind?oaUserID=1005").status == .notFound)
            // Still bound until the question is answered.
            #expect(try await env.api.get("enterprises/\(id)/users?binding=bound").decode(UserPage.self).total == 2)
            let done = try await browser.post("/console/enterprises/\(id)/bindings/unbind", [("oaUserID", "1001"), ("unionID", multi.unionID),
                                                                                             ("back", "user")])
            #expect(done.status == .seeOther && done.headers[.location] == "/console/enterprises/\(id)/users/\(multi.unionID)?unbound=1")
        }
    }

    @Test func oaDirectoryRowsShowPartTimeOnlyWhenThereIsOne() async throws {
        try await APIEnvironment.with { env in
            try await ConsoleOADirectoryTests.seed(env)
            let browser = try await Browser.signIn(env)
            let rows = ConsoleDirectoryFilterTests.rows(try await browser.get("/console/oa").text, table: "oa-user-list", attribute: "data-oa-id")
            #expect(try #require(rows["1001"]).contains(#"<span class="muted part-time">兼职：销售部</span>"#))
            #expect(try #require(rows["1002"]).contains("兼职") == false)
            #expect(try #require(rows["1003"]).contains("兼职") == false)
            #expect(try #require(rows["1002"]).contains(#"<code class="login">lisi</code>"#))
            let english = ConsoleDirectoryFilterTests.rows(try await browser.get("/console/oa?lang=en").text, table: "oa-user-list",
                                                           attribute: "data-oa-id")
            #expect(try #require(english["1001"]).contains("Part-time: "))
        }
    }
}
