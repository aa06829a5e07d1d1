import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import FeishuEmulator

// MARK: - the QR login (LarkSSOSDKWebQRCode, `feishu-api.md` §2.7)

extension OAuthTests {
    @Suite struct QRLogin {
        static let scriptPath = "/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js"
        static let framePath = "/suite/passport/sso/qr"
        static let pollPath = "/suite/passport/sso/qr/poll"
        static let scanPath = "/suite/passport/sso/scan"
        static let passportAuthorizePath = "/suite/passport/oauth/authorize"
        /// The test client sends `Host: localhost`, so that is the emulator's own origin here.
        static let origin = "http://localhost"

        /// The `goto` a login page builds: this emulator's authorize URL (the historic passport path by default).
        static func goto(app: String = TestApps.main.appID, path: String = QRLogin.passportAuthorizePath, origin: String = QRLogin.origin,
                         state: String = "qr-state") -> String
        {
            origin + OAuthTests.authorizeURI(app: app, state: state, path: path)
        }

        static func frameURI(goto: String, version: String = "1.0.3") -> String {
            framePath + "?" + FormURLEncoded.encode([("goto", goto), ("sdk_version", version)])
        }

        /// The value of the first `name="…"` attribute after `marker`.
        static func attribute(_ name: String, after marker: String, in text: String) throws -> String {
            let start = try #require(text.range(of: marker))
            let rest = text[start.upperBound...]
            let open = try #require(rest.range(of: name + "=\""))
            let value = rest[open.upperBound...]
            let end = try #require(value.firstIndex(of: "\""))
            return String(value[..<end]).replacingOccurrences(of: "&amp;", with: "&")
        }

        /// Opens the QR frame for `goto` and answers the session id.
        static func session(_ client: any TestClientProtocol, goto: String = QRLogin.goto(), version: String = "1.0.3")
            async throws -> String
        {
            let frame = try await client.send(.get, frameURI(goto: goto, version: version))
            #expect(frame.status == .ok, "\(frame.text)")
            return try attribute("data-qr", after: "id=\"emulator-qr\"", in: frame.text)
        }

        static func poll(_ client: any TestClientProtocol, _ id: String) async throws -> Reply {
            try await client.send(.get, pollPath + "?" + FormURLEncoded.encode([("qr", id)]))
        }

        /// The phone's confirm button: a form POST.
        static func confirm(_ client: any TestClientProtocol, _ id: String, as user: String) async throws -> Reply {
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            let body = ByteBuffer(string: FormURLEncoded.encode([("qr", id), ("login_as", user)]))
            return try await client.execute(uri: scanPath, method: .post, headers: headers, body: body) { Reply($0) }
        }

        /// A session confirmed by `user` through the query shortcut; answers the `tmp_code`.
        static func tmpCode(_ client: any TestClientProtocol, as user: String = "zhangsan", goto: String = QRLogin.goto())
            async throws -> String
        {
            let id = try await session(client, goto: goto)
            let phone = try await client.send(.get, scanPath + "?" + FormURLEncoded.encode([("qr", id), ("login_as", user)]))
            #expect(phone.status == .ok, "\(phone.text)")
            return try #require(try await poll(client, id).json?["tmp_code"]?.stringValue)
        }

