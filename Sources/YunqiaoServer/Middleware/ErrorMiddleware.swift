import Hummingbird
import Logging
import YunqiaoCore
import YunqiaoServices

/// Turns every error into a clear answer: known errors become `{"error":{"field","message"}}` 4xx answers (or the
/// console's error page for browsers); anything else is logged at `.error` with the request id and answered 500
/// without details. Never a crash, never a stack trace to the client.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders an error page for a browser request (nil: JSON).
    let page: @Sendable (APIError, Request, Context) -> Response?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let answer: APIError
            if let known = APIError.from(error) {
                answer = known
            } else {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
                answer = APIError(.internalServerError, message: "internal error (request \(context.id)); see the server log")
            }
            if let page = page(answer, request, context) { return page }
            return try answer.response(from: request, context: context)
        }
    }
}
