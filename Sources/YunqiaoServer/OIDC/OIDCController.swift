import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// The OpenID Connect provider's endpoints (issue #16; the use case is ``OIDCProvider``), one issuer per tenant under
/// `/oidc/{tenant}`: discovery, JWKS, authorize (a browser page: the sign-in is the first-visit flow of the client's
/// Feishu app), token, userinfo and RP-initiated logout. Unauthenticated: the token endpoint takes at most 16 KB of
/// form, and answers OAuth 2 errors as JSON; the browser endpoints answer refusals as pages.
struct OIDCController {
    let provider: OIDCProvider
    let firstVisit: FirstVisitController
    let renderer: ConsoleRenderer

    static let maxForm = 16 * 1024
    static let pragma = HTTPField.Name("Pragma")!

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("oidc/:tenant/.well-known/openid-configuration") { _, context in
            try Self.json(try await provider.discovery(tenantId: try Self.tenant(context)))
        }
        router.get("oidc/:tenant/jwks") { _, context in try Self.json(try await provider.jwks(tenantId: try Self.tenant(context))) }
        router.get("oidc/:tenant/authorize") { request, context in
            await page(request, context) {
                let query = Self.parameters(request)
                let tenantId = try Self.tenant(context)
                switch try await provider.authorize(tenantId: tenantId, query: query) {
                case .redirect(let target):
                    return Response.redirect(to: target, type: .found)
                case .signIn(let appId, let continuation):
                    let visit = try await firstVisit.flow.visit(appId: appId)
                    return try await firstVisit.signIn(visit, continuation: continuation, tenantId: tenantId, request: request)
                }
            }
        }
        router.post("oidc/:tenant/token") { request, context in
            await token(request, context) {
                var request = request
                let form = FormFields(String(buffer: try await request.collectBody(within: Self.maxForm)))
                return try Self.json(try await provider.exchange(tenantId: try Self.tenant(context), form: form.values,
                                                                  authorization: request.headers[.authorization]))
            }
        }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("oidc/:tenant/userinfo", method: method) { request, context in
                await token(request, context) {
                    try Self.json(try await provider.userinfo(tenantId: try Self.tenant(context), authorization: request.headers[.authorization]))
                }
            }
        }
        router.get("oidc/:tenant/logout") { request, context in
            await page(request, context) {
                if let target = try await provider.logout(tenantId: try Self.tenant(context), query: Self.parameters(request)) {
                    return Response.redirect(to: target, type: .found)
                }
                let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
                return renderer.page("first-visit-error", ["status": 200, "message": strings["oidc_signed_out"] ?? "", "code": "oidc_signed_out"],
                                     context: context, request: request)
            }
        }
    }

    private func page(_ request: Request, _ context: AppRequestContext, _ body: () async throws -> Response) async -> Response {
        await Self.page(renderer, request, context, body)
    }

    /// A browser endpoint of the provider or the CAS server: a refusal is the bridge's page with its words.
    static func page(_ renderer: ConsoleRenderer, _ request: Request, _ context: AppRequestContext,
                     _ body: () async throws -> Response) async -> Response
    {
        let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
        let refusal: (status: Int, message: String, code: String)
        do {
            var response = try await body()
            response.headers[.cacheControl] = "no-store"
            return response
        } catch let error as OIDCProvider.PageRefusal {
            refusal = (error.status, ConsoleStrings.text(error.message, in: strings), "oidc_refused")
        } catch let error as FirstVisitFlow.Refusal {
            refusal = (error.status, strings[error.key] ?? error.key, error.key)
        } catch YunqiaoError.notFound {
            refusal = (404, strings["oidc_unknown_tenant"] ?? "", "oidc_unknown_tenant")
        } catch {
            context.logger.error("oidc failed", metadata: ["error": "\(String(reflecting: error))"])
            refusal = (500, strings["fv_internal"] ?? "", "fv_internal")
        }
        return renderer.page("first-visit-error", ["status": refusal.status, "message": refusal.message, "code": refusal.code],
                             context: context, request: request, status: HTTPResponse.Status(code: refusal.status))
    }

    /// A token or userinfo call: refusals as OAuth 2 writes them, never cached.
    private func token(_ request: Request, _ context: AppRequestContext, _ body: () async throws -> Response) async -> Response {
        var response: Response
        do {
            response = try await body()
        } catch let refusal as OIDCProvider.TokenRefusal {
            response = Self.error(refusal.status, refusal.error, refusal.description)
            if refusal.status == 401 {
                response.headers[.wwwAuthenticate] = refusal.error == "invalid_token" ? #"Bearer error="invalid_token""# : #"Basic realm="yunqiao""#
            }
        } catch let error as HTTPError where error.status == .contentTooLarge {
            response = Self.error(413, "invalid_request", "the form is larger than \(Self.maxForm) bytes")
        } catch YunqiaoError.notFound {
            response = Self.error(404, "invalid_request", "no such issuer")
        } catch let refusal as OIDCProvider.PageRefusal {
            response = Self.error(refusal.status, "server_error", refusal.message.description)
        } catch {
            context.logger.error("oidc token failed", metadata: ["error": "\(String(reflecting: error))"])
            response = Self.error(500, "server_error", "the provider failed")
        }
        response.headers[.cacheControl] = "no-store"
        response.headers[Self.pragma] = "no-cache"
        return response
    }

    /// The `:tenant` of an issuer's or CAS server's path.
    static func tenant(_ context: AppRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("tenant").flatMap({ Int64($0) }), id > 0 else { throw YunqiaoError.notFound("tenant") }
        return id
    }

    /// The query as a form (`+` is a space, as OAuth clients encode `scope=openid+profile`).
    private static func parameters(_ request: Request) -> [String: String] {
        FormFields(request.uri.query ?? "").values
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func error(_ status: Int, _ error: String, _ description: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": error, "error_description": description])) ?? Data()
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
