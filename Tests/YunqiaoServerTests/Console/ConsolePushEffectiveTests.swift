import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer

/// The push rules page shows where each module's messages go now: a rule for the module wins over an earlier 全部 rule
/// for the same app (issue #13, item 16).
@Suite(.timeLimit(.minutes(2)))
struct ConsolePushEffectiveTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    @Test func theRulesPageShowsEachModulesEffectiveTargets() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let (enterprise, apps) = try await ConsolePushTests.enterpriseWithApps(env)
            try await ConsolePushTests.createModule(browser)
            try await ConsolePushTests.createModule(browser, key: "daily-report", name: "日报", secret: "daily-report-secret-0001")
            try await ConsolePushTests.createModule(browser, key: "attendance", name: "考勤", secret: "attendance-secret-00001")
            // The 全部 rule first (the smaller id), with both apps as text; then the module's own rule, a card on the first app.
            let all = try await ConsolePushTests.createRule(browser, name: "全部推送", source: PushRules.allSources)
            for app in apps {
                #expect(try await browser.post("/console/push/rules/\(all)/targets", [("target", "\(enterprise):\(app)"), ("type", "text")])
                    .status == .seeOther)
            }
            let own = try await ConsolePushTests.createRule(browser, name: "审批卡片", source: "approval")
            #expect(try await browser.post("/console/push/rules/\(own)/targets", [("target", "\(enterprise):\(apps[0])"), ("type", "todo"),
                                                                                 ("quickApproval", "on")]).status == .seeOther)
            let off = try await ConsolePushTests.createRule(browser, name: "考勤（停用）", source: "attendance")
            #expect(try await browser.post("/console/push/rules/\(off)/targets", [("target", "\(enterprise):\(apps[1])"), ("type", "card")])
                .status == .seeOther)
            #expect(try await browser.post("/console/push/rules/\(off)/edit", [("name", "考勤（停用）"), ("source", "attendance")]).status == .seeOther)

            let page = try await browser.get("/console/push/rules")
            #expect(page.status == .ok)
            let table = try #require(page.text.components(separatedBy: #"id="push-effective-list""#).last)
            func row(_ module: String, _ app: Int64) -> String? {
                table.components(separatedBy: "<tr ").first { $0.hasPrefix(#"data-module="\#(module)" data-app="\#(app)""#) }
            }
            // 审批: the module's rule decides the first app (a todo card with quick approval); the second app keeps 全部's text.
            let approvalFirst = try #require(row("approval", apps[0]))
            #expect(approvalFirst.contains(">审批卡片</a>") && approvalFirst.contains("待办") && approvalFirst.contains("快捷审批"))
            #expect(approvalFirst.contains(#"href="/console/push/rules/\#(own)""#))
            let approvalSecond = try #require(row("approval", apps[1]))
            #expect(approvalSecond.contains(">全部推送</a>") && approvalSecond.contains("文字"))
            // 日报 has no rule of its own: 全部 for both apps.
            #expect(try #require(row("daily-report", apps[0])).contains(">全部推送</a>"))
            #expect(try #require(row("daily-report", apps[1])).contains(">全部推送</a>"))
            // 考勤's own rule is switched off: 全部 takes the second app again.
            let attendance = try #require(row("attendance", apps[1]))
            #expect(attendance.contains(">全部推送</a>") && !attendance.contains("考勤（停用）"))

            let english = try await browser.get("/console/push/rules?lang=en")
            #expect(english.text.contains("Where each module&#39;s messages go now") || english.text.contains("Where each module's messages go now"))
        }
    }
}
