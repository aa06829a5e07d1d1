import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
@testable import YunqiaoServer
import YunqiaoServices
import YunqiaoCore

/// Values the fuzzer of pytests/contract found the server reading otherwise than `/openapi.json` says.
extension APIContractTests {
    static let int64Message = "must be an integer from -9223372036854775808 to 9223372036854775807"

    /// A number its field cannot hold (past 64 bits, a fraction, out of a double's range) answers 400 naming the field:
    /// Swift's decoder says only "not valid JSON", without the field (swift-foundation#1604).
    @Test func aNumberItsFieldCannotHoldAnswers400NamingIt() async throws {
        try await APIEnvironment.with { env in
            let target = #"{"enterpriseId":1,"appId":1,"type":"text"}"#
            let cases: [(String, String, String)] = [
                ("push-rules", #"{"name":"规则","source":"*","targets":[\#(target),{"enterpriseId":98044257384162162271594915941765962532,"appId":1,"type":"text"}]}"#,
                 "targets[1].enterpriseId"),
                ("push-rules", #"{"name":"规则","source":"*","t\u0061rgets":[{"type":"text","appId":1.5,"enterpriseId":1}]}"#, "targets[0].appId"),
                ("push-rules", #"{"name":"规则 1.5","source":"*","targets":[{"type":"text","appId":1,"enterpriseId":-1e400}]}"#, "targets[0].enterpriseId"),
            ]
            for (path, body, field) in cases {
                let answer = try await env.api.post(path, body)
                #expect(answer.status == .badRequest && answer.error == .init(field: field, message: Self.int64Message), "\(body): \(answer)")
            }
            let threshold = try await env.api.put("oa-directory/threshold", #"{"maxPercent":10,"maxCount":9223372036854775808}"#)
            #expect(threshold.error == .init(field: "maxCount", message: Self.int64Message), "\(threshold)")
            // JSON that is not JSON is still the body's fault.
            let broken = try await env.api.post("push-rules", #"{"name":"规则","source":"*","targets":[{"appId":1.5 "enterpriseId":1,"type":"text"}]}"#)
            #expect(broken.error == .init(field: "body", message: "the body is not valid JSON"), "\(broken)")
        }
    }

    /// The number scan behind it: every number with its field, keys unescaped, numbers in strings left out.
    @Test func numbersAreFoundWithTheirFields() {
        let text = #"{"a":[1,{"b\"c":-2.5e3}],"s":"9 [x] {y}","n":null,"d":{"e":[[0],7]}}"#
        let numbers = JSONNumberScan.numbers(in: Array(text.utf8))?.map(\.path)
        #expect(numbers == ["a[0]", "a[1].b\"c", "d.e[0][0]", "d.e[1]"])
        #expect(JSONNumberScan.numbers(in: Array("42".utf8))?.map(\.path) == ["body"])
        #expect(JSONNumberScan.numbers(in: Array(#"{"a":"1"#.utf8)) == nil)
    }

    /// Names refuse a control character anywhere, a tab or line break around them too (the document's `pattern`); they
    /// were trimmed away and the name taken.
    @Test func namesRefuseControlCharactersAroundThem() async throws {
        try await APIEnvironment.with { env in
            for name in [#"\tM"#, #"M\n"#, #"\u000bM"#] {
                let app = try await env.api.post("homepage-apps", #"{"name":"\#(name)","url":"/spa/portal"}"#)
                #expect(app.error == .init(field: "name", message: "must not contain control characters"), "\(name): \(app)")
            }
            let token = try await env.session().post("tokens", #"{"name":"\tc"}"#)
            #expect(token.error == .init(field: "name", message: "must not contain control characters"), "\(token)")
            #expect(try await env.api.post("homepage-apps", #"{"name":" 门户 ","url":"/spa/portal"}"#).status == .created, "spaces are trimmed")
        }
    }

    /// A token's `scope` is `full`, `readOnly` or null exactly (`""` and `" full"` were taken as full).
    @Test func tokenScopeIsOneOfTheDocumentsValues() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            for scope in [#""""#, #"" full""#, #""FULL""#] {
                let answer = try await session.post("tokens", #"{"name":"x","scope":\#(scope)}"#)
                #expect(answer.error == .init(field: "scope", message: "must be readOnly or full"), "\(scope): \(answer)")
            }
            let null = try await session.post("tokens", #"{"name":"x","scope":null}"#)
            #expect(null.status == .created, "\(null)")
            #expect(try null.decode(TokenView.self).scope == "full")
        }
    }

    /// An OA module's key and action secret and URL are read as sent: a key with spaces around it or empty or null is
    /// refused, a blank secret or URL is not "none", and a secret's length counts code points.
    @Test func oaModuleValuesAreReadAsSent() async throws {
        struct Module: Decodable {
            var id: Int64
            var actionSecret: String?
        }
        try await APIEnvironment.with { env in
            let created = try await env.api.post("oa-modules", #"{"key":"m1","name":"模块"}"#)
            #expect(created.status == .created, "\(created)")
            let id = try created.decode(Module.self).id
            let spaced = try await env.api.post("oa-modules", #"{"key":" m2","name":"模块二"}"#)
            #expect(spaced.status == .badRequest && spaced.error?.field == "key", "\(spaced)")
            let cases: [(String, String, String)] = [
                (#"{"name":"模块","key":""}"#, "key", "required"),
                (#"{"name":"模块","key":null}"#, "key", "must be a string, not null"),
                (#"{"name":"模块","key":" m1 "}"#, "key", "letters, digits, -, _ and . only, at most 128 (e.g. approval)"),
                (#"{"name":"模块","actionSecret":"   "}"#, "actionSecret", "16 to 256 characters"),
                (#"{"name":"模块","actionURL":" "}"#, "actionURL", "required"),
            ]
            for (body, field, message) in cases {
                let answer = try await env.api.put("oa-modules/\(id)", body)
                #expect(answer.status == .badRequest && answer.error == .init(field: field, message: message), "\(body): \(answer)")
            }
            // 16 code points (8 letters and their combining accents: 8 characters) is long enough.
            let accented = String(repeating: "e\u{301}", count: 8)
            #expect(try await env.api.put("oa-modules/\(id)", #"{"name":"模块","key":"m1","actionSecret":"\#(accented)"}"#).status == .ok)
            let kept = try await env.api.put("oa-modules/\(id)", #"{"name":"模块","actionSecret":"","actionURL":""}"#)
            #expect(kept.status == .ok, "\(kept)")
            #expect(try await env.api.get("oa-modules/\(id)").decode(Module.self).actionSecret != nil, "an empty secret keeps the stored one")
        }
    }

    /// Times are RFC 3339 as JSON Schema's `date-time` reads it — any offset of hours 00–23, `t` and `z` too — and
    /// dates are days of the calendar; Foundation's parser refused `-21:25`, rolled `02-30` over and took second 60.
    @Test func timesAndDatesFollowRFC3339() async throws {
        #expect(RFC3339.time("2026-11-26T08:00:00-21:25") == RFC3339.time("2026-11-27T05:25:00Z"))
        #expect(RFC3339.time("2026-11-26t16:00:00.5+08:00") == Date(timeIntervalSince1970: 1_795_680_000.5))
        #expect(RFC3339.day("2024-02-29") == RFC3339.time("2024-02-29T00:00:00Z"))
        for wrong in ["2026-02-30T00:00:00Z", "2026-11-26T08:00:60Z", "2026-11-26T24:00:00Z", "2026-11-26T08:00:00+24:00",
                      "2026-11-26T08:00:00", "2026-11-26T08:00:00.Z", "0000-01-01T00:00:00Z", "2026-11-26 08:00:00Z"]
        {
            #expect(RFC3339.time(wrong) == nil, "\(wrong)")
        }
        for wrong in ["2026-02-30", "2025-02-29", "2026-13-01", "26-11-26", "2026-11-26T"] {
            #expect(RFC3339.day(wrong) == nil, "\(wrong)")
        }
        try await APIEnvironment.with { env in
            #expect(try await env.api.get("audit?since=2026-11-26T08:00:00-21:25").status == .ok)
            for since in ["2026-02-30", "2026-11-26T08:00:60Z"] {
                #expect(try await env.api.get("audit?since=\(since)").error?.field == "since", "\(since)")
            }
            struct Key: Decodable { var key: String }
            let key = try await env.api.post("oa-keys", #"{"name":"OA"}"#).decode(Key.self).key
            let oa = APICaller(client: env.client, credentials: .token(key))
            let todo = try await oa.call(.patch, "/api/v1/todos/wf-1", body: #"{"source":"approval","state":"done","by":"李经理","at":""}"#)
            #expect(todo.status == .badRequest && todo.error?.field == "at", "an empty time is not a time: \(todo)")
        }
    }

    /// The OA connector's secret is read as sent: a no-break space around it is refused (it was trimmed away), a format
    /// character (Cf, such as a soft hyphen) is text, null keeps the stored secret as empty does.
    @Test func oaConnectorSecretIsReadAsSent() async throws {
        try await APIEnvironment.with { env in
            let put = { (secret: String) in try await env.api.put("oa-connector", #"{"baseURL":"https://oa.example.com","secret":\#(secret)}"#) }
            let spaced = try await put(#""s3cret\u00a0""#)
            #expect(spaced.error == .init(field: "secret", message: "must not contain spaces or control characters"), "\(spaced)")
            #expect(try await put(#""s3\u00adcret""#).status == .ok)
            let null = try await put("null")
            #expect(null.status == .ok && null.text.contains("cret"), "the stored secret is kept: \(null)")
        }
    }

    /// Values of an enum are the document's exactly (`""`, `" feishu"`, `"FEISHU"` were taken as the default or
    /// trimmed and lowered); null or missing is the default. Callback credentials are read as sent, as the connector's
    /// secret is.
    @Test func enumsAndCredentialsAreReadAsSent() async throws {
        try await APIEnvironment.with { env in
            for brand in [#""""#, #"" feishu""#, #""FEISHU""#] {
                let answer = try await env.api.post("enterprises", #"{"name":"企业","brand":\#(brand)}"#)
                #expect(answer.error == .init(field: "brand", message: "must be feishu or lark"), "\(brand): \(answer)")
            }
            let enterprise = try await env.api.post("enterprises", #"{"name":"企业","brand":null}"#)
            #expect(enterprise.status == .created, "\(enterprise)")
            let id = try enterprise.decode(EnterpriseView.self).id
            let kind = try await env.api.post("enterprises/\(id)/apps", #"{"appID":"cli_a","appSecret":"s","homepageKind":""}"#)
            #expect(kind.error == .init(field: "homepageKind", message: "must be none, oaApp or custom"), "\(kind)")
            let spaced = try await env.api.post("enterprises/\(id)/apps", #"{"appID":"cli_b","appSecret":"s","verificationToken":"tok\u00a0"}"#)
            #expect(spaced.error == .init(field: "verificationToken", message: "must not contain spaces or control characters"), "\(spaced)")
            let app = try await env.api.post("enterprises/\(id)/apps", #"{"appID":"cli_c","appSecret":"s","encryptKey":"k\u00ady"}"#)
            #expect(app.status == .created, "a format character is text: \(app)")
            let type = try await env.api.post("push-rules", #"{"name":"规则","source":"*","targets":[{"enterpriseId":\#(id),"appId":1,"type":" Text"}]}"#)
            #expect(type.status == .badRequest && type.error?.field?.hasPrefix("targets[0]") == true, "\(type)")
            for loginCheck in [#""""#, #"" embedded""#] {
                let answer = try await env.api.put("oa-connector", #"{"baseURL":"https://oa.example.com","secret":"s","loginCheck":\#(loginCheck)}"#)
                #expect(answer.error == .init(field: "loginCheck", message: "must be embedded or external"), "\(loginCheck): \(answer)")
            }
            #expect(try await env.api.put("oa-connector", #"{"baseURL":"https://oa.example.com","secret":"s","loginCheck":null}"#).status == .ok)
            let appID = try await env.api.post("enterprises/\(id)/apps", #"{"appID":"cli_d ","appSecret":"s"}"#)
            #expect(appID.error?.field == "appID", "spaces around an app ID were trimmed away: \(appID)")
        }
    }

    /// Who handled a todo (`by`) refuses a control character around the name too, and counts code points.
    @Test func todoHandlerIsReadAsSent() async throws {
        try await APIEnvironment.with { env in
            struct Key: Decodable { var key: String }
            let key = try await env.api.post("oa-keys", #"{"name":"OA"}"#).decode(Key.self).key
            let oa = APICaller(client: env.client, credentials: .token(key))
            let cases = [(#""\t李经理""#, "must not contain control characters"),
                         ("\"李\(String(repeating: " ", count: 128))\"", "at most 128 characters")]
            for (by, message) in cases {
                let answer = try await oa.call(.patch, "/api/v1/todos/wf-1", body: #"{"source":"approval","state":"done","by":\#(by)}"#)
                #expect(answer.status == .badRequest && answer.error == .init(field: "by", message: message), "\(by): \(answer)")
            }
        }
    }
}
