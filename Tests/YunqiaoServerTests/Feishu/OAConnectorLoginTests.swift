import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The first visit's OA login form checked by the external OA (`loginCheck: external`, `POST {base}/verify-login`).
@Suite(.timeLimit(.minutes(2)))
struct OAConnectorLoginTests {
    static let oaPassword = "the-oa-password-42"

    @Test func theExternalOAChecksTheLogin() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await FirstVisitTests.setUp(env)
            let app = setup.app.id
            try await RunningTestOA.with { oa in
                // The OA knows zhang (the bridge's 2001), a user the bridge does not hold, and one who left the bridge's directory.
                await oa.state.set(login: "zhang", password: Self.oaPassword, userID: "2001")
                await oa.state.set(login: "ghost", password: Self.oaPassword, userID: "9999")
                await oa.state.set(login: "gone", password: Self.oaPassword, userID: "2002")
                try await env.configureConnector(oa, loginCheck: "external")
                let form = try await FirstVisitTests.visit(env, app: app, as: "root1")
                let token = try FirstVisitTests.token(in: form)

                // The embedded password no longer counts; a wrong one is "wrong password".
                let embedded = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: FirstVisitTests.oaPassword)
                #expect(embedded.status == .unauthorized && embedded.text.contains("账号或密码错误"), "\(embedded)")
                let wrong = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: "nope")
                #expect(wrong.status == .unauthorized && wrong.text.contains("账号或密码错误"))

                // Valid at the OA but not (or no longer) an active user of the bridge's directory: not bound.
                for login in ["ghost", "gone"] {
                    let unknown = try await FirstVisitTests.bind(env, app: app, token: token, loginID: login, password: Self.oaPassword)
                    #expect(unknown.status == .forbidden && unknown.text.contains("该 OA 账号尚未同步到云桥"), "\(unknown)")
                    #expect(!unknown.text.contains("账号或密码错误"))
                }
                #expect(try await FirstVisitTests.bindings(env, setup.enterpriseId).isEmpty)

                // The OA refusing the connector secret, or failing: "OA unavailable", not "wrong password".
                await oa.state.set(verifyStatus: 500)
                let failing = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: Self.oaPassword)
                #expect(failing.status == .serviceUnavailable && failing.text.contains("OA 暂时无法访问"), "\(failing)")
                #expect(!failing.text.contains("账号或密码错误") && failing.text.contains("id=\"bind-form\""))
                await oa.state.set(verifyStatus: nil)

                // Valid: bound as the OA's user, on to the homepage.
                let done = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: Self.oaPassword)
                #expect(done.status == .seeOther && done.headers[.location] == "\(FirstVisitTests.domain)/oa/portal", "\(done)")
                let bindings = try await FirstVisitTests.bindings(env, setup.enterpriseId)
                #expect(bindings.map(\.oaUserID) == ["2001"] && bindings.first?.method == "manual")
                #expect(await oa.state.requests(to: "/oa/verify-login").count == 6)
            }
            // The password was sent to the OA only: never logged.
            #expect(!env.logs.text.contains(Self.oaPassword) && !env.logs.text.contains(FirstVisitTests.oaPassword))
        }
    }

    @Test func anUnreachableOASaysOAUnavailable() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await FirstVisitTests.setUp(env)
            let app = setup.app.id
            let closed = try await RunningTestOA.closedPort()
            #expect(try await env.api.put("oa-connector", #"""
                {"baseURL":"http://127.0.0.1:\#(closed)/oa","secret":"s3cret","loginCheck":"external"}
                """#).status == .ok)
            let form = try await FirstVisitTests.visit(env, app: app, as: "root1")
            let token = try FirstVisitTests.token(in: form)
            let down = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: Self.oaPassword)
            #expect(down.status == .serviceUnavailable && down.text.contains("OA 暂时无法访问"), "\(down)")
            #expect(!down.text.contains("账号或密码错误"))
            #expect(env.logs.text.contains("first visit: OA login check unavailable") && !env.logs.text.contains(Self.oaPassword))

            // Back to the embedded check: the bridge's password hash decides again.
            #expect(try await env.api.put("oa-connector", #"{"baseURL":"http://127.0.0.1:\#(closed)/oa","loginCheck":"embedded"}"#).status == .ok)
            let done = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: FirstVisitTests.oaPassword)
            #expect(done.status == .seeOther, "\(done)")
        }
    }
}
