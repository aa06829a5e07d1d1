import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 定时设置 on the 通讯录管理 page: the schedules of both directions of an enterprise's directory sync (from Feishu,
/// seed 4.2.1 是否定时同步; to Feishu, seed 4.2.3), each every N minutes or a cron expression, with when it runs next
/// and what it last did.
extension ConsoleController {
    func addSyncScheduleRoutes(to routes: RouteCollection<AppRequestContext>, _ mode3: OAToFeishuAdmin) {
        routes.post("enterprises/:id/sync-schedules") { request, context in
            let admin = try context.admin(), id = try context.id("id")
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "oa-to-feishu", page: { entered in
                let settings = Self.settingsForm(try await mode3.settings(admin, enterpriseId: id))
                return try await oaToFeishuPage(admin, id, settings, mode3, strings(request), scheduleForm: entered)
            }) {
                let schedules = try SyncDirection.allCases.map { ($0, try Self.schedule($0, form.values)) }
                for (direction, schedule) in schedules {
                    try Self.prefixed(direction) { try schedule.validate() }
                }
                for (direction, schedule) in schedules {
                    _ = try await mode3.setSchedule(admin, enterpriseId: id, direction: direction, schedule)
                }
                return "/console/enterprises/\(id)/oa-to-feishu?scheduled=1#schedules"
            }
        }
    }

    /// The schedules as the page shows them: the stored ones, or what the admin entered when the save was refused.
    func scheduleRows(_ admin: AdminIdentity, _ id: Int64, _ mode3: OAToFeishuAdmin, _ entered: [String: String]?,
                      _ t: Strings) async throws -> [PageValues]
    {
        let stored = try await mode3.schedules(admin, enterpriseId: id)
        return [(SyncDirection.fromFeishu, stored.fromFeishu), (.toFeishu, stored.toFeishu)].map { direction, view in
            let d = direction.rawValue
            let form = entered ?? Self.scheduleForm(direction, view)
            var row: PageValues = ["direction": d, "title": t["schedule_" + d] ?? d, "enabled": form[d + "_enabled"] != nil,
                                   "cronKind": form[d + "_kind"] == "cron", "everyMinutes": form[d + "_everyMinutes"] ?? "",
                                   "cron": form[d + "_cron"] ?? "", "timeZone": form[d + "_timeZone"] ?? SyncSchedule.defaultTimeZone]
            // In the schedule's own time zone, as the admin wrote it.
            let zone = TimeZone(identifier: view.timeZone) ?? .current
            row["next"] = view.nextRunAt.map { ConsoleFormat.dateTime($0, in: zone) } ?? ""
            if let fired = view.lastFiredAt {
                row["lastFiredAt"] = ConsoleFormat.dateTime(fired)
                row["outcome"] = view.lastOutcome.map { t["schedule_outcome_" + $0] ?? $0 } ?? t["schedule_outcome_running"] ?? ""
                row["note"] = view.lastNote.map { ConsoleStrings.text($0, in: t) } ?? ""
                if view.lastOutcome == "started", let run = view.lastRunId {
                    row["runHref"] = direction == .fromFeishu ? "/console/enterprises/\(id)/sync-runs/\(run)" : "/console/enterprises/\(id)/oa-to-feishu/runs/\(run)"
                    row["runId"] = run
                }
            }
            return row
        }
    }

    /// One direction's schedule as the form shows it (fields `<direction>_enabled`, `_kind`, `_everyMinutes`, `_cron`,
    /// `_timeZone`).
    static func scheduleForm(_ direction: SyncDirection, _ view: SyncScheduleView) -> [String: String] {
        let d = direction.rawValue
        var form = [d + "_kind": view.cron == nil ? "interval" : "cron", d + "_everyMinutes": view.everyMinutes.map(String.init) ?? "",
                    d + "_cron": view.cron ?? "", d + "_timeZone": view.timeZone]
        if view.enabled { form[d + "_enabled"] = "on" }
        return form
    }

    /// The schedule a form post says for `direction`; a field at fault is named with the direction's prefix.
    static func schedule(_ direction: SyncDirection, _ form: [String: String]) throws -> SyncSchedule {
        let d = direction.rawValue
        let zone = form[d + "_timeZone"]?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? SyncSchedule.defaultTimeZone
        switch form[d + "_kind"] {
        case "cron":
            return SyncSchedule(enabled: form[d + "_enabled"] != nil, everyMinutes: nil,
                                cron: form[d + "_cron"]?.trimmingCharacters(in: .whitespaces) ?? "", timeZone: zone)
        case "interval":
            let text = form[d + "_everyMinutes"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard let minutes = Int(text) else { throw APIError.invalid(d + "_everyMinutes", "must be a whole number") }
            return SyncSchedule(enabled: form[d + "_enabled"] != nil, everyMinutes: minutes, cron: nil, timeZone: zone)
        default:
            throw APIError.invalid(d + "_kind", "not one of the choices")
        }
    }

    /// Runs `check`, naming a field it refuses with the direction's prefix (`toFeishu_cron`).
    static func prefixed(_ direction: SyncDirection, _ check: () throws -> Void) throws {
        do { try check() } catch YunqiaoError.invalid(let field, let message) {
            throw YunqiaoError.invalid(field: direction.rawValue + "_" + field, message: message)
        }
    }
}
