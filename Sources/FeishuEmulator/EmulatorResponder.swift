import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP face of the emulator: matches the route, hands the call to ``EmulatorState`` and writes the answer
/// the way the platform does (`X-Tt-Logid` on every answer, text/plain 404 for unknown paths and wrong methods).
struct EmulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let state: EmulatorState
    let latency: Duration
    static let maxBody = 20 * 1024 * 1024

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        let method = request.method.rawValue
        var query: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters {
            query[String(key), default: []].append(String(value))  // already decoded by Hummingbird
        }
        let body = try await request.body.collect(upTo: Self.maxBody)
        let data = Data(body.readableBytesView)

        let logID = Self.makeLogID()
        let answer: EmulatorResponse
        if path == "/_emulator" || path.hasPrefix("/_emulator/") {
            answer = await state.handleAdmin(method: method, path: path, query: query, body: data)
            return Self.response(answer, logID: logID)
        } else if method == "POST", path == "/callback/ws/endpoint" {
            answer = await state.longConnectionEndpoint(body: data, authority: request.head.authority ?? "127.0.0.1")
        } else if let (endpoint, parameters) = Router.match(method: method, path: path) {
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let call = APICall(endpoint: endpoint, pathParameters: parameters, query: query, rawQuery: request.uri.query,
                               authority: request.head.authority, headers: headers, body: data, logID: logID)
            answer = await state.handle(call)
        } else {
            answer = .notFound
        }
        let delay = latency + .milliseconds(await state.admin.faults.latencyMs)
        if delay > .zero { try await Task.sleep(for: delay) }
        return Self.response(answer, logID: logID)
    }

    private static func response(_ answer: EmulatorResponse, logID: String) -> Response {
        var headers = HTTPFields()
        if let name = HTTPField.Name("X-Tt-Logid") { headers[name] = logID }
        let bytes: ByteBuffer
        switch answer.body {
        case .json(let json):
            headers[.contentType] = "application/json; charset=utf-8"
            bytes = ByteBuffer(string: json.serialized)
        case .text(let text):
            headers[.contentType] = "text/plain; charset=utf-8"
            bytes = ByteBuffer(string: text)
        case .html(let html):
            headers[.contentType] = "text/html; charset=utf-8"
            bytes = ByteBuffer(string: html)
        case .javascript(let script):
            headers[.contentType] = "application/javascript; charset=utf-8"
            bytes = ByteBuffer(string: script)
        }
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    /// Log ids look like the platform's: a UTC timestamp and random hex, e.g. `20261126103045A1B2C3D4E5F6071829`.
    private static func makeLogID() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let stamp = String(format: "%04d%02d%02d%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        return stamp + String(format: "%016llX%02X", UInt64.random(in: 0...UInt64.max), UInt8.random(in: 0...255))
    }
}

/// The long connection's port for what is not upgraded: a refused handshake (or a plain GET) is answered 403 or 514
/// with the `Handshake-*` headers (`feishu-longconn.md` §3).
struct HandshakeRefusalResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let state: EmulatorState

    func respond(to request: Request, context: Context) async throws -> Response {
        var ticket: String?
        for (key, value) in request.uri.queryParameters where key == "ticket" { ticket = String(value) }
        let answer = await state.refusedHandshake(ticket: ticket)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        for (name, value) in answer.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
        let text: String = if case .text(let body) = answer.body { body } else { "" }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
