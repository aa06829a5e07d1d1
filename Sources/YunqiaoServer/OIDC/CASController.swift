import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// The CAS server's endpoints (issue #16; the use case is ``CASServer``), per tenant under `/cas/{tenant}`: `login`
/// (a browser page: the sign-in is the first-visit flow), `serviceValidate` (CAS 2.0), `p3/serviceValidate` (CAS 3.0,
/// with attributes) and `logout`. Validations answer the protocol's XML.
struct CASController {
    let server: CASServer
    let firstVisit: FirstVisitController
    let renderer: ConsoleRenderer

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("cas/:tenant/login") { request, context in
            await OIDCController.page(renderer, request, context) {
                let query = FormFields(request.uri.query ?? "")
                let tenantId = try OIDCController.tenant(context)
                let (appId, continuation) = try await server.login(tenantId: tenantId, service: query["service"])
                return try await firstVisit.signIn(try await firstVisit.flow.visit(appId: appId), continuation: continuation, tenantId: tenantId,
                                                   request: request)
            }
        }
        for (path, attributes) in [("cas/:tenant/serviceValidate", false), ("cas/:tenant/p3/serviceValidate", true)] {
            router.get(RouterPath(path)) { request, context in
                let query = FormFields(request.uri.query ?? "")
                do {
                    let validated = try await server.validate(tenantId: try OIDCController.tenant(context), service: query["service"], ticket: query["ticket"])
                    return Self.xml(Self.success(validated, attributes: attributes))
                } catch let failure as CASServer.Failure {
                    return Self.xml(Self.failure(failure.code, failure.message))
                } catch YunqiaoError.notFound {
                    return Self.xml(Self.failure("INVALID_REQUEST", "no such CAS server"))
                }
            }
        }
        router.get("cas/:tenant/logout") { request, context in
            await OIDCController.page(renderer, request, context) {
                let query = FormFields(request.uri.query ?? "")
                if let target = try await server.logout(tenantId: try OIDCController.tenant(context), service: query["service"]) {
                    return Response.redirect(to: target, type: .found)
                }
                let strings = ConsoleStrings.table(for: ConsoleLanguage(request: request))
                return renderer.page("first-visit-error", ["status": 200, "message": strings["oidc_signed_out"] ?? "", "code": "oidc_signed_out"],
                                     context: context, request: request)
            }
        }
    }

    static func success(_ validated: CASServer.Validated, attributes: Bool) -> String {
        var lines = ["<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">", "  <cas:authenticationSuccess>",
                     "    <cas:user>\(escape(validated.user))</cas:user>"]
        if attributes {
            lines.append("    <cas:attributes>")
            lines += validated.attributes.map { "      <cas:\($0.name)>\(escape($0.value))</cas:\($0.name)>" }
            lines.append("    </cas:attributes>")
        }
        lines += ["  </cas:authenticationSuccess>", "</cas:serviceResponse>"]
        return lines.joined(separator: "\n")
    }

    static func failure(_ code: String, _ message: String) -> String {
        "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:authenticationFailure code=\"\(code)\">\(escape(message))"
            + "</cas:authenticationFailure>\n</cas:serviceResponse>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }

    static func xml(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
