import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Contact events in the admin API (issue #15): an app's event request URL and what its channel received, and the
/// users and departments that left an app's contact scope, parked until the administrator keeps or removes them.
struct DirectoryEventsAPIController {
    let database: any BridgeStore
    let longConnections: LongConnections

    struct DecideInput: Decodable {
        var ids: [Int64]
        var decision: String
    }

    struct ChannelInput: Decodable { var channel: String }

    struct RemovalList: ResponseEncodable { var items: [ScopeRemovalRecord] }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        let admin = DirectoryEventsAdmin(database: database, longConnections: longConnections)
        routes.get("apps/:id/events") { _, context in
            try await admin.channel(context.admin(), appId: context.id("id"))
        }
        routes.put("apps/:id/events") { request, context in
            let input = try await request.decode(as: ChannelInput.self, context: context)
            return try await admin.setChannel(context.admin(), appId: context.id("id"), channel: input.channel)
        }
        routes.get("enterprises/:id/scope-removals") { request, context in
            let all = request.uri.queryParameters.get("pending") == "false"
            return RemovalList(items: try await admin.removals(context.admin(), enterpriseId: context.id("id"), all: all).items)
        }
        routes.post("enterprises/:id/scope-removals/decide") { request, context in
            let input = try await request.decode(as: DecideInput.self, context: context)
            return RemovalList(items: try await admin.decide(context.admin(), enterpriseId: context.id("id"), ids: input.ids, decision: input.decision))
        }
        return routes
    }
}

extension DirectoryEventsAdmin.Channel: ResponseEncodable {}
