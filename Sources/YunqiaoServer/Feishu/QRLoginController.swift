import Foundation
import HTTPTypes
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The QR page of 扫码登录 (issue #16; the use case is ``QRLogin``), `GET /qr-login/{tenant}`: with a `flow` the
/// OIDC or CAS sign-in that was sent here, without one a sign-in that ends on the chosen app's homepage. With more
/// than one enterprise it first asks which one (`app`); then it shows Feishu's QR code for that app, with a fresh
/// OAuth state (and its cookie), and a link to Feishu's web login for the same state.
struct QRLoginController {
    let qrLogin: QRLogin
    let firstVisit: FirstVisitController
    let renderer: ConsoleRenderer

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("qr-login/:tenant") { request, context in
            await OIDCController.page(renderer, request, context) { try await page(request, context) }
        }
    }

    private func page(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenantId = try OIDCController.tenant(context)
        let query = request.uri.queryParameters
        let choices = try await qrLogin.choices(tenantId: tenantId)
        guard !choices.isEmpty else { throw FirstVisitFlow.Refusal(404, "qr_disabled") }
        let handle = query.get("flow")
        let flow = try await qrLogin.flow(tenantId: tenantId, handle: handle)
        let chosen = choices.count == 1 ? choices.first : query.get("app").flatMap { Int64($0) }.flatMap { id in choices.first { $0.appId == id } }
        let base = "/qr-login/\(tenantId)" + (handle.map { "?flow=" + (PercentEncoding.component($0)) } ?? "")
        guard let chosen else {
            let links = choices.map { choice -> [String: Any] in
                ["href": base + (handle == nil ? "?" : "&") + "app=\(choice.appId)", "enterprise": choice.enterpriseName, "app": choice.appName,
                 "id": choice.appId]
            }
            return renderer.page("qr-login", ["choices": links, "hasChoices": true], context: context, request: request)
        }
        let visit = try await firstVisit.flow.visit(appId: chosen.appId)
        let (authorizeURL, state) = try await firstVisit.flow.start(visit, continuation: flow.continuation)
        let sdk = QRLogin.sdk(baseURL: visit.enterprise.baseURL, authorizeURL: authorizeURL)
        var values: [String: Any] = ["enterprise": chosen.enterpriseName, "script": sdk.scriptURL, "goto": sdk.goto, "webLogin": authorizeURL]
        if choices.count > 1 { values["switchHref"] = base }
        var response = renderer.page("qr-login", ["qr": values], context: context, request: request)
        // Feishu's SDK styles the iframe it draws (a style attribute): inline styles only, never inline scripts.
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' \(sdk.scriptOrigin); frame-src \(sdk.frameOrigin); "
            + "frame-ancestors 'none'; form-action 'self'"
        response.setCookie(FirstVisitController.stateCookie(appId: visit.appId, value: state, maxAge: Int(FirstVisitFlow.lifetime)))
        return response
    }
}
