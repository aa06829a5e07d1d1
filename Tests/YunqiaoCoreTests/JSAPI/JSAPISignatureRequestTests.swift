import Foundation
import Testing
import YunqiaoCore

/// The rules of a JSAPI signature request: the trusted domains of an app, and each field.
@Suite struct JSAPISignatureRequestTests {
    static let now = Date(timeIntervalSince1970: 1_764_146_400)
    static let nowMilliseconds: Int64 = 1_764_146_400_000

    static func field(_ body: () throws(YunqiaoError) -> JSAPISignatureRequest) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.field
        }
    }

    @Test func trustedDomainsAreTheExternalDomainsAndTheHomepagesHosts() {
        #expect(JSAPISignatureRequest.trustedDomains(externalDomain: nil, homepageTarget: nil) == [])
        #expect(JSAPISignatureRequest.trustedDomains(externalDomain: "https://Bridge.Example.com", homepageTarget: "/spa/portal")
            == ["bridge.example.com"])
        #expect(JSAPISignatureRequest.trustedDomains(externalDomain: "https://bridge.example.com", homepageTarget: "https://bridge.example.com:8443/x")
            == ["bridge.example.com"])
        #expect(JSAPISignatureRequest.trustedDomains(externalDomain: "http://10.1.2.3:8080", homepageTarget: "https://oa.example.com./portal")
            == ["10.1.2.3", "oa.example.com"])
        #expect(JSAPISignatureRequest.trustedDomains(externalDomain: nil, homepageTarget: "https://[fd00::1]/portal") == ["fd00::1"])
    }

    @Test func fieldsAreKeptOrMade() throws {
        let given = try JSAPISignatureRequest(url: "https://OA.example.com:8443/a?b=1#c", nonceStr: "abc-DEF_9", timestamp: Self.nowMilliseconds + 1,
                                              trustedDomains: ["oa.example.com"], now: Self.now)
        #expect(given.url == "https://OA.example.com:8443/a?b=1#c")
        #expect(given.nonceStr == "abc-DEF_9" && given.timestamp == Self.nowMilliseconds + 1)
        let made = try JSAPISignatureRequest(url: "http://oa.example.com/", nonceStr: nil, timestamp: nil, trustedDomains: ["oa.example.com"], now: Self.now)
        #expect(made.timestamp == Self.nowMilliseconds)
        #expect(made.nonceStr.count == 16 && made.nonceStr.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }

    @Test(arguments: [
        ("", "url"), ("oa.example.com/a", "url"), ("javascript:alert(1)", "url"), ("https://", "url"), ("https://a@oa.example.com/", "url"),
        ("https://oa.example.com/\t", "url"), ("https://oa.example.com/é", "url"),
        ("https://oa.example.com/" + String(repeating: "a", count: 4096), "url"),
        ("https://evil.example.com/", "url"), ("https://oa.example.com.evil.example.com/", "url"),
    ])
    func urlsAreRefused(url: String, field: String) {
        #expect(Self.field { () throws(YunqiaoError) in
            try JSAPISignatureRequest(url: url, nonceStr: nil, timestamp: nil, trustedDomains: ["oa.example.com"], now: Self.now)
        } == field, "\(url.prefix(60))")
    }

    @Test func aTrustedHostIsCheckedLast() {
        // A wrong nonce on a foreign host is a wrong nonce (400), not a foreign host (409).
        do {
            _ = try JSAPISignatureRequest(url: "https://evil.example.com/", nonceStr: "a&b=c", timestamp: nil, trustedDomains: ["oa.example.com"],
                                          now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error == .invalid(field: "nonceStr", message: "must be 8 to 64 characters"))
        }
        do {
            _ = try JSAPISignatureRequest(url: "https://evil.example.com/", nonceStr: nil, timestamp: nil, trustedDomains: ["oa.example.com"],
                                          now: Self.now)
            Issue.record("accepted")
        } catch {
            guard case .conflict(let field, _) = error else { Issue.record("\(error)"); return }
            #expect(field == "url")
        }
    }

    @Test(arguments: [
        ("abcdefg", nil as Int64?, "nonceStr"), (String(repeating: "x", count: 65), nil, "nonceStr"), ("abcdefgh&url=x", nil, "nonceStr"),
        ("abcdefg=", nil, "nonceStr"), ("审批审批审批审批", nil, "nonceStr"),
        (nil, 1_764_146_400, "timestamp"), (nil, 1_764_146_400_000 + 600_001, "timestamp"), (nil, 1_764_146_400_000 - 600_001, "timestamp"),
        (nil, -1, "timestamp"),
    ] as [(String?, Int64?, String)])
    func nonceAndTimestampAreRefused(nonce: String?, timestamp: Int64?, field: String) {
        #expect(Self.field { () throws(YunqiaoError) in
            try JSAPISignatureRequest(url: "https://oa.example.com/", nonceStr: nonce, timestamp: timestamp, trustedDomains: ["oa.example.com"],
                                      now: Self.now)
        } == field)
    }

    @Test func theWindowIsInclusive() throws {
        for timestamp in [Self.nowMilliseconds + 600_000, Self.nowMilliseconds - 600_000] {
            _ = try JSAPISignatureRequest(url: "https://oa.example.com/", nonceStr: nil, timestamp: timestamp, trustedDomains: ["oa.example.com"],
                                          now: Self.now)
        }
    }
}
