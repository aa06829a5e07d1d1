import Foundation
import YunqiaoCore
import YunqiaoServices

/// What the run page of mode 3 shows: the plan as a tree and tables, in the reader's words, and the report.
enum OAToFeishuRunPage {
    static func values(_ run: OAToFeishuRunRecord, _ t: [String: String]) throws -> PageValues {
        let plan = try run.decodedPlan()
        // Department names by Feishu id and by pending id, for the users' departments.
        var names: [String: String] = ["0": t["dir_root"] ?? "0", OAToFeishuPlanner.disabledPending: ""]
        for step in plan.departments {
            if let id = step.feishuID { names[id] = step.name }
            names[step.oaID.map(OAToFeishuPlanner.pending) ?? OAToFeishuPlanner.disabledPending] = step.name
        }
        let separator = t["list_separator"] ?? ", "
        // The tree depth first (each department under its parent), as the plan's paths say.
        let departments = plan.departments.sorted { $0.path.lexicographicallyPrecedes($1.path) }.map { step -> [String: Any] in
            ["name": step.name, "path": step.path.filter { !$0.isEmpty }.joined(separator: " / "), "depth": min(8, max(0, step.path.count - 1)),
             "action": step.action.rawValue, "actionLabel": t["o2f_action_dept_" + step.action.rawValue] ?? step.action.rawValue,
             "reason": ConsoleStrings.text(step.reason, in: t)]
        }
        func users(_ actions: [OAToFeishuPlan.UserStep.Action]) -> [[String: Any]] {
            plan.users.filter { actions.contains($0.action) }.map { step in
                ["name": step.name, "oaID": step.oaID ?? "", "account": step.account ?? false,
                 "actionLabel": t["o2f_action_user_" + step.action.rawValue] ?? step.action.rawValue,
                 "departments": step.departments.map { $0.map { names[$0] ?? $0 }.joined(separator: separator) } ?? false,
                 "changes": step.changes.map { change in
                     ["field": t["o2f_field_" + change.field.rawValue] ?? change.field.rawValue, "old": change.old ?? "—", "new": change.new ?? "—"]
                 },
                 "reason": ConsoleStrings.text(step.reason, in: t)]
            }
        }
        var values: PageValues = [
            "run": ["id": run.id ?? 0, "status": run.status.rawValue, "statusLabel": t["o2f_status_" + run.status.rawValue] ?? run.status.rawValue,
                    "createdBy": run.createdBy, "createdAt": ConsoleFormat.dateTime(run.createdAt),
                    "decided": run.decidedBy.map { "\($0) · " + (run.decidedAt.map(ConsoleFormat.dateTime) ?? "") } ?? false,
                    "enterpriseId": run.enterpriseId, "parked": run.status == .parked, "applying": run.status == .applying,
                    "error": run.error ?? false],
            "reasons": plan.approvalReasons.map { ConsoleStrings.text($0, in: t) },
            "counts": plan.counts.sorted { $0.key < $1.key }.map { ["label": t["o2f_count_" + $0.key.replacingOccurrences(of: ".", with: "_")] ?? $0.key,
                                                                    "count": $0.value] },
            "departments": departments,
            "creates": users([.create]), "updates": users([.update, .enable]), "disables": users([.disable]),
            "deletes": users([.delete]), "outOfScope": users([.deleteOutOfScope]), "skips": users([.skip]),
            "refresh": run.status == .applying,
        ]
        for key in ["creates", "updates", "disables", "deletes", "outOfScope", "skips"] {
            values["has" + key.prefix(1).uppercased() + key.dropFirst()] = !((values[key] as? [[String: Any]]) ?? []).isEmpty
        }
        values["hasReasons"] = !plan.approvalReasons.isEmpty
        if let replaced = plan.replaced {
            func label(_ kind: OAToFeishuPlanDifference.Item.Kind, _ action: String?) -> String {
                guard let action else { return t["o2f_diff_none"] ?? "—" }
                return t[(kind == .department ? "o2f_action_dept_" : "o2f_action_user_") + action] ?? action
            }
            values["replaced"] = [
                "runId": replaced.replacesRunId,
                "href": "/console/enterprises/\(run.enterpriseId)/oa-to-feishu/runs/\(replaced.replacesRunId)",
                "items": replaced.items.map { item -> [String: Any] in
                    ["kind": t["o2f_diff_" + item.kind.rawValue] ?? item.kind.rawValue, "name": item.name,
                     "before": label(item.kind, item.before), "after": label(item.kind, item.after)]
                },
                "empty": replaced.items.isEmpty,
            ]
        }
        if let text = run.report, let report = try? JSONDecoder().decode(OAToFeishuReport.self, from: Data(text.utf8)) {
            let label = { (key: String) in t["o2f_count_" + key.replacingOccurrences(of: ".", with: "_")] ?? key }
            values["report"] = [
                "applied": report.applied.sorted { $0.key < $1.key }.map { ["label": label($0.key), "count": $0.value] },
                "failed": report.failures.map { ["action": label($0.action), "name": $0.name, "message": ConsoleStrings.text($0.message, in: t)] },
                "hasFailures": !report.failures.isEmpty,
                "duration": ConsoleFormat.duration(milliseconds: report.durationMs, t), "apiCalls": report.apiCalls,
            ]
        }
        return values
    }
}
