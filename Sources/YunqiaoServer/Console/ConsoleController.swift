import Foundation
import Hummingbird
import YunqiaoStore

/// The admin console's pages under `/console`: server-rendered HTML over the same ``AdminService`` as the API.
struct ConsoleController {
    let service: AdminService
    let renderer: ConsoleRenderer

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            renderer.page("home", ["enterprises": try await service.enterprises(context.admin())], context: context, request: request)
        }
        return routes
    }

    /// The error page for a browser (nil for API and non-HTML requests, which get JSON).
    static func errorPage(_ error: APIError, request: Request, context: AppRequestContext, renderer: ConsoleRenderer) -> Response? {
        guard !request.uri.path.hasPrefix("/api/"), request.headers[.accept]?.contains("text/html") == true else { return nil }
        let language = ConsoleLanguage(request: request)
        return renderer.page("error", ["status": Int(error.status.code), "message": ConsoleStrings.message(error.message, language)],
                             context: context, request: request, status: error.status)
    }
}
