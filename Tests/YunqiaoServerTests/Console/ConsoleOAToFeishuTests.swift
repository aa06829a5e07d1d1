import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// 通讯录管理 (OA → 飞书) in the console (issue #14): the settings page saves and refuses by field, read-only refuses a
/// run, a preview lands on its run page with the tree (matched orange, new blue) and the tables, and a parked run is
/// approved from its page.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleOAToFeishuTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    static func settings(_ changes: [(String, String)] = []) -> [(String, String)] {
        var fields: [String: String] = ["writable": "readOnly", "topDepartmentID": "0", "createUsers": "on", "accountField": "loginID",
                                        "map_name": "name", "synced_name": "on", "map_mobile": "mobile", "synced_mobile": "on",
                                        "leaverAction": "disable", "deleteDisabledAfterDays": "", "disabledDepartmentName": "已禁用用户",
                                        "maxPercent": "10", "maxCount": "500"]
        for (key, value) in changes { fields[key] = value }
        return fields.sorted { $0.key < $1.key }
    }

    @Test func settingsPreviewAndApproval() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await ConsoleBindingTests.scenario(env)
            try await env.database.oaDirectory.importOADirectory(tenantId: env.tenantId, departments: [.init(oaID: "D-new", name: "OA 新部门")],
                                                                 users: [], mode: .merge, source: .sheet, by: .cli, at: Date())
            let browser = try await Browser.signIn(env)
            let page = try await browser.get("/console/enterprises/\(id)/oa-to-feishu")
            #expect(page.status == .ok && page.text.contains(#"value="readOnly" id="o2f-read-only" checked"#))
            #expect(try await browser.get("/console/enterprises/\(id)").text.contains(#"href="/console/enterprises/\#(id)/oa-to-feishu""#))

            // Refused by field, in Chinese; nothing saved.
            let refused = try await browser.post("/console/enterprises/\(id)/oa-to-feishu", Self.settings([("deleteDisabledAfterDays", "99999")]))
            #expect(refused.status == .badRequest && refused.text.contains(#"data-field="deleteDisabledAfterDays">必须在 0 到 3650 之间"#))
            let noMobile = try await browser.post("/console/enterprises/\(id)/oa-to-feishu", Self.settings([("map_mobile", "")]))
            #expect(noMobile.status == .badRequest && noMobile.text.contains("添加新用户需要映射姓名和手机号"))
            let saved = try await browser.post("/console/enterprises/\(id)/oa-to-feishu", Self.settings())
            #expect(saved.status == .seeOther)
            #expect(try await env.database.oaToFeishu.oaToFeishuSettings(enterpriseId: id).topDepartmentID == "0")

            // Read-only: a run is refused, naming the setting.
            let run = try await browser.post("/console/enterprises/\(id)/oa-to-feishu/run")
            #expect(run.status == .conflict && run.text.contains("接口权限为只读"))

            // A preview: its page shows the plan.
            let preview = try await browser.post("/console/enterprises/\(id)/oa-to-feishu/preview")
            let location = try #require(preview.headers[.location])
            #expect(preview.status == .seeOther && location.hasPrefix("/console/enterprises/\(id)/oa-to-feishu/runs/"))
            let plan = try await browser.get(location)
            #expect(plan.text.contains(#"data-status="preview">模拟"#))
            #expect(plan.text.contains(#"<span class="badge badge-o2f-dept-create">新建</span> OA 新部门"#))
            // Feishu's departments the OA does not have are deleted: the plan would wait for approval.
            #expect(plan.text.contains(#"<span class="badge badge-o2f-dept-delete">删除</span>"#))
            #expect(!plan.text.contains("id=\"o2f-approve\""))  // a preview is never approved

            // Read-write: the run is parked; approved from its page, it applies in the background.
            _ = try await browser.post("/console/enterprises/\(id)/oa-to-feishu", Self.settings([("writable", "readWrite")]))
            let started = try await browser.post("/console/enterprises/\(id)/oa-to-feishu/run")
            let parkedPage = try await browser.get(try #require(started.headers[.location]))
            #expect(parkedPage.text.contains(#"data-status="parked">待审批"#) && parkedPage.text.contains(#"id="o2f-approve""#))
            let runId = try #require(started.headers[.location]?.split(separator: "/").last.flatMap { Int64($0) })
            let approved = try await browser.post("/console/enterprises/\(id)/oa-to-feishu/runs/\(runId)/approve")
            #expect(approved.status == .seeOther)
            let status = try await env.database.oaToFeishu.oaToFeishuRun(tenantId: env.tenantId, id: runId).status
            #expect([.applying, .applied, .partial].contains(status))
            #expect(try await browser.get("/console/enterprises/\(id)/oa-to-feishu/runs/9999").status == .notFound)
        }
    }

    @Test func aPlanMadeAgainAtApprovalShowsWhatChanged() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await ConsoleBindingTests.scenario(env)
            let old = OAToFeishuPlan(departments: [], users: [.init(action: .create, oaID: "u2", unionID: nil, name: "李四", reason: "new")],
                                     approvalReasons: ["deletes"], activeOAUsers: 2)
            var plan = OAToFeishuPlan(departments: [], users: [.init(action: .create, oaID: "u4", unionID: nil, name: "赵六", reason: "new")],
                                      approvalReasons: ["deletes"], activeOAUsers: 2)
            plan.replaced = OAToFeishuPlanDifference(replacesRunId: 41, from: old, to: plan)
            let run = try await env.database.oaToFeishu.createOAToFeishuRun(
                OAToFeishuRunRecord(tenantId: env.tenantId, enterpriseId: id, status: .parked,
                                    plan: String(decoding: try JSONEncoder.keepingKeys().encode(plan), as: UTF8.self), createdBy: "admin",
                                    createdAt: Date()), by: .cli)
            let browser = try await Browser.signIn(env)
            let page = try await browser.get("/console/enterprises/\(id)/oa-to-feishu/runs/\(run.id ?? 0)")
            #expect(page.text.contains("审批时计划已变化") && page.text.contains(#"href="/console/enterprises/\#(id)/oa-to-feishu/runs/41""#))
            #expect(page.text.contains("<tr><td>成员</td><td>赵六</td><td>（无）</td><td>新建</td></tr>"))
            #expect(page.text.contains("<tr><td>成员</td><td>李四</td><td>新建</td><td>（无）</td></tr>"))
        }
    }
}
