import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

/// `/openapi.json` describes exactly the routes the server has.
@Suite(.timeLimit(.minutes(1)))
struct OpenAPIDocumentTests {
    /// Routes outside the admin API that the document describes too.
    static let documentedExtras: Set<String> = ["/healthz", "/metrics", "/openapi.json", "/login", "/logout"]
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func document(_ env: APIEnvironment) async throws -> [String: Any] {
        let answer = try await env.anonymous.get("/openapi.json")
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "application/json")
        return try #require(answer.json as? [String: Any])
    }

    @Test func documentMatchesTheRoutes() async throws {
        try await APIEnvironment.with { env in
            let document = try await Self.document(env)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in item.keys where Self.methods.contains(method) { documented.insert("\(method.uppercased()) \(path)") }
            }
            let served = Set(env.routes.compactMap { route -> String? in
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return nil }
                // `:id` and `{id}` alike.
                let path = parts[1].replacingOccurrences(of: #":([A-Za-z_]+)"#, with: "{$1}", options: .regularExpression)
                return "\(parts[0]) \(path)"
            })
            let relevant = served.filter { route in
                let path = String(route.split(separator: " ", maxSplits: 1)[1])
                return path.hasPrefix("/api/admin/v1/") || path.hasPrefix("/api/v1/") || Self.documentedExtras.contains(path)
            }
            #expect(relevant.count >= 36)
            #expect(relevant.subtracting(documented).sorted() == [], "routes missing from openapi.json")
            #expect(documented.subtracting(served).sorted() == [], "documented routes the server does not have")
        }
    }

    @Test func documentIsConsistent() async throws {
        try await APIEnvironment.with { env in
            let document = try await Self.document(env)
            let components = try #require(document["components"] as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])

            // Every $ref points at something.
            var refs: [String] = []
            func collect(_ value: Any) {
                if let object = value as? [String: Any] {
                    if let ref = object["$ref"] as? String { refs.append(ref) }
                    object.values.forEach(collect)
                } else if let array = value as? [Any] {
                    array.forEach(collect)
                }
            }
            collect(document)
            #expect(!refs.isEmpty)
            for ref in Set(refs) {
                let parts = ref.split(separator: "/").map(String.init)
                #expect(parts.count == 4 && parts[0] == "#" && parts[1] == "components", "\(ref)")
                guard parts.count == 4 else { continue }
                #expect((components[parts[2]] as? [String: Any])?[parts[3]] != nil, "unresolved \(ref)")
            }

            // Operation ids are unique; path parameters are declared; every operation answers something and says who may call it.
            let parameters = components["parameters"] as? [String: [String: Any]] ?? [:]
            var operationIds: [String] = []
            for (path, item) in paths {
                let templated = Set(path.matches(of: /\{([A-Za-z]+)\}/).map { String($0.output.1) })
                for (method, value) in item where Self.methods.contains(method) {
                    let operation = try #require(value as? [String: Any])
                    operationIds.append(try #require(operation["operationId"] as? String))
                    #expect(!(operation["description"] as? String ?? "").isEmpty, "\(method) \(path)")
                    let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                    #expect(!responses.isEmpty)
                    #expect(operation["security"] != nil, "\(method) \(path)")
                    let declared = Set((operation["parameters"] as? [[String: Any]] ?? []).compactMap { parameter -> String? in
                        let resolved = (parameter["$ref"] as? String).flatMap { parameters[String($0.split(separator: "/").last ?? "")] } ?? parameter
                        return resolved["in"] as? String == "path" ? resolved["name"] as? String : nil
                    })
                    #expect(declared == templated, "\(method) \(path)")
                    if path.hasPrefix("/api/admin/v1/") {
                        #expect(responses["401"] != nil, "\(method) \(path)")
                        if method != "get" { #expect(responses["403"] != nil, "\(method) \(path)") }
                        if method == "delete" { #expect(responses["204"] != nil, "\(method) \(path)") }
                        if templated.contains("id") { #expect(responses["404"] != nil, "\(method) \(path)") }
                    }
                }
            }
            #expect(Set(operationIds).count == operationIds.count)

            // The security schemes the admin needs.
            let schemes = try #require(components["securitySchemes"] as? [String: [String: Any]])
            #expect(schemes["bearerToken"]?["scheme"] as? String == "bearer")
            #expect(schemes["sessionCookie"]?["name"] as? String == "yq_session")
            #expect(schemes["csrfToken"]?["name"] as? String == "X-CSRF-Token")
            // Secrets are write-only in the schema.
            let schemas = try #require(components["schemas"] as? [String: [String: Any]])
            let appInput = try #require(schemas["AppInput"]?["properties"] as? [String: [String: Any]])
            #expect(appInput["appSecret"]?["writeOnly"] as? Bool == true)
            let app = try #require(schemas["App"]?["properties"] as? [String: [String: Any]])
            #expect(app["appSecret"]?["readOnly"] as? Bool == true)
        }
    }
}
