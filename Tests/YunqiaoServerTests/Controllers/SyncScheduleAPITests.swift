import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The sync schedules in the admin API and the console (issue #14, 定时设置): both directions read (off until saved),
/// saved, refused by field, audited, and tenants kept apart.
@Suite(.timeLimit(.minutes(2)))
struct SyncScheduleAPITests {
    @Test func schedulesAreReadSavedAndRefusedByField() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await ConsoleBindingTests.scenario(env)
            let off = try await env.api.get("enterprises/\(id)/sync-schedules").decode(SyncSchedulesView.self)
            #expect(!off.fromFeishu.enabled && !off.toFeishu.enabled && off.toFeishu.nextRunAt == nil)

            let cases: [(String, String)] = [
                (#"{"enabled": true, "everyMinutes": 4}"#, "everyMinutes"),
                (#"{"enabled": true, "cron": "* * * * *"}"#, "cron"),
                (#"{"enabled": true, "cron": "0 25 * * *"}"#, "cron"),
                (#"{"enabled": true, "everyMinutes": 60, "cron": "0 2 * * *"}"#, "cron"),
                (#"{"enabled": true, "cron": "0 2 * * *", "timeZone": "Nowhere/City"}"#, "timeZone"),
                (#"{"enabled": true, "cron": "0 2 * * *", "when": "always"}"#, "when"),
            ]
            for (body, field) in cases {
                let refused = try await env.api.put("enterprises/\(id)/sync-schedules/toFeishu", body)
                #expect(refused.status == .badRequest && refused.error?.field == field, "\(body): \(refused.text)")
            }
            #expect(try await env.api.put("enterprises/\(id)/sync-schedules/sideways", #"{"enabled": true, "everyMinutes": 60}"#).status == .notFound)

            let saved = try await env.api.put("enterprises/\(id)/sync-schedules/toFeishu", #"{"enabled": true, "cron": "0 2 * * *"}"#)
            #expect(saved.status == .ok)
            let view = try saved.decode(SyncScheduleView.self)
            #expect(view.cron == "0 2 * * *" && view.timeZone == "Asia/Shanghai")
            let next = try #require(view.nextRunAt)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = try #require(TimeZone(identifier: "Asia/Shanghai"))
            #expect(calendar.component(.hour, from: next) == 2 && next > Date() && next < Date().addingTimeInterval(86_400 + 60))
            _ = try await env.api.put("enterprises/\(id)/sync-schedules/fromFeishu", #"{"enabled": true, "everyMinutes": 30}"#)
            let both = try await env.api.get("enterprises/\(id)/sync-schedules").decode(SyncSchedulesView.self)
            #expect(both.fromFeishu.everyMinutes == 30 && both.toFeishu.cron == "0 2 * * *")
            #expect(try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.action == "syncSchedule.set" }.count == 2)
            // The same again writes nothing.
            _ = try await env.api.put("enterprises/\(id)/sync-schedules/fromFeishu", #"{"enabled": true, "everyMinutes": 30}"#)
            #expect(try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.action == "syncSchedule.set" }.count == 2)
            #expect(try await env.otherAPI.get("enterprises/\(id)/sync-schedules").status == .notFound)
            #expect(try await env.otherAPI.put("enterprises/\(id)/sync-schedules/toFeishu", #"{"enabled": false, "everyMinutes": 60}"#).status == .notFound)
        }
    }

    @Test func theConsoleSavesBothSchedulesAndShowsRefusalsInChinese() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await ConsoleBindingTests.scenario(env)
            let browser = try await ConsoleOAToFeishuTests.Browser.signIn(env)
            let page = try await browser.get("/console/enterprises/\(id)/oa-to-feishu")
            #expect(page.text.contains("定时设置") && page.text.contains("从飞书同步组织用户绑定关系") && page.text.contains(#"id="toFeishu_everyMinutes""#))

            var form = [("fromFeishu_enabled", "on"), ("fromFeishu_kind", "interval"), ("fromFeishu_everyMinutes", "120"),
                        ("fromFeishu_cron", ""), ("fromFeishu_timeZone", "Asia/Shanghai"), ("toFeishu_enabled", "on"),
                        ("toFeishu_kind", "cron"), ("toFeishu_everyMinutes", "60"), ("toFeishu_cron", "* * * * *"), ("toFeishu_timeZone", "Asia/Shanghai")]
            let refused = try await browser.post("/console/enterprises/\(id)/sync-schedules", form)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains(#"data-field="toFeishu_cron">最多每 5 分钟执行一次"#))
            #expect(refused.text.contains(#"value="* * * * *""#))  // what was entered stays
            // Neither was saved.
            #expect(try await env.database.schedules.syncSchedules(tenantId: env.tenantId, enterpriseId: id)[.fromFeishu]?.schedule.enabled == false)

            form[8] = ("toFeishu_cron", "30 1 * * 1-5")
            let saved = try await browser.post("/console/enterprises/\(id)/sync-schedules", form)
            #expect(saved.status == .seeOther)
            let stored = try await env.database.schedules.syncSchedules(tenantId: env.tenantId, enterpriseId: id)
            #expect(stored[.fromFeishu]?.schedule == SyncSchedule(enabled: true, everyMinutes: 120, cron: nil))
            #expect(stored[.toFeishu]?.schedule == SyncSchedule(enabled: true, everyMinutes: nil, cron: "30 1 * * 1-5"))
            let shown = try await browser.get(try #require(saved.headers[.location]))
            #expect(shown.text.contains("定时设置已保存") && shown.text.contains("下次执行") && shown.text.contains(#"value="30 1 * * 1-5""#))
        }
    }
}
