import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The OA connector in the admin API and the console: settings with field errors, the secret never returned, check,
/// run now and the run history, tenants kept apart.
@Suite(.timeLimit(.minutes(1)))
struct OAConnectorAPITests {
    struct ConnectorBody: Decodable {
        var configured: Bool
        var baseURL: String?
        var secret: String?
        var enabled: Bool
        var intervalMinutes: Int
        var loginCheck: String
        var updatedBy: String?
        var running: Bool
    }

    struct CheckBody: Decodable {
        struct Step: Decodable {
            var name: String
            var status: String
            var message: String
        }
        var ok: Bool
        var steps: [Step]
    }

    @Test(arguments: [
        (#"{"secret":"s3cret"}"#, "baseURL", "required"),
        (#"{"baseURL":"","secret":"s3cret"}"#, "baseURL", "required"),
        (#"{"baseURL":"ftp://oa.example.com","secret":"s3cret"}"#, "baseURL", "must be an absolute http(s) URL, e.g. https://example.com"),
        (#"{"baseURL":"https://oa.example.com/api?x=1","secret":"s3cret"}"#, "baseURL", "must not have a query or fragment"),
        (#"{"baseURL":"https://oa.example.com"}"#, "secret", "required"),
        (#"{"baseURL":"https://oa.example.com","secret":"two words"}"#, "secret", "must not contain spaces or control characters"),
        (#"{"baseURL":"https://oa.example.com","secret":"s3cret","intervalMinutes":4}"#, "intervalMinutes", "must be between 5 and 1440 minutes"),
        (#"{"baseURL":"https://oa.example.com","secret":"s3cret","intervalMinutes":1441}"#, "intervalMinutes", "must be between 5 and 1440 minutes"),
        (#"{"baseURL":"https://oa.example.com","secret":"s3cret","intervalMinutes":"often"}"#, "intervalMinutes", "must be an integer"),
        (#"{"baseURL":"https://oa.example.com","secret":"s3cret","loginCheck":"ldap"}"#, "loginCheck", "must be embedded or external"),
        (#"{"baseURL":"https://oa.example.com","secret":"s3cret","enabled":"yes"}"#, "enabled", "must be true or false"),
    ])
    func invalidSettingsAnswer400NamingTheField(body: String, field: String, message: String) async throws {
        try await APIEnvironment.with { env in
            let answer = try await env.api.put("oa-connector", body)
            #expect(answer.status == .badRequest, "\(answer)")
            #expect(answer.error == ErrorBody.Detail(field: field, message: message), "\(answer)")
            #expect(try await env.database.oaConnectors.oaConnector(tenantId: env.tenantId) == nil)
        }
    }

    @Test func theSecretIsNeverReturnedAndAnEditWithoutItKeepsIt() async throws {
        try await APIEnvironment.with { env in
            let empty = try await env.api.get("oa-connector").decode(ConnectorBody.self)
            #expect(!empty.configured && !empty.enabled && empty.intervalMinutes == 60 && empty.loginCheck == "embedded" && empty.secret == nil)

            let secret = "oa-connector-secret-9876"
            let saved = try await env.api.put("oa-connector", #"""
                {"baseURL":"https://oa.example.com/api/yunqiao/","secret":"\#(secret)","enabled":true,"intervalMinutes":30,"loginCheck":"external"}
                """#)
            #expect(saved.status == .ok, "\(saved)")
            #expect(!saved.text.contains(secret))
            let view = try saved.decode(ConnectorBody.self)
            #expect(view.configured && view.baseURL == "https://oa.example.com/api/yunqiao" && view.secret == "••••••••9876")
            #expect(view.enabled && view.intervalMinutes == 30 && view.loginCheck == "external" && view.updatedBy == "token:ci")

            // Edit without the secret (and without the other fields): the stored values stay.
            let edited = try await env.api.put("oa-connector", #"{"baseURL":"https://oa2.example.com"}"#)
            #expect(edited.status == .ok, "\(edited)")
            let after = try edited.decode(ConnectorBody.self)
            #expect(after.baseURL == "https://oa2.example.com" && after.secret == "••••••••9876")
            #expect(after.enabled && after.intervalMinutes == 30)
            let stored = try #require(try await env.database.oaConnectors.oaConnector(tenantId: env.tenantId))
            #expect(try env.database.oaConnectors.secret(of: stored) == secret)
            #expect(!stored.sealedSecret.contains(secret))
            #expect(!(try await env.api.get("oa-connector").text.contains(secret)))

            // Audited with the mask only.
            let audit = try await env.api.get("audit?action=oaConnector").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["oaConnector.update", "oaConnector.create"])
            #expect(audit.last?.after?["secret"] == "••••••••9876")
            #expect(audit.first?.before?["baseURL"] == "https://oa.example.com/api/yunqiao")
            #expect(audit.allSatisfy { entry in ![entry.before, entry.after].contains { $0?.values.contains { $0.contains(secret) } == true } })

            // The console shows the mask, never the secret.
            let page = try await env.session().call(.get, "/console/oa/connector", headers: [.accept: "text/html"])
            #expect(page.status == .ok)
            #expect(page.text.contains("••••••••9876") && !page.text.contains(secret))
        }
    }

    @Test func runNowStartsAPullAndTheHistoryShowsIt() async throws {
        try await APIEnvironment.with { env in
            // Not configured: nothing to run or check.
            let unconfigured = try await env.api.post("oa-connector/run")
            #expect(unconfigured.status == .conflict && unconfigured.error?.field == "baseURL")
            #expect(try await env.api.post("oa-connector/check").status == .conflict)

            // 230 users: three pages of 100.
            let users = (0..<230).map { TestOAState.user(String(5000 + $0), "user\($0)", "人员\($0)", $0 % 2 == 0 ? "D1" : "D4") }
            try await RunningTestOA.with(TestOAState(users: users)) { oa in
                try await env.configureConnector(oa)
                try await withRunningService(env.dependencies.oaConnector) {
                    await oa.state.set(delay: .milliseconds(100))
                    let started = try await env.api.post("oa-connector/run")
                    #expect(started.status == .accepted, "\(started)")
                    let run = try started.decode(RunStartBody.self)
                    #expect(run.started && run.run.status == "running" && run.run.source == "manual" && run.run.startedBy == "token:ci")
                    // While it runs, "run now" answers the running run.
                    let again = try await env.api.post("oa-connector/run")
                    #expect(again.status == .ok)
                    #expect(try again.decode(RunStartBody.self).run.id == run.run.id)
                    #expect(try await env.api.get("oa-connector").decode(ConnectorBody.self).running)
                    await oa.state.set(delay: .zero)

                    let finished = try await env.waitForConnectorRun(run.run.id)
                    #expect(finished.status == "succeeded", "\(finished.error ?? "")")
                    #expect(finished.pagesFetched == 4 && finished.departmentsFetched == 4 && finished.usersFetched == 230)
                    #expect(finished.created == 234 && finished.itemErrors.isEmpty)
                    let listed = try await env.api.get("oa-connector/runs").items(RunBody.self)
                    #expect(listed.map(\.id) == [run.run.id])
                    #expect(try await env.api.get("oa-connector/runs?limit=0").error?.field == "limit")
                    #expect(try await env.api.get("oa-connector/runs/9999").status == .notFound)
                    #expect(try await env.api.get("oa-connector/runs/x").error?.field == "id")
                    let directory = try await env.api.get("oa-directory/users?limit=1").json as? [String: Any]
                    #expect(directory?["total"] as? Int == 230)

                    // The other tenant sees none of it, and cannot read the run.
                    #expect(try await env.otherAPI.get("oa-connector/runs/\(run.run.id)").status == .notFound)
                    #expect(try await env.otherAPI.get("oa-connector/runs").items(RunBody.self).isEmpty)
                    #expect(try await env.otherAPI.get("oa-connector").decode(ConnectorBody.self).configured == false)
                    #expect(try await env.database.oaDirectory.oaUsers(tenantId: env.otherTenantId).total == 0)
                    let audit = try await env.api.get("audit?action=oaConnector.run").items(AuditEntry.self)
                    #expect(audit.count == 1 && audit.first?.after?["run"] == "\(run.run.id)")
                }
            }
        }
    }

    @Test func eachTenantPullsItsOwnOA() async throws {
        try await APIEnvironment.with { env in
            try await RunningTestOA.with { oa in
                let otherUsers = [TestOAState.user("9001", "bob-user", "鲍勃", "X1")]
                let otherOA = TestOAState(secret: "other-secret", departments: [TestOAState.department("X1", "别家")], users: otherUsers)
                try await RunningTestOA.with(otherOA) { other in
                    try await env.configureConnector(oa)
                    try await env.configureConnector(other, secret: "other-secret", caller: env.otherAPI)
                    try await withRunningService(env.dependencies.oaConnector) {
                        let mine = try await env.api.post("oa-connector/run").decode(RunStartBody.self)
                        let theirs = try await env.otherAPI.post("oa-connector/run").decode(RunStartBody.self)
                        #expect(mine.started && theirs.started)
                        #expect(try await env.waitForConnectorRun(mine.run.id).status == "succeeded")
                        #expect(try await env.waitForConnectorRun(theirs.run.id, caller: env.otherAPI).status == "succeeded")
                    }
                    #expect(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).total == 5)
                    #expect(try await env.database.oaDirectory.oaUsers(tenantId: env.otherTenantId).users.map(\.oaID) == ["9001"])
                    #expect(try await env.database.oaDirectory.oaDepartments(tenantId: env.otherTenantId).map(\.oaID) == ["X1"])
                }
            }
        }
    }

    @Test func checkReportsEachStep() async throws {
        try await APIEnvironment.with { env in
            try await RunningTestOA.with { oa in
                try await env.configureConnector(oa)
                let good = try await env.api.post("oa-connector/check")
                #expect(good.status == .ok, "\(good)")
                let result = try good.decode(CheckBody.self)
                #expect(result.ok && result.steps.map(\.name) == ["oa_reach", "oa_auth", "oa_departments", "oa_users"])
                #expect(result.steps.allSatisfy { $0.status == "ok" })
                #expect(result.steps[2].message == "first page: 4 departments, no more pages")

                await oa.state.set(secret: "rotated-on-the-oa")
                let refused = try await env.api.post("oa-connector/check").decode(CheckBody.self)
                #expect(!refused.ok && refused.steps.map(\.status) == ["ok", "failed", "skipped", "skipped"])
                #expect(refused.steps[1].message.contains("refused the connector secret (HTTP 401)"))

                await oa.state.set(secret: TestOAState.secret)
                await oa.state.set(failPage: ("users", 1, 500))
                let usersDown = try await env.api.post("oa-connector/check").decode(CheckBody.self)
                #expect(usersDown.steps.map(\.status) == ["ok", "ok", "ok", "failed"])
                #expect(usersDown.steps[3].message == "GET /users: the OA answered HTTP 500")
            }
            let closed = try await RunningTestOA.closedPort()
            #expect(try await env.api.put("oa-connector", #"{"baseURL":"http://127.0.0.1:\#(closed)/oa"}"#).status == .ok)
            let clock = ContinuousClock(), started = clock.now
            let down = try await env.api.post("oa-connector/check").decode(CheckBody.self)
            #expect(!down.ok && down.steps.map(\.status) == ["failed", "skipped", "skipped", "skipped"])
            #expect(down.steps[0].message.hasPrefix("cannot reach 127.0.0.1"), "\(down.steps[0].message)")
            // At once, not after the HTTP client's retries until its 10 s deadline (the API contract's slow call).
            #expect(clock.now - started < .seconds(3), "\(clock.now - started)")
        }
    }

    @Test func theConsolePageSavesChecksAndRuns() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"]
            let empty = try await session.call(.get, "/console/oa/connector", headers: [.accept: "text/html"])
            #expect(empty.status == .ok)
            #expect(empty.text.contains("id=\"oa-connector-form\"") && empty.text.contains("OA 连接器") && !empty.text.contains("id=\"run-now\""))

            try await RunningTestOA.with { oa in
                // Refused: the form again, the message next to its field, the secret not echoed.
                let refused = try await session.call(.post, "/console/oa/connector", body: formBody([
                    ("baseURL", oa.baseURL), ("secret", TestOAState.secret), ("enabled", "true"), ("intervalMinutes", "3"),
                    ("loginCheck", "embedded"),
                ]), headers: form)
                #expect(refused.status == .badRequest)
                #expect(refused.text.contains(#"data-field="intervalMinutes""#) && refused.text.contains("必须在 5 到 1440 分钟之间"))
                #expect(refused.text.contains("拉取间隔（分钟）") && refused.text.contains(oa.baseURL))
                #expect(!refused.text.contains(TestOAState.secret))

                let saved = try await session.call(.post, "/console/oa/connector", body: formBody([
                    ("baseURL", oa.baseURL), ("secret", TestOAState.secret), ("enabled", "false"), ("intervalMinutes", "15"),
                    ("loginCheck", "external"),
                ]), headers: form)
                #expect(saved.status == .seeOther && saved.headers[.location] == "/console/oa/connector?saved=1", "\(saved)")
                let stored = try #require(try await env.database.oaConnectors.oaConnector(tenantId: env.tenantId))
                #expect(stored.intervalMinutes == 15 && stored.loginCheck == .external && !stored.enabled && stored.updatedBy == "admin")

                let checked = try await session.call(.post, "/console/oa/connector/check", body: formBody([]), headers: form)
                #expect(checked.status == .ok)
                #expect(checked.text.contains(#"data-step="oa_users""#) && checked.text.contains("第一页 4 个部门，没有更多了"))

                try await withRunningService(env.dependencies.oaConnector) {
                    let run = try await session.call(.post, "/console/oa/connector/run", body: formBody([]), headers: form)
                    #expect(run.status == .seeOther, "\(run)")
                    let location = try #require(run.headers[.location])
                    let id = try #require(location.firstMatch(of: /run=(\d+)/).flatMap { Int64($0.1) })
                    #expect(location.hasSuffix("&started=1"))
                    #expect(try await env.waitForConnectorRun(id).status == "succeeded")
                    let page = try await session.call(.get, location + "&lang=en", headers: [.accept: "text/html"])
                    #expect(page.text.contains("Pull #\(id) started") && page.text.contains(#"data-run="\#(id)""#))
                    #expect(page.text.contains(#"data-count="created">9<"#) && page.text.contains("Manual"))
                }
            }
        }
    }
}
