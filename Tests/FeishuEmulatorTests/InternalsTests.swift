import Foundation
import Testing

@testable import FeishuEmulator

/// Unit tests of the emulator's building blocks.
@Suite struct JSONTests {
    @Test func serialisationIsCompactWithSortedKeys() {
        let value: JSON = ["b": 1, "a": "中文 text", "c": [true, nil, false], "d": 1.5, "e": 2.0, "f": ["z": [:], "y": []]]
        #expect(value.serialized == #"{"a":"中文 text","b":1,"c":[true,null,false],"d":1.5,"e":2,"f":{"y":[],"z":{}}}"#)
    }

    @Test func stringsAreEscaped() {
        let value: JSON = .string("q\"b\\s\nr\rt\t\u{01}\u{1F}/é😀")
        #expect(value.serialized == #""q\"b\\s\nr\rt\t\u0001\u001f/é😀""#)
        #expect(JSON.parse(value.serialized) == value)
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSON.array([.double(.nan), .double(.infinity)]).serialized == "[null,null]")
    }

    @Test func parseRoundTrips() throws {
        let value: JSON = ["name": "张三", "n": 42, "x": -0.25, "ok": true, "none": nil, "list": [1, "2", [3]], "empty": [:]]
        #expect(JSON.parse(value.serialized) == value)
        #expect(JSON.parse(Data(value.serialized.utf8)) == value)
    }

    @Test func parseKeepsNumbersAndBooleansApart() {
        #expect(JSON.parse("1") == .int(1))
        #expect(JSON.parse("0") == .int(0))
        #expect(JSON.parse("true") == .bool(true))
        #expect(JSON.parse("1.5") == .double(1.5))
        #expect(JSON.parse("-7") == .int(-7))
        #expect(JSON.parse(#"{"a":1,"b":true}"#) == ["a": 1, "b": true])
    }

    @Test(arguments: ["", "{", "{\"a\":}", "nul", "[1 2]", "'x'"])
    func invalidJSONIsNil(text: String) {
        #expect(JSON.parse(text) == nil)
    }

    @Test func readingIsLenient() {
        // Numbers may arrive as strings and vice versa (feishu-api.md §1.9).
        #expect(JSON.string("12").intValue == 12)
        #expect(JSON.string(" 12 ").intValue == 12)
        #expect(JSON.int(12).intValue == 12)
        #expect(JSON.double(12).intValue == 12)
        #expect(JSON.double(12.5).intValue == nil)
        #expect(JSON.string("twelve").intValue == nil)
        #expect(JSON.bool(true).intValue == nil)

        #expect(JSON.int(12).stringValue == "12")
        #expect(JSON.double(12).stringValue == "12")
        #expect(JSON.double(0.5).stringValue == "0.5")
        #expect(JSON.bool(false).stringValue == "false")
        #expect(JSON.null.stringValue == nil)
        #expect(JSON.array([]).stringValue == nil)

        // The Python SDK sends `True`/`False`.
        for text in ["true", "True", "TRUE", "1"] { #expect(JSON.string(text).boolValue == true) }
        for text in ["false", "False", "0"] { #expect(JSON.string(text).boolValue == false) }
        #expect(JSON.string("yes").boolValue == nil)
        #expect(JSON.int(1).boolValue == true)
        #expect(JSON.int(0).boolValue == false)
        #expect(JSON.null.boolValue == nil)
    }

    @Test func accessors() {
        let value: JSON = ["a": ["b": [1, 2]]]
        #expect(value["a"]?["b"]?.arrayValue?.count == 2)
        #expect(value["missing"] == nil)
        #expect(JSON.int(1)["a"] == nil)
        #expect(value.objectValue?.keys.sorted() == ["a"])
        #expect(JSON.int(1).objectValue == nil)
        #expect(JSON.null.isNull)
        #expect(!JSON.int(0).isNull)
    }
}

@Suite struct PageTokenTests {
    @Test(arguments: [0, 1, 10, 50, 12345])
    func roundTrips(offset: Int) {
        let token = PageToken.encode(offset: offset, context: "members|od-1")
        #expect(PageToken.decode(token, context: "members|od-1") == offset)
    }

    @Test func isURLSafeAndOpaque() {
        for offset in 0..<200 {
            let token = PageToken.encode(offset: offset, context: "children|od-abc|true")
            #expect(!token.contains { "+/= &?".contains($0) })
            #expect(token != String(offset))
        }
    }

    @Test func isBoundToItsQuery() {
        let token = PageToken.encode(offset: 10, context: "members|od-1")
        #expect(PageToken.decode(token, context: "members|od-2") == nil)
        #expect(PageToken.decode(token, context: "children|od-1|false") == nil)
    }

    @Test func forgedTokensAreRefused() {
        let token = PageToken.encode(offset: 10, context: "members|od-1")
        // Same checksum, another offset.
        let payload = String(data: Data(base64Encoded: token + String(repeating: "=", count: (4 - token.count % 4) % 4))!, encoding: .utf8)!
        let forged = Data(payload.replacingOccurrences(of: "10.", with: "20.").utf8).base64EncodedString()
        #expect(PageToken.decode(forged, context: "members|od-1") == nil)
        for garbage in ["", "x", "!!!!", "MTA", Data("-1.abc".utf8).base64EncodedString()] {
            #expect(PageToken.decode(garbage, context: "members|od-1") == nil)
        }
    }
}

@Suite struct ContactValidationTests {
    @Test(arguments: [
        ("13800000000", "+8613800000000"),
        ("+8613800000000", "+8613800000000"),
        ("+86 138 0000 0000", "+8613800000000"),
        ("138-0000-0000", "+8613800000000"),
        (" 13800000000 ", "+8613800000000"),
        ("+1 415 555 0100", "+14155550100"),
        ("+852 6123 4567", "+85261234567"),
    ])
    func mobilesAreNormalised(raw: String, normalised: String) {
        #expect(ContactValidation.normalizeMobile(raw) == normalised)
    }

    @Test(arguments: ["", "   ", "12345", "23800000000", "1380000000", "138000000000", "abc", "+86abc", "+12345",
                      "+1234567890123456", "１３８００００００００", "13800000000x"])
    func badMobilesAreRejected(raw: String) {
        #expect(ContactValidation.normalizeMobile(raw) == nil)
    }

    @Test func emails() {
        for good in ["a@b.cn", "zhang.san+tag@example.com.cn"] { #expect(ContactValidation.isValidEmail(good)) }
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b.", "a b@c.cn", "a@b@c.cn"] { #expect(!ContactValidation.isValidEmail(bad), "\(bad)") }
    }
}

@Suite struct RouterTests {
    @Test(arguments: [
        ("GET", "/open-apis/contact/v3/users/batch", Endpoint.userBatch),
        ("GET", "/open-apis/contact/v3/users/find_by_department", .userFindByDepartment),
        ("GET", "/open-apis/contact/v3/users/ou_123", .userGet),
        ("GET", "/open-apis/contact/v3/departments/batch", .departmentBatch),
        ("GET", "/open-apis/contact/v3/departments/parent", .departmentParent),
        ("GET", "/open-apis/contact/v3/departments/od-1", .departmentGet),
        ("GET", "/open-apis/contact/v3/departments/0/children", .departmentChildren),
        ("POST", "/open-apis/contact/v3/users/batch_get_id", .userBatchGetID),
        ("POST", "/open-apis/contact/v3/users", .userCreate),
        ("PATCH", "/open-apis/contact/v3/users/u1", .userPatch),
        ("PUT", "/open-apis/contact/v3/users/u1", .userUpdate),
        ("DELETE", "/open-apis/contact/v3/departments/d1", .departmentDelete),
        ("GET", "/open-apis/contact/v3/scopes", .scopeList),
        ("POST", "/open-apis/auth/v3/tenant_access_token/internal", .tenantAccessToken),
        ("POST", "/open-apis/auth/v3/tenant_access_token/internal/", .tenantAccessToken),
        ("POST", "/open-apis/auth/v3/app_access_token/internal/", .appAccessToken),
    ])
    func matches(method: String, path: String, endpoint: Endpoint) {
        #expect(Router.match(method: method, path: path)?.0 == endpoint)
    }

    @Test func literalSegmentsWinOverParameters() throws {
        let batch = try #require(Router.match(method: "GET", path: "/open-apis/contact/v3/users/batch"))
        #expect(batch.0 == .userBatch)
        #expect(batch.1.isEmpty)
        // `batch` is only special for GET: a PATCH of a user called "batch" is a user.
        let patch = try #require(Router.match(method: "PATCH", path: "/open-apis/contact/v3/users/batch"))
        #expect(patch.0 == .userPatch)
        #expect(patch.1 == ["user_id": "batch"])
    }

    @Test func parametersAreCapturedAndDecoded() throws {
        let user = try #require(Router.match(method: "GET", path: "/open-apis/contact/v3/users/ou_abc"))
        #expect(user.1 == ["user_id": "ou_abc"])
        let encoded = try #require(Router.match(method: "GET", path: "/open-apis/contact/v3/departments/%E7%A0%94%E5%8F%91/children"))
        #expect(encoded.0 == .departmentChildren)
        #expect(encoded.1 == ["department_id": "研发"])
    }

    @Test(arguments: [
        ("GET", "/open-apis/contact/v3/users/batch/"),
        ("GET", "/open-apis/contact/v3/scopes/"),
        ("GET", "/open-apis/contact/v3/departments/od-1/children/"),
        ("GET", "/open-apis/auth/v3/tenant_access_token/internal"),
        ("POST", "/open-apis/contact/v3/scopes"),
        ("GET", "/open-apis/contact/v3/users/u1/extra"),
        ("GET", "/open-apis/contact/v3"),
        ("GET", "/"),
        ("GET", ""),
        ("get", "/open-apis/contact/v3/scopes"),
    ])
    func unknownPathsAndWrongMethodsDoNotMatch(method: String, path: String) {
        #expect(Router.match(method: method, path: path) == nil)
    }

    @Test func everyEndpointMatchesItsOwnPattern() {
        for endpoint in Endpoint.allCases {
            let path = "/" + endpoint.pattern.map { $0.hasPrefix(":") ? "x1" : String($0) }.joined(separator: "/")
            #expect(Router.match(method: endpoint.method, path: path)?.0 == endpoint, "\(endpoint.rawValue)")
        }
    }

    @Test func onlyTokenEndpointsAndQRLoginPagesAreUnlimited() {
        for endpoint in Endpoint.allCases {
            #expect(endpoint.isRateLimited == !(endpoint.isTokenEndpoint || endpoint.isQRLoginPage))
            #expect(endpoint.allowsTrailingSlash == endpoint.isTokenEndpoint)
        }
    }
}
