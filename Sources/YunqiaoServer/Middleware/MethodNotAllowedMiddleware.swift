import HTTPTypes
import Hummingbird
import YunqiaoCore
import NIOCore

/// A method that a known path does not have: 405 with `Allow` listing the methods it has, instead of the router's 404.
///
/// Added to the router after every route (``Router/answerUnknownMethods()``), it wraps only the router's not-found
/// answer: a request reaches it when no route has both its path and its method. Which path a request has is resolved
/// by a router of the same paths (each answering the methods it has), so it matches exactly as the routes do.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The same paths as the routes; `GET` on one answers 204 with `Allow` = the methods its routes have.
    let paths: RouterResponder<Context>

    init(routes: [Router<Context>.RouteDescription]) {
        var methods: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes { methods[route.path.description, default: (route.path, [])].methods.insert(route.method) }
        let router = Router(context: Context.self)
        for (path, known) in methods.values {
            var allowed = known
            if allowed.contains(.get) { allowed.insert(.head) }  // answered like GET, without the body
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            router.get(path) { _, _ in Response(status: .noContent, headers: [.allow: allow]) }
        }
        paths = router.buildResponder()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var head = request.head
        head.method = .get
        let probe = try await paths.respond(to: Request(head: head, body: .init(buffer: ByteBuffer())), context: context)
        guard probe.status == .noContent, let allow = probe.headers[.allow] else { return try await next(request, context) }
        var error = APIError(.methodNotAllowed, message: "\(request.method.rawValue) is not allowed here; allowed: \(allow)")
        error.headers[.allow] = allow
        throw error
    }
}

extension Router {
    /// Answers the methods a known path does not have with 405 and `Allow`. Call it after adding every route: the
    /// middleware it adds applies only to the routes added after it, and to the router's not-found answer.
    func answerUnknownMethods() {
        add(middleware: MethodNotAllowedMiddleware(routes: routes))
    }
}