        @Test(arguments: ["1.0.1", "1.0.2", "1.0.3"])
        func scriptIsServedForEachVersion(version: String) async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, "/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-\(version).js")
                #expect(reply.status == .ok)
                #expect(reply.contentType.hasPrefix("application/javascript"))
                for needle in ["window.QRLogin", "matchOrigin", "matchData", "document.currentScript", "/suite/passport/sso/qr?goto=",
                               "encodeURIComponent", "\"\(version)\"", "\"qrcode\""]
                {
                    #expect(reply.text.contains(needle), "\(needle)")
                }
                #expect(!reply.text.contains("eval("))
                #expect(reply.text.contains("var rawData = \(version == "1.0.3" ? "false" : "true");"))
            }
        }

        @Test func otherScriptNamesAreNotFound() async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, "/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.4.js")
                #expect(reply.status == .notFound)
            }
        }

        @Test(arguments: [QRLogin.passportAuthorizePath, OAuthTests.authorizePath])
        func fullWalkFromQRCodeToUserInfo(authorizePath: String) async throws {
            try await withClient { client async throws in
                let goto = Self.goto(path: authorizePath)
                let frame = try await client.send(.get, Self.frameURI(goto: goto))
                #expect(frame.status == .ok)
                #expect(frame.contentType.hasPrefix("text/html"))
                #expect(frame.text.contains("用飞书扫码登录") && frame.text.contains("Scan with Feishu"))
                #expect(frame.text.contains("<svg") && frame.text.contains("postMessage"))
                #expect(frame.text.contains("var rawCode = false;"))
                let id = try Self.attribute("data-qr", after: "id=\"emulator-qr\"", in: frame.text)
                #expect(try Self.attribute("href", after: "id=\"emulator-scan\"", in: frame.text) == Self.scanPath + "?qr=" + id)
                #expect(try await Self.poll(client, id).json == ["status": "waiting"])

                // The phone scans: the users, as on the authorize page.
                let phone = try await client.send(.get, Self.scanPath + "?qr=" + id)
                #expect(phone.status == .ok)
                #expect(phone.text.components(separatedBy: "<button type=\"submit\" class=\"confirm\"").count - 1 == 50)
                #expect(try await Self.poll(client, id).json == ["status": "scanned"])
                let searched = try await client.send(.get, Self.scanPath + "?qr=\(id)&q=" + FormURLEncoded.encode("张三"))
                let openID = try Self.attribute("data-open-id", after: "<button type=\"submit\" class=\"confirm\"", in: searched.text)
                #expect(openID.hasPrefix("ou_"))

                let confirmed = try await Self.confirm(client, id, as: openID)
                #expect(confirmed.status == .ok)
                #expect(confirmed.text.contains("已在手机上确认登录"))
                let status = try await Self.poll(client, id)
                #expect(status.json?["status"] == "confirmed")
                let tmpCode = try #require(status.json?["tmp_code"]?.stringValue)
                #expect(tmpCode.count >= 32 && tmpCode.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })

                // The parent page goes to goto + "&tmp_code=…": a code for the confirmed user.
                let path = String(goto.dropFirst(Self.origin.count))
                let reply = try await client.send(.get, path + "&tmp_code=" + tmpCode)
                #expect(reply.status == .found, "\(reply.text)")
                let query = try OAuthTests.locationQuery(reply)
                #expect(query["state"] == "qr-state")
                let code = try #require(query["code"])
                let token = try await client.exchange(code)
                #expect(token.code == 0, "\(token.text)")
                let info = try await client.userInfo(try #require(token.json?["access_token"]?.stringValue))
                #expect(info.data?["user_id"] == "zhangsan")
                #expect(info.data?["open_id"]?.stringValue == openID)

                // Single use.
                let again = try await client.send(.get, path + "&tmp_code=" + tmpCode)
                #expect(again.status == .badRequest)
                #expect(again.text.contains("20003") && again.text.contains("tmp_code is invalid or expired"))
            }
        }

        @Test func tmpCodeOfAnotherAppIsRefusedAndNotSpent() async throws {
            try await withClient { client async throws in
                let tmpCode = try await Self.tmpCode(client)
                let other = try await client.send(.get, OAuthTests.authorizeURI(app: TestApps.other.appID, extra: [("tmp_code", tmpCode)]))
                #expect(other.status == .badRequest)
                #expect(other.text.contains("tmp_code is invalid or expired"))
                let wrong = try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", "not-a-code")]))
                #expect(wrong.status == .badRequest)
                let mine = try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", tmpCode)]))
                #expect(mine.status == .found)
            }
        }

        @Test func authorizeChecksComeBeforeTheTmpCode() async throws {
            try await withClient { client async throws in
                let tmpCode = try await Self.tmpCode(client)
                let noRedirect = try await client.send(.get, OAuthTests.authorizeURI(redirect: nil, extra: [("tmp_code", tmpCode)]))
                #expect(noRedirect.status == .badRequest)
                #expect(noRedirect.text.contains("redirect_uri is missing"))
                #expect(try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", tmpCode)])).status == .found)
            }
        }

        @Test func expiredSessionAndTmpCode() async throws {
            try await withClient { client async throws in
                let id = try await Self.session(client)
                let tmpCode = try await Self.tmpCode(client, as: "lisi")
                try await client.advanceClock(seconds: 301)
                #expect(try await Self.poll(client, id).json?["status"] == "expired")
                let phone = try await client.send(.get, Self.scanPath + "?qr=" + id)
                #expect(phone.status == .badRequest)
                #expect(phone.text.contains("二维码已失效"))
                #expect(try await Self.confirm(client, id, as: "zhangsan").status == .badRequest)
                let reply = try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", tmpCode)]))
                #expect(reply.status == .badRequest)
                #expect(reply.text.contains("tmp_code is invalid or expired"))
            }
        }

        @Test func unknownSessionIsNotFound() async throws {
            try await withClient { client async throws in
                let phone = try await client.send(.get, Self.scanPath + "?qr=0123456789abcdef")
                #expect(phone.status == .notFound)
                #expect(phone.contentType.hasPrefix("text/html"))
                let poll = try await Self.poll(client, "0123456789abcdef")
                #expect(poll.status == .notFound)
                #expect(poll.json?["status"] == "expired")
            }
        }

        @Test(arguments: ["zhangsan", "+8613900000102", "13900000102"])
        func loginAsShortcutConfirmsAsUserIDOrMobile(login: String) async throws {
            try await withClient { client async throws in
                let tmpCode = try await Self.tmpCode(client, as: login)
                let reply = try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", tmpCode)]))
                let token = try await client.exchange(try #require(try OAuthTests.locationQuery(reply)["code"]))
                let info = try await client.userInfo(try #require(token.json?["access_token"]?.stringValue))
                #expect(info.data?["user_id"] == "zhangsan")
            }
        }

        @Test func sessionConfirmsOnce() async throws {
            try await withClient { client async throws in
                let id = try await Self.session(client)
                #expect(try await Self.confirm(client, id, as: "zhangsan").status == .ok)
                let again = try await Self.confirm(client, id, as: "lisi")
                #expect(again.status == .badRequest)
                #expect(try await Self.poll(client, id).json?["status"] == "confirmed")
            }
        }

        @Test func frozenOrUnknownUserCannotConfirm() async throws {
            try await withEmulator { api async throws in
                #expect(try await api.patch("\(TestOrg.userAPI)/wangwu?user_id_type=user_id", ["is_frozen": true]).code == 0)
                let id = try await Self.session(api.client)
                let frozen = try await Self.confirm(api.client, id, as: "wangwu")
                #expect(frozen.status == .badRequest)
                #expect(frozen.text.contains("20066"))
                let nobody = try await Self.confirm(api.client, id, as: "nobody")
                #expect(nobody.status == .badRequest)
                #expect(nobody.text.contains("20008"))
                #expect(try await Self.poll(api.client, id).json?["status"] == "waiting")
            }
        }

        @Test func olderSDKFramePostsTheBareCode() async throws {
            try await withClient { client async throws in
                let frame = try await client.send(.get, Self.frameURI(goto: Self.goto(), version: "1.0.2"))
                #expect(frame.status == .ok)
                #expect(frame.text.contains("var rawCode = true;"))
                let refresh = try Self.attribute("href", after: "id=\"emulator-refresh\"", in: frame.text)
                #expect(refresh == Self.frameURI(goto: Self.goto(), version: "1.0.2"))
            }
        }

        @Test(arguments: [
            "",
            "not a url",
            "https://evil.example/suite/passport/oauth/authorize?client_id=cli_test_main000001&redirect_uri=https%3A%2F%2Fx.example%2Fcb",
            "http://localhost:8081/suite/passport/oauth/authorize?client_id=cli_test_main000001&redirect_uri=https%3A%2F%2Fx.example%2Fcb",
            "http://localhost/open-apis/authen/v1/index?client_id=cli_test_main000001&redirect_uri=https%3A%2F%2Fx.example%2Fcb",
            "http://localhost/suite/passport/oauth/authorize?client_id=cli_nobody&redirect_uri=https%3A%2F%2Fx.example%2Fcb",
            "http://localhost/suite/passport/oauth/authorize?client_id=cli_test_main000001",
            "http://localhost/suite/passport/oauth/authorize?redirect_uri=https%3A%2F%2Fx.example%2Fcb",
        ])
        func badGotoShowsAnErrorInTheFrame(goto: String) async throws {
            try await withClient { client async throws in
                let reply = try await client.send(.get, Self.frameURI(goto: goto))
                #expect(reply.status == .badRequest)
                #expect(reply.contentType.hasPrefix("text/html"))
                #expect(reply.text.contains("class=\"error\""))
                #expect(!reply.text.contains("id=\"emulator-qr\""))
            }
        }

        @Test func loopbackNamesAreTheSameEmulator() async throws {
            try await withClient { client async throws in
                #expect(try await client.send(.get, Self.frameURI(goto: Self.goto(origin: "http://127.0.0.1:80"))).status == .ok)
            }
        }

        @Test func passportAuthorizeIsTheAuthorizePage() async throws {
            try await withClient { client async throws in
                let page = try await client.send(.get, OAuthTests.authorizeURI(path: Self.passportAuthorizePath))
                #expect(page.status == .ok)
                #expect(page.text.contains("href=\"\(Self.passportAuthorizePath)?"))
                let reply = try await client.send(.get, OAuthTests.authorizeURI(loginAs: "lisi", path: Self.passportAuthorizePath))
                #expect(reply.status == .found)
                #expect(try OAuthTests.locationQuery(reply)["code"] != nil)
                let missing = try await client.send(.get, Self.passportAuthorizePath + "?client_id=" + TestApps.main.appID)
                #expect(missing.status == .badRequest)
            }
        }

        @Test func sideDoorCountsSessionsAndCodes() async throws {
            try await withClient { client async throws in
                let tmpCode = try await Self.tmpCode(client)
                _ = try await client.send(.get, OAuthTests.authorizeURI(extra: [("tmp_code", tmpCode)]))
                let state = try await client.admin(.get, "state?org=false")
                #expect(state.json?["qr_login"] == ["sessions_created": 1, "sessions_waiting": 0, "tmp_codes_issued": 1,
                                                    "tmp_codes_redeemed": 1])
            }
        }
    }
}
