import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The console's message push pages (消息推送, seed 三): the overview, OA modules (masked action secret, delete refused
/// while a rule uses the module), push rules with their targets (validated server side), test send through the real
/// delivery path, the message log with its detail, and dead letters with resend.
@Suite(.timeLimit(.minutes(2)))
struct ConsolePushTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    static let secret = "oa-action-secret-7Q2x"

    /// An enterprise with two apps that are never called (no emulator): enough for rules and targets.
    static func enterpriseWithApps(_ env: APIEnvironment) async throws -> (enterprise: Int64, apps: [Int64]) {
        let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技","baseURL":"https://open.feishu.cn"}"#).decode(EnterpriseView.self)
        var apps: [Int64] = []
        for (name, appID) in [("审批助手", "cli_approval0001"), ("日报助手", "cli_daily0000002")] {
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                             #"{"name":"\#(name)","appID":"\#(appID)","appSecret":"app-secret-value-0001"}"#)
            #expect(app.status == .created, "\(app)")
            apps.append(try app.decode(AppView.self).id)
        }
        return (enterprise.id, apps)
    }

    @discardableResult
    static func createModule(_ browser: Browser, key: String = "approval", name: String = "审批", secret: String = Self.secret)
        async throws -> Answer
    {
        let answer = try await browser.post("/console/push/modules/new", [("key", key), ("name", name),
                                                                          ("actionURL", "https://oa.example.com/yunqiao/actions"),
                                                                          ("actionSecret", secret)])
        #expect(answer.status == .seeOther, "\(answer)")
        return answer
    }

    /// Creates a rule through the console: its id.
    static func createRule(_ browser: Browser, name: String = "审批推送", source: String = "approval") async throws -> Int64 {
        let answer = try await browser.post("/console/push/rules/new", [("name", name), ("source", source), ("enabled", "on")])
        #expect(answer.status == .seeOther, "\(answer)")
        let location = try #require(answer.headers[.location])
        #expect(location.hasSuffix("?saved=1"))
        return try #require(Int64(location.dropFirst("/console/push/rules/".count).prefix { $0.isNumber }))
    }

    // MARK: modules

    @Test func modulesCreateEditMaskAndDeleteRefusedWhileUsed() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let empty = try await browser.get("/console/push/modules")
            #expect(empty.status == .ok)
            #expect(empty.text.contains(#"id="nav-push" class="current""#) && empty.text.contains(#"id="tab-push-modules" class="current""#))
            #expect(empty.text.contains("还没有 OA 模块。"))

            // Refused: a key with other characters, a short secret. Entered values stay, the secret never comes back.
            let badKey = try await browser.post("/console/push/modules/new", [("key", "审批 模块"), ("name", "审批模块"), ("actionSecret", Self.secret)])
            #expect(badKey.status == .badRequest)
            #expect(badKey.text.contains(#"data-field="key">只能包含字母、数字、-、_ 和 .，最多"#))
            #expect(badKey.text.contains(#"value="审批 模块""#) && badKey.text.contains(#"value="审批模块""#))
            #expect(badKey.text.contains("模块标识：只能包含字母") && !badKey.text.contains(Self.secret))
            let short = try await browser.post("/console/push/modules/new", [("key", "approval"), ("name", "审批"), ("actionSecret", "short")])
            #expect(short.status == .badRequest && short.text.contains(#"data-field="actionSecret">16 到 256 个字符"#))
            let badURL = try await browser.post("/console/push/modules/new", [("key", "approval"), ("name", "审批"), ("actionURL", "oa/actions")])
            #expect(badURL.status == .badRequest && badURL.text.contains(#"data-field="actionURL">必须是完整的 http(s) 地址"#))

            #expect(try await Self.createModule(browser).headers[.location] == "/console/push/modules?saved=1")
            let list = try await browser.get("/console/push/modules?saved=1")
            #expect(list.text.contains("已保存") && list.text.contains(#"<tr data-module="approval">"#))
            #expect(list.text.contains(#"<code class="secret-mask">••••••••7Q2x</code>"#) && !list.text.contains(Self.secret))
            let twice = try await browser.post("/console/push/modules/new", [("key", "approval"), ("name", "审批二")])
            #expect(twice.status == .conflict && twice.text.contains("已存在标识为 approval 的模块"))

            // Edit: the key is fixed, an empty secret keeps the stored one, "remove" clears it.
            let module = try #require(try await env.database.pushRules.oaModule(tenantId: env.tenantId, key: "approval"))
            let id = try #require(module.id)
            let form = try await browser.get("/console/push/modules/\(id)/edit")
            #expect(form.text.contains(#"<code id="module-key">approval</code>"#) && form.text.contains(#"placeholder="••••••••7Q2x""#))
            #expect(!form.text.contains(Self.secret) && form.text.contains(#"id="clearActionSecret""#))
            let renamed = try await browser.post("/console/push/modules/\(id)/edit", [("name", "审批流程"), ("actionURL", "https://oa.example.com/a"),
                                                                                    ("actionSecret", "")])
            #expect(renamed.status == .seeOther)
            let kept = try #require(try await env.database.pushRules.oaModule(tenantId: env.tenantId, key: "approval"))
            #expect(kept.name == "审批流程" && env.database.pushRules.actionSecretMask(of: kept) == "••••••••7Q2x")
            let refused = try await browser.post("/console/push/modules/\(id)/edit", [("name", ""), ("actionSecret", "another-secret-value-1")])
            #expect(refused.status == .badRequest && refused.text.contains(#"data-field="name">必填"#) && !refused.text.contains("another-secret"))
            #expect(refused.text.contains(#"<code id="module-key">approval</code>"#))
            _ = try await browser.post("/console/push/modules/\(id)/edit", [("name", "审批流程"), ("clearActionSecret", "on")])
            let cleared = try #require(try await env.database.pushRules.oaModule(tenantId: env.tenantId, key: "approval"))
            #expect(env.database.pushRules.actionSecretMask(of: cleared) == nil)
            #expect(try await browser.get("/console/push/modules").text.contains("未设置"))

            // Delete: refused while a rule takes its messages, with the rule named; allowed after.
            let rule = try await Self.createRule(browser)
            #expect(try await browser.get("/console/push/modules").text.contains(#"<span class="tag">审批推送</span>"#))
            let confirm = try await browser.get("/console/push/modules/\(id)/delete")
            #expect(confirm.status == .ok && confirm.text.contains("OA 模块 <strong>审批流程 (approval)</strong>"))
            let inUse = try await browser.post("/console/push/modules/\(id)/delete")
            #expect(inUse.status == .conflict)
            #expect(inUse.text.contains("模块 approval 是推送规则 审批推送 的消息来源；请先修改或删除这些规则"))
            #expect(try await browser.post("/console/push/rules/\(rule)/delete").headers[.location] == "/console/push/rules?deleted=1")
            #expect(try await browser.post("/console/push/modules/\(id)/delete").headers[.location] == "/console/push/modules?deleted=1")
            #expect(try await env.database.pushRules.oaModules(tenantId: env.tenantId).isEmpty)
            let audit = try await env.api.get("audit?action=oaModule").items(AuditEntry.self)
            #expect(Set(audit.map(\.action)) == ["oaModule.create", "oaModule.update", "oaModule.delete"])
            #expect(audit.allSatisfy { $0.actor == "admin" && !"\($0.before ?? [:])\($0.after ?? [:])".contains(Self.secret) })
        }
    }

    // MARK: rules and targets

    @Test func rulesAndTargetsAreValidatedOnTheServer() async throws {
        try await APIEnvironment.with { env in
            let (enterprise, apps) = try await Self.enterpriseWithApps(env)
            let browser = try await Browser.signIn(env)
            let noModule = try await browser.get("/console/push/rules/new")
            #expect(noModule.text.contains(#"<option value="*">全部（所有模块的消息）</option>"#) && noModule.text.contains(#"id="rule-no-modules""#))
            try await Self.createModule(browser, key: "daily-report", name: "日报")
            let form = try await browser.get("/console/push/rules/new")
            #expect(form.text.contains(#"<option value="daily-report">日报 (daily-report)</option>"#))
            #expect(form.text.contains(#"id="enabled" value="on" checked"#))

            let unnamed = try await browser.post("/console/push/rules/new", [("name", " "), ("source", "daily-report")])
            #expect(unnamed.status == .badRequest && unnamed.text.contains(#"data-field="name">必填"#))
            #expect(unnamed.text.contains(#"<option value="daily-report" selected>"#) && !unnamed.text.contains(#"id="enabled" value="on" checked"#))
            let unknown = try await browser.post("/console/push/rules/new", [("name", "日报推送"), ("source", "hr")])
            #expect(unknown.status == .badRequest && unknown.text.contains("OA 模块 hr 不存在；请先登记，或选择全部"))
            let id = try await Self.createRule(browser, name: "日报推送", source: "daily-report")
            let page = try await browser.get("/console/push/rules/\(id)?saved=1")
            #expect(page.text.contains(#"<h1 id="rule-name">日报推送</h1>"#) && page.text.contains("还没有推送目标"))
            #expect(page.text.contains(#"<option value="\#(enterprise):\#(apps[0])">示例科技 / 审批助手 (cli_approval0001)</option>"#))
            let duplicate = try await browser.post("/console/push/rules/new", [("name", "日报推送"), ("source", "*")])
            #expect(duplicate.status == .conflict && duplicate.text.contains("已存在名为 日报推送 的推送规则"))

            // Targets: a todo with quick approval; quick approval on text refused; an app twice refused; nothing chosen refused.
            let todo = try await browser.post("/console/push/rules/\(id)/targets",
                                              [("target", "\(enterprise):\(apps[0])"), ("type", "todo"), ("quickApproval", "on")])
            #expect(todo.headers[.location] == "/console/push/rules/\(id)?targetSaved=1")
            let withTarget = try await browser.get("/console/push/rules/\(id)?targetSaved=1")
            #expect(withTarget.text.contains("推送目标已保存") && withTarget.text.contains("<td>待办</td>"))
            #expect(withTarget.text.contains(#"<span class="badge badge-ok">快捷审批</span>"#))
            let quickText = try await browser.post("/console/push/rules/\(id)/targets",
                                                   [("target", "\(enterprise):\(apps[1])"), ("type", "text"), ("quickApproval", "on")])
            #expect(quickText.status == .badRequest && quickText.text.contains(#"data-field="quickApproval">快捷审批只用于待办消息"#))
            #expect(quickText.text.contains(#"<option value="\#(enterprise):\#(apps[1])" selected>"#))
            #expect(quickText.text.contains(#"<option value="text" selected>"#) && quickText.text.contains(#"id="quickApproval" value="on" checked"#))
            let again = try await browser.post("/console/push/rules/\(id)/targets", [("target", "\(enterprise):\(apps[0])"), ("type", "text")])
            #expect(again.status == .badRequest && again.text.contains(#"data-field="target">应用 审批助手 已是这条规则的推送目标"#))
            let none = try await browser.post("/console/push/rules/\(id)/targets", [("target", ""), ("type", "text")])
            #expect(none.status == .badRequest && none.text.contains(#"data-field="target">请选择企业和应用"#))
            let badType = try await browser.post("/console/push/rules/\(id)/targets", [("target", "\(enterprise):\(apps[1])"), ("type", "sms")])
            #expect(badType.status == .badRequest && badType.text.contains(#"data-field="type">只能是文字、图文、卡片或待办"#))
            let wrongPair = try await browser.post("/console/push/rules/\(id)/targets", [("target", "\(enterprise + 100):\(apps[1])"), ("type", "text")])
            #expect(wrongPair.status == .badRequest && wrongPair.text.contains(#"data-field="target">企业 \#(enterprise + 100) 不存在"#))

            // Edit a target: the form filled in, then saved as a card.
            let rule = try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: id)
            let target = try #require(rule.targets.first?.record.id)
            let editForm = try await browser.get("/console/push/rules/\(id)?target=\(target)")
            #expect(editForm.text.contains(#"action="/console/push/rules/\#(id)/targets/\#(target)""#) && editForm.text.contains("编辑推送目标"))
            #expect(editForm.text.contains(#"<option value="todo" selected>"#) && editForm.text.contains(#"id="quickApproval" value="on" checked"#))
            let edited = try await browser.post("/console/push/rules/\(id)/targets/\(target)",
                                                [("target", "\(enterprise):\(apps[0])"), ("type", "card")])
            #expect(edited.status == .seeOther)
            let saved = try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: id)
            #expect(saved.targets.map(\.record.type) == ["card"] && saved.targets.first?.record.id == target)
            let second = try await browser.post("/console/push/rules/\(id)/targets", [("target", "\(enterprise):\(apps[1])"), ("type", "rich")])
            #expect(second.status == .seeOther)
            let list = try await browser.get("/console/push/rules")
            #expect(list.text.contains(#"<tr data-rule="\#(id)">"#) && list.text.contains(#"<td class="num">2</td>"#))
            #expect(list.text.contains("日报 (daily-report)") && list.text.contains("已启用"))

            // Delete a target; edit the rule: disabled, every module.
            #expect(try await browser.post("/console/push/rules/\(id)/targets/\(target)/delete").headers[.location]
                == "/console/push/rules/\(id)?targetDeleted=1")
            #expect(try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: id).targets.map(\.record.type) == ["rich"])
            #expect(try await browser.post("/console/push/rules/\(id)/targets/\(target)/delete").status == .notFound)
            let editRule = try await browser.get("/console/push/rules/\(id)/edit")
            #expect(editRule.text.contains(#"value="日报推送""#) && editRule.text.contains(#"<option value="daily-report" selected>"#))
            #expect(try await browser.post("/console/push/rules/\(id)/edit", [("name", "全部推送"), ("source", "*")]).status == .seeOther)
            let all = try await browser.get("/console/push/rules/\(id)")
            #expect(all.text.contains(#"<dd id="rule-source">全部</dd>"#) && all.text.contains("已停用") && all.text.contains(#"id="rule-all-note""#))
            let english = try await browser.get("/console/push/rules/\(id)?lang=en")
            #expect(english.text.contains("Message source") && english.text.contains(#"<dd id="rule-source">All</dd>"#))
            #expect(english.text.contains("Rich text") && english.text.contains("Test send") && english.text.contains("Disabled"))
            let audit = try await env.api.get("audit?action=pushRule").items(AuditEntry.self)
            #expect(audit.contains { $0.action == "pushRule.update" && $0.after?["targets"]?.contains("审批助手 (cli_approval0001): card") == true })
        }
    }

    // MARK: test send, the log, a message

    /// The emulator's org synced, OA users 1001 and 1002 bound (1005 not), a module `approval` and a rule with a todo
    /// target (quick approval) for the emulator's app: the rule, target and enterprise ids.
    static func deliveryScenario(_ env: APIEnvironment, _ browser: Browser) async throws -> (rule: Int64, target: Int64, enterprise: Int64) {
        let (enterprise, _) = try await ConsoleBindingTests.scenario(env)
        #expect(try await env.api.post("enterprises/\(enterprise)/auto-bind").status == .ok)
        let app = try #require(try await env.database.integration.apps(enterpriseId: enterprise).first?.id)
        try await Self.createModule(browser)
        let rule = try await Self.createRule(browser)
        let added = try await browser.post("/console/push/rules/\(rule)/targets",
                                           [("target", "\(enterprise):\(app)"), ("type", "todo"), ("quickApproval", "on")])
        #expect(added.status == .seeOther)
        let target = try #require(try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: rule).targets.first?.record.id)
        return (rule, target, enterprise)
    }

    @Test func testSendGoesThroughTheWorkerAndTheLogShowsIt() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let browser = try await Browser.signIn(env)
            let (rule, target, _) = try await Self.deliveryScenario(env, browser)
            try await withRunningService(env.dependencies.push) {
                // By login name; the page of the message shows the delivery Feishu took.
                let sent = try await browser.post("/console/push/rules/\(rule)/targets/\(target)/test", [("oaUserID", "zhang")])
                #expect(sent.status == .seeOther)
                let location = try #require(sent.headers[.location])
                #expect(location.hasPrefix("/console/push/messages/") && location.hasSuffix("?testSent=1"))
                let messageId = try #require(Int64(location.dropFirst("/console/push/messages/".count).prefix { $0.isNumber }))
                let detail = try await env.database.messages.messageDetail(tenantId: env.tenantId, id: messageId)
                let delivery = try #require(detail.deliveries.first?.delivery)
                #expect(delivery.oaUserID == "1001" && delivery.deliveryState == .sent, "\(delivery)")
                let feishuID = try #require(delivery.feishuMessageID)
                let held = await env.emulator?.state.admin("GET", "/_emulator/messages/\(feishuID)")
                #expect(held?.status == 200)
                let page = try await browser.get(location)
                #expect(page.text.contains("测试消息已提交") && page.text.contains("云桥测试消息 · 审批推送"))
                #expect(page.text.contains(#"<code class="feishu-message-id">\#(feishuID)</code>"#))
                #expect(page.text.contains(#"data-state="sent""#) && page.text.contains("已发送") && page.text.contains("<code>test-"))
                #expect(page.text.contains(#"<dl class="kv" id="message-fields"><dt>接收人</dt><dd>兼职者OA</dd>"#))
                #expect(page.text.contains(#"<a href="/console/oa/users/1001">1001</a>"#))
                let english = try await browser.get("/console/push/messages/\(messageId)?lang=en")
                #expect(english.text.contains("Feishu message_id") && english.text.contains("Sent"))
            }
            // Refused on the rule page, next to the target's form: not bound, unknown.
            let unbound = try await browser.post("/console/push/rules/\(rule)/targets/\(target)/test", [("oaUserID", "1005")])
            #expect(unbound.status == .badRequest)
            #expect(unbound.text.contains(#"data-field="oaUserID">OA 用户 1005 在企业 模拟企业 中没有绑定飞书用户"#))
            #expect(unbound.text.contains(#"name="oaUserID" value="1005""#))
            let nobody = try await browser.post("/console/push/rules/\(rule)/targets/\(target)/test", [("oaUserID", "nobody")])
            #expect(nobody.status == .badRequest && nobody.text.contains("没有在职的 OA 用户 nobody"))

            // Messages of the OA: 1005 is skipped (not bound); 55 of them page.
            for index in 0..<55 {
                let message = PushMessage(source: "approval", idempotencyKey: "req-\(index)", recipients: ["1005"], title: "请假申请 \(index)",
                                          body: "**李四** 请假 1 天", fields: [PushMessage.Field(label: "天数", value: "1")],
                                          links: PushMessage.Links(pc: "https://oa.example.com/wf/\(index)"),
                                          todo: index == 54 ? PushMessage.Todo(id: "wf-54", actions: ["approve"]) : nil)
                _ = try await env.database.messages.acceptMessage(tenantId: env.tenantId, message, by: "oa:test")
            }
            let log = try await browser.get("/console/push/messages")
            #expect(log.status == .ok && log.text.contains(#"id="tab-push-messages" class="current""#))
            #expect(log.text.contains("共 56 · 1–50") && log.text.contains(#"id="message-page-next""#))
            #expect(log.text.contains(#"<span class="tag">待办 wf-54</span>"#))
            #expect(log.text.contains(#"<span class="badge badge-skipped" data-state="skipped">跳过 1</span>"#))
            let next = try await browser.get("/console/push/messages?offset=50")
            #expect(next.text.contains("共 56 · 51–56") && next.text.contains(#"id="message-page-prev""#) && next.text.contains("云桥测试消息"))
            let byRecipient = try await browser.get("/console/push/messages?recipient=1001")
            #expect(byRecipient.text.contains("共 1 · 1–1") && byRecipient.text.contains("云桥测试消息"))
            #expect(try await browser.get("/console/push/messages?state=sent").text.contains("共 1 · 1–1"))
            #expect(try await browser.get("/console/push/messages?state=skipped&q=%E7%94%B3%E8%AF%B7%2054").text.contains("共 1 · 1–1"))
            #expect(try await browser.get("/console/push/messages?state=dead").text.contains("没有符合条件的消息"))
            #expect(try await browser.get("/console/push/messages?source=approval&recipient=1002").text.contains("没有符合条件的消息"))
            let skipped = try #require(try await env.database.messages.messageLog(tenantId: env.tenantId, filter: .init(text: "请假申请 54")).items.first)
            let skippedPage = try await browser.get("/console/push/messages/\(skipped.message.id ?? 0)")
            #expect(skippedPage.text.contains("跳过：未绑定") && skippedPage.text.contains(#"<code>wf-54</code> <span class="badge">待处理</span>"#))
            #expect(skippedPage.text.contains(#"<pre id="message-body">**李四** 请假 1 天</pre>"#))

            // The overview counts today's deliveries by state.
            let overview = try await browser.get("/console/push")
            #expect(overview.text.contains(#"<dd id="today-messages">56</dd>"#))
            #expect(overview.text.contains(#"<a href="/console/push/messages?state=sent" id="today-sent">1</a>"#))
            #expect(overview.text.contains(#"<a href="/console/push/messages?state=skipped" id="today-skipped">55</a>"#))
            #expect(try await browser.get("/console/push?lang=en").text.contains("Messages today"))
        }
    }

    // MARK: dead letters

    /// Fails every due delivery for good, as the worker does after its last attempt.
    static func killDue(_ env: APIEnvironment) async throws {
        let jobs = try await env.database.outbox.claimDueDeliveries(limit: 100, now: Date().addingTimeInterval(60), lease: .test)
        try await env.database.outbox.finishDeliveries(jobs.map { ($0.id, .dead(error: "Feishu 230020: rate limited, 8 attempts")) }, lease: .test,
                                                       at: Date())
    }

    @Test func deadLettersResendOneAndAll() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let browser = try await Browser.signIn(env)
            _ = try await Self.deliveryScenario(env, browser)
            let accepted = try await env.database.messages.acceptMessage(
                tenantId: env.tenantId, PushMessage(source: "approval", idempotencyKey: "req-1", recipients: ["1001", "1002"], title: "报销审批"),
                by: "oa:test")
            #expect(accepted.planned == 2)
            let pending = try await env.database.messages.messageDetail(tenantId: env.tenantId, id: accepted.id).deliveries.map(\.delivery)
            let notDead = try #require(pending.first?.id)
            let stillPending = try await browser.post("/console/push/deliveries/\(notDead)/resend", [("back", "dead-letters")])
            #expect(stillPending.status == .conflict && stillPending.text.contains("只有失败或跳过的投递"))
            try await Self.killDue(env)

            let page = try await browser.get("/console/push/dead-letters")
            #expect(page.status == .ok && page.text.contains("共 2 · 1–2") && page.text.contains("报销审批"))
            #expect(page.text.contains("Feishu 230020: rate limited, 8 attempts") && page.text.contains("发送消息"))
            #expect(page.text.contains(#"id="resend-all-link""#))
            let detail = try await browser.get("/console/push/messages/\(accepted.id)")
            #expect(detail.text.contains(#"data-state="dead""#) && detail.text.contains("失败（死信）") && detail.text.contains("重新发送"))
            #expect(try await browser.get("/console/push").text.contains(#"<span class="count error" id="dead-count">2</span>"#))

            // One from the message page, back to it.
            let one = try await browser.post("/console/push/deliveries/\(notDead)/resend", [("back", "message"), ("message", "\(accepted.id)")])
            #expect(one.headers[.location] == "/console/push/messages/\(accepted.id)?resent=1")
            #expect(try await browser.get("/console/push/messages/\(accepted.id)?resent=1").text.contains("已重新排队发送"))
            let after = try await env.database.messages.deadLetters(tenantId: env.tenantId)
            #expect(after.total == 1)
            // All of them, after a confirmation.
            try await Self.killDue(env)
            let confirm = try await browser.get("/console/push/dead-letters/resend-all")
            #expect(confirm.text.contains(#"<strong id="resend-all-count">2</strong>"#))
            let all = try await browser.post("/console/push/dead-letters/resend-all")
            #expect(all.headers[.location] == "/console/push/dead-letters?resentAll=2")
            let done = try await browser.get("/console/push/dead-letters?resentAll=2")
            #expect(done.text.contains("已重新排队 2 条死信") && done.text.contains("没有死信。") && !done.text.contains(#"id="resend-all-link""#))
            #expect(try await browser.get("/console/push/dead-letters/resend-all").text.contains(#"id="resend-all-none""#))
            let states = try await env.database.messages.messageDetail(tenantId: env.tenantId, id: accepted.id).deliveries.map(\.delivery.deliveryState)
            #expect(states == [.pending, .pending])
            let audit = try await env.api.get("audit?action=delivery").items(AuditEntry.self)
            #expect(Set(audit.map(\.action)) == ["delivery.resend", "delivery.resendAll"])
            #expect(try await browser.get("/console/push/dead-letters?lang=en").text.contains("Dead letters"))
        }
    }

    // MARK: CSRF and tenants

    @Test func postsNeedTheCSRFTokenAndEveryRouteStaysInItsTenant() async throws {
        try await APIEnvironment.with { env in
            let (enterprise, apps) = try await Self.enterpriseWithApps(env)
            let browser = try await Browser.signIn(env)
            try await Self.createModule(browser)
            let module = try #require(try await env.database.pushRules.oaModule(tenantId: env.tenantId, key: "approval")?.id)
            let rule = try await Self.createRule(browser)
            _ = try await browser.post("/console/push/rules/\(rule)/targets", [("target", "\(enterprise):\(apps[0])"), ("type", "text")])
            let target = try #require(try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: rule).targets.first?.record.id)
            try await env.database.oaDirectory.upsertOAUsers([OAUserRecord(tenantId: env.tenantId, oaID: "1005", loginID: "li", name: "李四")])
            let accepted = try await env.database.messages.acceptMessage(
                tenantId: env.tenantId, PushMessage(source: "approval", idempotencyKey: "req-1", recipients: ["1005"], title: "机密标题"),
                by: "oa:test")
            let delivery = try #require(try await env.database.messages.messageDetail(tenantId: env.tenantId, id: accepted.id).deliveries.first?.delivery.id)

            let posts: [(String, [(String, String)])] = [
                ("/console/push/modules/new", [("key", "hr"), ("name", "人事")]),
                ("/console/push/modules/\(module)/edit", [("name", "改名")]),
                ("/console/push/modules/\(module)/delete", []),
                ("/console/push/rules/new", [("name", "另一条"), ("source", "*")]),
                ("/console/push/rules/\(rule)/edit", [("name", "改名"), ("source", "*")]),
                ("/console/push/rules/\(rule)/delete", []),
                ("/console/push/rules/\(rule)/targets", [("target", "\(enterprise):\(apps[1])"), ("type", "text")]),
                ("/console/push/rules/\(rule)/targets/\(target)", [("target", "\(enterprise):\(apps[0])"), ("type", "card")]),
                ("/console/push/rules/\(rule)/targets/\(target)/delete", []),
                ("/console/push/rules/\(rule)/targets/\(target)/test", [("oaUserID", "1005")]),
                ("/console/push/deliveries/\(delivery)/resend", []),
                ("/console/push/dead-letters/resend-all", []),
            ]
            for (path, fields) in posts {
                #expect(try await browser.post(path, fields, csrf: false).status == .forbidden, "\(path)")
            }

            let bob = try await Browser.signIn(env, username: "bob")
            for path in ["/console/push/modules/\(module)/edit", "/console/push/modules/\(module)/delete", "/console/push/rules/\(rule)",
                         "/console/push/rules/\(rule)/edit", "/console/push/rules/\(rule)/delete", "/console/push/messages/\(accepted.id)"]
            {
                #expect(try await bob.get(path).status == .notFound, "\(path)")
            }
            for (path, fields) in posts where !path.hasSuffix("/new") && !path.hasSuffix("resend-all") {
                #expect(try await bob.post(path, fields).status == .notFound, "\(path)")
            }
            // Bob's lists hold none of it; his "resend all" finds nothing of ours; his rule cannot take our app.
            for path in ["/console/push", "/console/push/modules", "/console/push/rules", "/console/push/messages", "/console/push/dead-letters"] {
                let page = try await bob.get(path)
                #expect(page.status == .ok && !page.text.contains("审批推送") && !page.text.contains("机密标题") && !page.text.contains("示例科技"), "\(path)")
            }
            #expect(try await bob.post("/console/push/dead-letters/resend-all").headers[.location] == "/console/push/dead-letters?resentAll=0")
            let bobRule = try await Self.createRule(bob, name: "鲍勃的规则", source: "*")
            let stolen = try await bob.post("/console/push/rules/\(bobRule)/targets", [("target", "\(enterprise):\(apps[0])"), ("type", "text")])
            #expect(stolen.status == .badRequest && stolen.text.contains(#"data-field="target">企业 \#(enterprise) 不存在"#))
            #expect(!(try await bob.get("/console/push/rules/\(bobRule)").text.contains("审批助手")))

            // Nothing changed for the admin.
            #expect(try await env.database.pushRules.oaModule(tenantId: env.tenantId, id: module).name == "审批")
            #expect(try await env.database.pushRules.pushRule(tenantId: env.tenantId, id: rule).targets.map(\.record.type) == ["text"])
        }
    }
}
