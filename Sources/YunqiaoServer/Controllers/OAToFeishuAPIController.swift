import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Mode 3 (OA → Feishu) in the admin API (issue #14): the settings of an enterprise, a preview, a run (planned at once,
/// applied in the background: 202), the runs, a run with its plan and report, approve and discard, and the schedules of
/// both directions. Bearer token or
/// console session + CSRF, scoped to the caller's tenant.
struct OAToFeishuAPIController {
    let mode3: OAToFeishuAdmin

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("enterprises/:id/oa-to-feishu/settings") { _, context in
            try await mode3.settings(context.admin(), enterpriseId: context.id("id"))
        }
        routes.put("enterprises/:id/oa-to-feishu/settings") { request, context in
            try await mode3.setSettings(context.admin(), enterpriseId: context.id("id"), request.decode(as: OAToFeishuSettings.self, context: context))
        }
        routes.post("enterprises/:id/oa-to-feishu/preview") { _, context in
            EditedResponse(status: .created, response: try OAToFeishuRunView(try await mode3.preview(context.admin(), enterpriseId: context.id("id"))))
        }
        routes.post("enterprises/:id/oa-to-feishu/runs") { _, context in
            EditedResponse(status: .accepted, response: try OAToFeishuRunView(try await mode3.start(context.admin(), enterpriseId: context.id("id"))))
        }
        routes.get("enterprises/:id/oa-to-feishu/runs") { request, context in
            let limit = try AdminAPIController.int(request.uri.queryParameters.get("limit"), "limit") ?? 20
            guard (1...200).contains(limit) else { throw APIError.invalid("limit", "must be between 1 and 200") }
            return Items(try await mode3.runs(context.admin(), enterpriseId: context.id("id"), limit: limit).map { try OAToFeishuRunView($0, withPlan: false) })
        }
        routes.get("oa-to-feishu/runs/:id") { _, context in try OAToFeishuRunView(try await mode3.run(context.admin(), runId: context.id("id"))) }
        routes.post("oa-to-feishu/runs/:id/approve") { _, context in
            let run = try await mode3.approve(context.admin(), runId: context.id("id"))
            return EditedResponse(status: run.status == .applying ? .accepted : .ok, response: try OAToFeishuRunView(run))
        }
        routes.post("oa-to-feishu/runs/:id/discard") { _, context in
            try OAToFeishuRunView(try await mode3.discard(context.admin(), runId: context.id("id")))
        }
        routes.get("enterprises/:id/sync-schedules") { _, context in
            try await mode3.schedules(context.admin(), enterpriseId: context.id("id"))
        }
        routes.put("enterprises/:id/sync-schedules/:direction") { request, context in
            let name = try context.parameters.require("direction")
            guard let direction = SyncDirection(rawValue: name) else {
                throw APIError(.notFound, message: "no schedule \(name): fromFeishu or toFeishu")
            }
            return try await mode3.setSchedule(context.admin(), enterpriseId: context.id("id"), direction: direction,
                                               request.decode(as: SyncSchedule.self, context: context))
        }
        return routes
    }
}

extension OAToFeishuSettings: ResponseEncodable {}
extension OAToFeishuRunView: ResponseEncodable {}
extension SyncSchedulesView: ResponseEncodable {}
extension SyncScheduleView: ResponseEncodable {}
