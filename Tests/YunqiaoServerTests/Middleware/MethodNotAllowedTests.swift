import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
@testable import YunqiaoServer
import YunqiaoCore

/// The API contract (issue #13, item 14): a method that a known path does not have answers 405 with `Allow`, never the
/// 404 of an unknown path; HEAD is answered wherever GET is.
@Suite(.timeLimit(.minutes(1)))
struct MethodNotAllowedTests {
    @Test func aMethodThePathDoesNotHaveAnswers405WithAllow() async throws {
        try await APIEnvironment.with { env in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.patch, "enterprises", "GET, HEAD, POST"),
                (.post, "enterprises/1", "DELETE, GET, HEAD, PUT"),
                (.delete, "me", "GET, HEAD"),
                (.put, "/healthz", "GET, HEAD"),
                (.options, "audit", "GET, HEAD"),
                (.trace, "tokens/7", "DELETE"),
                (.get, "/api/v1/messages", "POST"),
                (.delete, "/logout", "POST"),
                // The trie's choice: `unbind-all` is its own path (POST only), not a binding named so.
                (.delete, "enterprises/1/bindings/unbind-all", "POST"),
            ]
            for (method, path, allow) in cases {
                let answer = try await env.api.call(method, path)
                #expect(answer.status == .methodNotAllowed, "\(method) \(path): \(answer)")
                #expect(answer.headers[.allow] == allow, "\(method) \(path)")
                #expect(answer.error?.message == "\(method.rawValue) is not allowed here; allowed: \(allow)")
                #expect(answer.headers[.contentType] == "application/json; charset=utf-8")
            }
            // Without credentials too: which methods a path has is public (the OpenAPI document says it).
            #expect(try await env.anonymous.call(.delete, "me").status == .methodNotAllowed)
        }
    }

    @Test func unknownPathsStay404AndKnownMethodsAreUntouched() async throws {
        try await APIEnvironment.with { env in
            #expect(try await env.api.call(.patch, "no-such-thing").status == .notFound)
            #expect(try await env.api.get("no-such-thing/1").status == .notFound)
            #expect(try await env.api.get("enterprises/999").status == .notFound, "an entry that does not exist")
            #expect(try await env.api.get("enterprises").status == .ok)
            let head = try await env.api.call(.head, "enterprises")
            #expect(head.status == .ok && head.text.isEmpty)
        }
    }
}
