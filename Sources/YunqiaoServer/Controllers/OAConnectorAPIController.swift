import Foundation
import Hummingbird
import YunqiaoServices
import YunqiaoCore

/// The OA pull connector in the admin API (issue #6, way 3): its settings, a check of the OA, "run now" and the run
/// history. Bearer token or console session + CSRF, scoped to the caller's tenant.
struct OAConnectorAPIController {
    let connector: OAConnectorAdmin

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("oa-connector") { _, context in try await connector.view(context.admin()) }
        routes.put("oa-connector") { request, context in
            try await connector.save(context.admin(), request.decode(as: OAConnectorInput.self, context: context))
        }
        routes.post("oa-connector/check") { _, context in try await connector.check(context.admin()) }
        routes.post("oa-connector/run") { _, context in
            let (run, started) = try await connector.runNow(context.admin())
            return EditedResponse(status: started ? .accepted : .ok, response: OAConnectorRunStart(started: started, run: run))
        }
        routes.get("oa-connector/runs") { request, context in
            let limit = try AdminAPIController.int(request.uri.queryParameters.get("limit"), "limit") ?? 50
            guard (1...200).contains(limit) else { throw APIError.invalid("limit", "must be between 1 and 200") }
            return Items(try await connector.runs(context.admin(), limit: limit))
        }
        routes.get("oa-connector/runs/:id") { _, context in try await connector.run(context.admin(), id: context.id("id")) }
        return routes
    }
}

struct OAConnectorRunStart: ResponseEncodable, Sendable {
    var started: Bool
    var run: OAConnectorRunView
}

extension OAConnectorView: ResponseEncodable {}
extension OAConnectorRunView: ResponseEncodable {}
