import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// Bodies anyone may send (issue #13): nesting measured before parsing, sizes capped with a 413 that names the limit,
/// refusals that name the field in one style and never a Swift type, unknown admin API fields refused.
@Suite(.timeLimit(.minutes(2)))
struct BodyLimitTests {
    /// `[[[…]]]`, `depth` levels.
    static func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }

    /// An app with a Verification Token and an Encrypt Key, so that its card callback reads bodies.
    static func callbackApp(_ env: APIEnvironment) async throws -> Int64 {
        let enterprise = try await env.api.post("enterprises", #"{"name":"回调企业"}"#).decode(EnterpriseView.self)
        let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                         #"{"appID":"cli_deep","appSecret":"s3cret-0001","verificationToken":"vt-0001","encryptKey":"ek-0001"}"#)
        return try app.decode(AppView.self).id
    }

    /// The OA key of the tenant, as a caller of `/api/v1`.
    static func oa(_ env: APIEnvironment) async throws -> APICaller {
        let key = Passwords.token(prefix: "yqoa_")
        _ = try await env.database.admins.createOAKey(tenantId: env.tenantId, name: "OA", key: key, by: .system)
        return APICaller(client: env.client, credentials: .token(key))
    }

    @Test func aDeeplyNestedCardCallbackIsRefusedBeforeAnythingIsParsed() async throws {
        try await APIEnvironment.with { env in
            let app = try await Self.callbackApp(env)
            // The body of the report: 1 KB, 500 nested arrays. Unsigned, then with signature headers that do not match.
            let body = Self.nested(500)
            #expect(body.utf8.count == 1000)
            for headers: HTTPFields in [[.contentType: "application/json"],
                                        [.contentType: "application/json", HTTPField.Name("X-Lark-Request-Timestamp")!: "1600000000",
                                         HTTPField.Name("X-Lark-Request-Nonce")!: "n", HTTPField.Name("X-Lark-Signature")!: "00"]]
            {
                let started = ContinuousClock.now
                let answer = try await env.anonymous.call(.post, "/feishu/apps/\(app)/card-callback", body: body, headers: headers)
                let took = ContinuousClock.now - started
                // The timing goes to the log (the verifier's own test bounds the CPU): before, the parse alone took 4 s.
                print("deep card callback (500 levels, \(body.utf8.count) bytes) answered \(answer.status.code) in \(took)")
                #expect(answer.status == .badRequest, "\(answer)")
                #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(answer.error?.field == "body")
                #expect(answer.error?.message == "JSON nested deeper than 32 levels")
            }
            #expect(try await env.database.cardActions.all(tenantId: env.tenantId, source: "approval", todoId: "x").isEmpty)
        }
    }

    @Test func deepJSONIsRefusedOnTheAdminAndOAAPIs() async throws {
        try await APIEnvironment.with { env in
            let oa = try await Self.oa(env)
            let deep = #"{"name":"#.appending(Self.nested(40)).appending("}")
            for answer in [try await env.api.post("enterprises", deep), try await oa.post("/api/v1/messages", deep),
                           try await oa.post("/api/v1/directory", deep)]
            {
                #expect(answer.status == .badRequest, "\(answer)")
                #expect(answer.error?.field == "body" && answer.error?.message == "JSON nested deeper than 32 levels")
            }
            // 32 levels are still read (and then judged on their content).
            let shallow = try await env.api.post("enterprises", #"{"name":"#.appending(Self.nested(31)).appending("}"))
            #expect(shallow.status == .badRequest && shallow.error?.field == "name" && shallow.error?.message == "must be a string")
        }
    }

    @Test func tooLargeBodiesAre413NamingTheLimit() async throws {
        try await APIEnvironment.with { env in
            let oa = try await Self.oa(env)
            let big = #"{"name":""# + String(repeating: "x", count: 3 * 1_048_576) + #""}"#
            for answer in [try await env.api.post("enterprises", big), try await oa.post("/api/v1/messages", big)] {
                #expect(answer.status == .contentTooLarge, "\(answer.status)")
                #expect(answer.error?.field == "body")
                #expect(answer.error?.message == "the body is larger than 2 MB")
            }
            // A console form too.
            let session = try await env.session()
            let form = try await session.call(.post, "/console/enterprises/new", body: "name=" + String(repeating: "x", count: 3 * 1_048_576),
                                              headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .contentTooLarge, "\(form.status)")
            // The card callback: 256 KB.
            let app = try await Self.callbackApp(env)
            let callback = try await env.anonymous.call(.post, "/feishu/apps/\(app)/card-callback", body: big,
                                                        headers: [.contentType: "application/json"])
            #expect(callback.status == .contentTooLarge && callback.error?.message == "the body is larger than 256 KB")
        }
    }

    @Test func theDirectoryPushTakesWhatItDocuments() async throws {
        try await APIEnvironment.with { env in
            let oa = try await Self.oa(env)
            // 3 MB: over the 2 MB of other bodies, within the push's 64 MB (an unknown column is ignored, as in a file).
            let note = String(repeating: "备", count: 1_048_576)
            let push = #"{"departments":[{"oa_id":"1","name":"总部","note":"\#(note)"}]}"#
            #expect(push.utf8.count > 3 * 1_048_576)
            let applied = try await oa.post("/api/v1/directory", push)
            #expect(applied.status == .ok, "\(applied.status) \(applied.text.prefix(200))")
            #expect(try await env.database.oaDirectory.oaDirectoryState(tenantId: env.tenantId).departments.keys.contains("1"))

            let tooBig = #"{"departments":[{"oa_id":"1","name":"总部","note":""# + String(repeating: "x", count: 64 * 1_048_576) + #""}]}"#
            let refused = try await oa.post("/api/v1/directory", tooBig)
            #expect(refused.status == .contentTooLarge)
            #expect(refused.error?.field == "body" && refused.error?.message == "the body is larger than 64 MB")
        }
    }

    @Test func decodingErrorsNameTheFieldInOneStyleWithoutSwiftTypes() async throws {
        try await APIEnvironment.with { env in
            let oa = try await Self.oa(env)
            let cases: [(Answer, String, String)] = [
                (try await env.api.post("enterprises", "[1]"), "body", "must be an object"),
                (try await env.api.post("enterprises", #"{"name":{"a":1}}"#), "name", "must be a string"),
                (try await env.api.post("enterprises", "{"), "body", "the body is not valid JSON"),
                (try await env.api.post("push-rules", #"{"name":"r","source":"*","targets":[{"appId":1,"type":"text"}]}"#),
                 "targets[0].enterpriseId", "required"),
                (try await env.api.post("push-rules", #"{"name":"r","source":"*","targets":[{"enterpriseId":"x","appId":1,"type":"text"}]}"#),
                 "targets[0].enterpriseId", "must be an integer"),
                (try await oa.post("/api/v1/messages", #"{"source":"a","idempotencyKey":"k","recipients":["1"],"title":"t","fields":[{"label":1,"value":"v"}]}"#),
                 "fields[0].label", "must be a string"),
                (try await oa.post("/api/v1/messages", #"{"source":"a","idempotencyKey":"k","recipients":["1"],"title":"t","links":[]}"#),
                 "links", "must be an object"),
            ]
            for (answer, field, message) in cases {
                #expect(answer.status == .badRequest, "\(answer)")
                #expect(answer.error?.field == field, "\(answer)")
                #expect(answer.error?.message == message, "\(answer)")
                for swiftType in ["Dictionary", "Array<", "String.Type", "Int64", "Swift."] { #expect(!answer.text.contains(swiftType), "\(answer)") }
            }
        }
    }

    @Test func controlCharactersInAMessageTitleAreRefused() async throws {
        try await APIEnvironment.with { env in
            let oa = try await Self.oa(env)
            for (json, field) in [(#""title":"差旅\u0000申请""#, "title"), (#""title":"t","fields":[{"label":"天\u0007数","value":"3"}]"#, "fields[0].label"),
                                  (#""title":"t","body":"a\u0000b""#, "body")]
            {
                let answer = try await oa.post("/api/v1/messages", #"{"source":"approval","idempotencyKey":"k","recipients":["1"],\#(json)}"#)
                #expect(answer.status == .badRequest, "\(answer)")
                #expect(answer.error?.field == field, "\(answer)")
                #expect(answer.error?.message.hasPrefix("must not contain control characters") == true, "\(answer)")
            }
            // Line breaks and tabs in the body are text.
            let body = PushMessage(source: "approval", idempotencyKey: "k", recipients: ["1"], title: "差旅申请", body: "第一行\n\t第二行")
            #expect(body.validate().isEmpty)
        }
    }

    @Test func unknownFieldsOfAdminBodiesAreRefused() async throws {
        try await APIEnvironment.with { env in
            let enterprise = try await env.api.post("enterprises", #"{"name":"字段企业"}"#).decode(EnterpriseView.self)
            // The report: `homepage` instead of `homepageKind` saved an app without a homepage.
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                              #"{"appID":"cli_field","appSecret":"s3cret-0001","homepage":{"kind":"custom","url":"https://oa.example.com"}}"#)
            #expect(app.status == .badRequest, "\(app)")
            #expect(app.error?.field == "homepage" && app.error?.message == "unknown field")
            #expect(try await env.api.get("enterprises/\(enterprise.id)/apps").items(AppView.self).isEmpty, "nothing saved")

            let nested = try await env.api.post("push-rules", #"{"name":"r","source":"*","targets":[{"enterpriseId":1,"appId":1,"type":"text","quick":true}]}"#)
            #expect(nested.status == .badRequest && nested.error?.field == "targets[0].quick", "\(nested)")
            // Documented fields, null ones included, are fine.
            let fine = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                              #"{"appID":"cli_field","appSecret":"s3cret-0001","homepageKind":"custom","homepageURL":"https://oa.example.com","name":null}"#)
            #expect(fine.status == .created, "\(fine)")
        }
    }
}
