import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import YunqiaoCore
import YunqiaoServices

/// Renders the console's pages: Mustache templates from `Resources/templates`, each page inheriting `layout`
/// (`{{<layout}}{{$body}}…{{/body}}{{/layout}}`), with the page's strings in zh-CN or English.
public struct ConsoleRenderer: Sendable {
    let library: MustacheLibrary

    public init() async throws {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil)?.path else {
            throw ConsoleError.missingTemplates
        }
        // The pages' words: a strings file missing or unreadable stops the bridge here, not at the first page.
        try ConsoleStrings.checkResources()
        library = try await MustacheLibrary(directory: directory)
    }

    enum ConsoleError: Error { case missingTemplates }

    /// An HTML page. `values` holds the page's data; `t` (strings), `lang`, `csrf` and `admin` are added. A `?lang=`
    /// query also sets the `lang` cookie.
    func page(_ template: String, _ values: [String: Any], context: AppRequestContext, request: Request,
              status: HTTPResponse.Status = .ok) -> Response
    {
        let language = ConsoleLanguage(request: request)
        var values = values
        values["t"] = ConsoleStrings.table(for: language)
        values["lang"] = language.rawValue
        values["langZh"] = language == .zh
        values["path"] = request.uri.path
        if let identity = context.identity {
            values["admin"] = ["name": identity.name, "superAdmin": identity.superAdmin]
            values["csrf"] = identity.csrfToken ?? ""
        }
        let html = library.render(values, withTemplate: template) ?? "template \(template) is missing"
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        // The language switch (`?lang=en`) is remembered for the next pages.
        if let chosen = request.uri.queryParameters.get("lang"), ConsoleLanguage(rawValue: chosen) != nil {
            response.setCookie(Cookie(name: "lang", value: chosen, maxAge: 365 * 86_400, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }
}

/// The console's language: `?lang=` or the `lang` cookie; zh-CN by default.
enum ConsoleLanguage: String, Sendable {
    case zh, en

    init(request: Request) {
        if let query = request.uri.queryParameters.get("lang"), let language = ConsoleLanguage(rawValue: query) {
            self = language
        } else if let cookie = request.cookies["lang"]?.value, let language = ConsoleLanguage(rawValue: cookie) {
            self = language
        } else {
            self = .zh
        }
    }
}
