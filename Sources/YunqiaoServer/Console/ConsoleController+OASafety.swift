import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 用户减少阈值 of the OA directory: the threshold, and the changes it parked with apply / discard.
extension ConsoleController {
    func addOASafetyRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("oa/safety") { request, context in
            let admin = try context.admin()
            var values = try await safetyPage(admin, form: Self.thresholdForm(try await service.oaDirectory.threshold(admin)),
                                              strings(request))
            let query = request.uri.queryParameters
            if query.get("saved") != nil { values["notice"] = strings(request)["oas_saved"] }
            if query.get("applied") != nil { values["notice"] = strings(request)["oas_applied"] }
            if query.get("discarded") != nil { values["notice"] = strings(request)["oas_discarded"] }
            if query.get("parked") != nil { values["notice"] = strings(request)["oas_parked_notice"] }
            return show("oa-directory-safety", values, request, context)
        }
        routes.post("oa/safety") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            return try await submit(request, context, form, template: "oa-directory-safety",
                                    page: { try await safetyPage(admin, form: $0, strings(request)) }) {
                let threshold = DecreaseThreshold(maxPercent: try Self.limit(form["maxPercent"], "maxPercent"),
                                                  maxCount: try Self.limit(form["maxCount"], "maxCount"))
                _ = try await service.oaDirectory.setThreshold(admin, threshold)
                return "/console/oa/safety?saved=1"
            }
        }
        routes.post("oa/safety/parked/:id/apply") { _, context in
            _ = try await service.oaDirectory.applyParked(context.admin(), id: context.id("id"))
            return Self.seeOther("/console/oa/safety?applied=1")
        }
        routes.post("oa/safety/parked/:id/discard") { _, context in
            try await service.oaDirectory.discardParked(context.admin(), id: context.id("id"))
            return Self.seeOther("/console/oa/safety?discarded=1")
        }
    }

    /// A limit of the form: blank = not checked, else a whole number.
    private static func limit(_ text: String?, _ field: String) throws -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw APIError.invalid(field, "must be a whole number") }
        return value
    }

    private static func thresholdForm(_ threshold: DecreaseThreshold) -> [String: String] {
        ["maxPercent": threshold.maxPercent.map(String.init) ?? "", "maxCount": threshold.maxCount.map(String.init) ?? ""]
    }

    private func safetyPage(_ admin: AdminIdentity, form: [String: String], _ t: Strings) async throws -> PageValues {
        let parked = try await service.oaDirectory.parkedChanges(admin).map { change -> PageValues in
            ["id": change.id, "source": t["oas_source_" + change.source.rawValue] ?? change.source.rawValue,
             "leaving": "\(change.leavingUsers) / \(change.activeUsers)",
             "deleting": "\(change.deletedDepartments) / \(change.departments)",
             "createdBy": change.createdBy, "createdAt": ConsoleFormat.dateTime(change.createdAt),
             "pending": change.state == .pending, "state": t["oas_state_" + change.state.rawValue] ?? change.state.rawValue,
             "decided": change.decidedBy.map { "\($0) · " + (change.decidedAt.map(ConsoleFormat.dateTime) ?? "") } ?? false]
        }
        return ["form": form, "parked": parked, "hasParked": !parked.isEmpty]
    }
}
