import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoServices
import YunqiaoCore

/// The API contract (issue #13, item 14): what the fuzzer of pytests/contract found the server answering otherwise
/// than `/openapi.json` says.
@Suite(.timeLimit(.minutes(1)))
struct APIContractTests {
    /// A name or key that is taken answers 409 (the convention for a conflict with what exists), naming the field.
    @Test func duplicatesAnswer409NamingTheField() async throws {
        try await APIEnvironment.with { env in
            let cases: [(String, String, String)] = [
                ("enterprises", #"{"name":"示例科技"}"#, "name"),
                ("homepage-apps", #"{"name":"门户","url":"/spa/portal"}"#, "name"),
                ("oa-modules", #"{"key":"approval","name":"审批"}"#, "key"),
                ("push-rules", #"{"name":"审批规则","source":"approval","targets":[]}"#, "name"),
            ]
            for (path, body, field) in cases {
                #expect(try await env.api.post(path, body).status == .created, "\(path)")
                let again = try await env.api.post(path, body)
                #expect(again.status == .conflict, "\(path): \(again)")
                #expect(again.error?.field == field, "\(path)")
            }
            // Renaming onto a taken name too.
            let other = try await env.api.post("enterprises", #"{"name":"另一家"}"#).decode(EnterpriseView.self)
            let renamed = try await env.api.put("enterprises/\(other.id)", #"{"name":"示例科技"}"#)
            #expect(renamed.status == .conflict && renamed.error?.field == "name", "\(renamed)")
        }
    }

    /// `limit` and `offset` past the bounds the document declares answer 400 naming them (they were clamped).
    @Test func pagingPastItsDeclaredBoundsAnswers400() async throws {
        try await APIEnvironment.with { env in
            let enterprise = try await env.api.post("enterprises", #"{"name":"示例科技"}"#).decode(EnterpriseView.self).id
            let cases: [(String, String, String)] = [
                ("audit?limit=501", "limit", "must be between 1 and 500"),
                ("audit?limit=0", "limit", "must be between 1 and 500"),
                ("enterprises/\(enterprise)/users?limit=201", "limit", "must be between 1 and 200"),
                ("enterprises/\(enterprise)/users?offset=-1", "offset", "must be at least 0"),
                ("enterprises/\(enterprise)/sync-runs?limit=201", "limit", "must be between 1 and 200"),
                ("oa-directory/users?enterpriseId=0&binding=bound", "enterpriseId", "must be at least 1"),
            ]
            for (path, field, message) in cases {
                let answer = try await env.api.get(path)
                #expect(answer.status == .badRequest, "\(path): \(answer)")
                #expect(answer.error == ErrorBody.Detail(field: field, message: message), "\(path)")
            }
            #expect(try await env.api.get("audit?limit=500").status == .ok)
            #expect(try await env.api.get("enterprises/\(enterprise)/sync-runs?limit=200").status == .ok)
        }
    }

    /// A name follows the document's rule exactly: `maxLength` counts code points of the value as sent, and only
    /// control characters (Cc) are refused — format characters such as the joiner of an emoji sequence are text.
    @Test func namesFollowTheDocumentedRule() async throws {
        try await APIEnvironment.with { env in
            let joined = try await env.api.post("enterprises", #"{"name":"👩‍💻 研发\u00ad中心"}"#)
            #expect(joined.status == .created, "\(joined)")
            let long = try await env.api.post("enterprises", #"{"name":"\#(String(repeating: "长", count: 100)) "}"#)
            #expect(long.status == .badRequest && long.error == .init(field: "name", message: "at most 100 characters"), "\(long)")
            let exactly = try await env.api.post("enterprises", #"{"name":"\#(String(repeating: "长", count: 100))"}"#)
            #expect(exactly.status == .created, "\(exactly)")
            for control in [#"\u0007"#, #"\u0085"#] {
                let refused = try await env.api.post("homepage-apps", #"{"name":"门\#(control)户","url":"/spa/portal"}"#)
                #expect(refused.error == .init(field: "name", message: "must not contain control characters"), "\(control): \(refused)")
            }
        }
    }

    /// `imageHosts` takes at most 50 entries as sent (blanks and repeats were dropped before counting).
    @Test func imageHostsCountAsSent() async throws {
        try await APIEnvironment.with { env in
            let blanks = Array(repeating: #""""#, count: 51).joined(separator: ",")
            let answer = try await env.api.put("settings", #"{"imageHosts":[\#(blanks)]}"#)
            #expect(answer.status == .badRequest && answer.error == .init(field: "imageHosts", message: "at most 50 hosts"), "\(answer)")
            let fifty = Array(repeating: #""oa.example.com""#, count: 50).joined(separator: ",")
            #expect(try await env.api.put("settings", #"{"imageHosts":[\#(fifty)]}"#).status == .ok)
        }
    }

    /// The audit filter's times are RFC 3339 (`date-time`), fractions of a second and offsets included, or dates.
    @Test func auditTimesAreRFC3339() async throws {
        try await APIEnvironment.with { env in
            for since in ["2026-11-26", "2026-11-26T08:00:00Z", "2026-11-26T16:00:00%2B08:00", "2026-11-26T08:00:00.250Z",
                          "2026-11-26T16:00:00.123456%2B08:00"]
            {
                let answer = try await env.api.get("audit?since=\(since)")
                #expect(answer.status == .ok, "\(since): \(answer)")
            }
            #expect(try await env.api.get("audit?until=26.11.2026").error?.field == "until")
        }
    }
}
