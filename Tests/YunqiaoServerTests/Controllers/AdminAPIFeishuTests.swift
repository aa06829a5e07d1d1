import FeishuEmulator
import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The admin API's calls to Feishu, against the emulator: credentials, network checks, sync now and the mirror.
@Suite(.timeLimit(.minutes(2)))
struct AdminAPIFeishuTests {
    /// An enterprise pointing at the emulator, with the emulator's app (or only the enterprise).
    static func emulatorEnterprise(_ env: APIEnvironment, withApp: Bool = true,
                                   secret: String = APIEnvironment.emulatorApp.appSecret) async throws -> (EnterpriseView, AppView?)
    {
        let baseURL = try #require(env.emulator?.baseURL)
        let created = try await env.api.post("enterprises", #"{"name":"模拟企业","baseURL":"\#(baseURL)"}"#)
        #expect(created.status == .created)
        let enterprise = try created.decode(EnterpriseView.self)
        guard withApp else { return (enterprise, nil) }
        let app = try await env.api.post("enterprises/\(enterprise.id)/apps",
                                         #"{"name":"同步应用","appID":"\#(APIEnvironment.emulatorApp.appID)","appSecret":"\#(secret)"}"#)
        #expect(app.status == .created)
        return (enterprise, try app.decode(AppView.self))
    }

    static func step(_ result: CheckResult, _ name: String) -> CheckResult.Step? { result.steps.first { $0.name == name } }

    @Test func testCredentialsAgainstTheEmulator() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (_, created) = try await Self.emulatorEnterprise(env)
            let app = try #require(created)
            let answer = try await env.api.post("apps/\(app.id)/test-credentials")
            #expect(answer.status == .ok)
            let result = try answer.decode(CheckResult.self)
            #expect(result.ok, "\(answer)")
            #expect(result.steps.map(\.name) == ["token", "scope"])
            #expect(result.steps.allSatisfy { $0.status == "ok" })
            #expect(result.scope?.allMembers == true)
            #expect(Self.step(result, "token")?.message.description.contains(APIEnvironment.emulatorApp.appID) == true)

            // Edited without a secret: the stored one still works.
            let renamed = try await env.api.put("apps/\(app.id)", #"{"name":"改名","appID":"\#(app.appID)"}"#)
            #expect(renamed.status == .ok)
            #expect(try await env.api.post("apps/\(app.id)/test-credentials").decode(CheckResult.self).ok)

            // A wrong secret: the token step fails with Feishu's code, the scope step is skipped.
            _ = try await env.api.put("apps/\(app.id)", #"{"name":"改名","appID":"\#(app.appID)","appSecret":"wrong-secret-0000"}"#)
            let refused = try await env.api.post("apps/\(app.id)/test-credentials")
            #expect(refused.status == .ok)
            let failed = try refused.decode(CheckResult.self)
            #expect(!failed.ok)
            #expect(Self.step(failed, "token")?.status == "failed")
            #expect(Self.step(failed, "token")?.message.description.contains("10003") == true, "\(refused)")
            #expect(Self.step(failed, "scope")?.status == "skipped")
            #expect(failed.scope == nil)

            // Back to the right secret.
            _ = try await env.api.put("apps/\(app.id)", #"{"name":"改名","appID":"\#(app.appID)","appSecret":"\#(APIEnvironment.emulatorApp.appSecret)"}"#)
            #expect(try await env.api.post("apps/\(app.id)/test-credentials").decode(CheckResult.self).ok)
            #expect(try await env.api.post("apps/9999/test-credentials").status == .notFound)

            // The secrets never reached the log.
            #expect(!env.logs.text.contains(APIEnvironment.emulatorApp.appSecret))
            #expect(!env.logs.text.contains("wrong-secret-0000"))
        }
    }

    @Test func checkNetworkAgainstTheEmulator() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (bare, _) = try await Self.emulatorEnterprise(env, withApp: false)
            let withoutApp = try await env.api.post("settings/check-network", #"{"enterpriseId":\#(bare.id)}"#).decode(CheckResult.self)
            #expect(withoutApp.ok)
            #expect(withoutApp.steps.map(\.name) == ["dns", "tcp", "tls", "token"])
            #expect(withoutApp.steps.map(\.status) == ["ok", "ok", "skipped", "skipped"])
            #expect(Self.step(withoutApp, "tls")?.message.description.contains("http") == true)

            _ = try await env.api.post("enterprises/\(bare.id)/apps",
                                       #"{"appID":"\#(APIEnvironment.emulatorApp.appID)","appSecret":"\#(APIEnvironment.emulatorApp.appSecret)"}"#)
            let answer = try await env.api.post("settings/check-network", #"{"enterpriseId":\#(bare.id)}"#)
            #expect(answer.status == .ok)
            let result = try answer.decode(CheckResult.self)
            #expect(result.ok, "\(answer)")
            #expect(result.steps.map(\.status) == ["ok", "ok", "skipped", "ok"])
            #expect(result.steps.allSatisfy { $0.durationMs >= 0 && !$0.message.description.isEmpty })

            #expect(try await env.api.post("settings/check-network", #"{"enterpriseId":9999}"#).status == .notFound)
            #expect(try await env.api.post("settings/check-network", #"{}"#).error?.field == "enterpriseId")
            #expect(try await env.api.post("settings/check-network", #"{"enterpriseId":"one"}"#).error?.field == "enterpriseId")
        }
    }

    @Test func checkNetworkStopsAtAnUnresolvableHost() async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("enterprises", #"{"name":"无处","baseURL":"https://no-such-host.yunqiao-test.invalid"}"#)
            let enterprise = try created.decode(EnterpriseView.self)
            _ = try await env.api.post("enterprises/\(enterprise.id)/apps", #"{"appID":"cli_nowhere","appSecret":"nowhere-secret"}"#)
            let answer = try await env.api.post("settings/check-network", #"{"enterpriseId":\#(enterprise.id)}"#)
            #expect(answer.status == .ok)
            let result = try answer.decode(CheckResult.self)
            #expect(!result.ok)
            #expect(result.steps.map(\.name) == ["dns", "tcp", "tls", "token"])
            #expect(result.steps.map(\.status) == ["failed", "skipped", "skipped", "skipped"])
            #expect(Self.step(result, "dns")?.message.description.isEmpty == false)
        }
    }

    @Test func syncNowThenBrowseTheMirror() async throws {
        // 20 ms per Feishu answer: the run lasts long enough for a second request to find it running.
        try await APIEnvironment.with(emulator: true, latency: .milliseconds(20)) { env in
            let (bare, _) = try await Self.emulatorEnterprise(env, withApp: false)
            let noApp = try await env.api.post("enterprises/\(bare.id)/sync")
            #expect(noApp.status == .conflict)
            #expect(noApp.error?.message.contains("has no app") == true)
            #expect(try await env.api.post("enterprises/9999/sync").status == .notFound)
            _ = try await env.api.post("enterprises/\(bare.id)/apps",
                                       #"{"appID":"\#(APIEnvironment.emulatorApp.appID)","appSecret":"\#(APIEnvironment.emulatorApp.appSecret)"}"#)
            let enterprise = bare.id

            #expect(try await env.api.get("enterprises/\(enterprise)/departments").items(DepartmentNode.self).isEmpty)
            #expect(try await env.api.get("enterprises/\(enterprise)/users").decode(UserPage.self).total == 0)

            let started = try await env.api.post("enterprises/\(enterprise)/sync")
            #expect(started.status == .accepted, "\(started)")
            let start = try started.decode(SyncStartBody.self)
            #expect(start.started)
            #expect(start.run.enterpriseId == enterprise)
            #expect(start.run.kind == "feishu")
            // A second request while it runs gets the same run.
            let again = try await env.api.post("enterprises/\(enterprise)/sync")
            #expect(again.status == .ok, "\(again)")
            let second = try again.decode(SyncStartBody.self)
            #expect(!second.started)
            #expect(second.run.id == start.run.id)
            #expect(second.run.status == "running")

            let run = try await Self.waitForRun(env, enterprise: enterprise, id: start.run.id)
            #expect(run.status == "succeeded", "\(run)")
            #expect(run.finishedAt != nil)
            #expect(run.report?.users.created == 9)
            #expect(run.report?.departments.created == 6)
            #expect(run.summary?.contains("sync succeeded") == true)
            let runs = try await env.api.get("enterprises/\(enterprise)/sync-runs").items(SyncRunView.self)
            #expect(runs.contains { $0.id == start.run.id })
            #expect(runs.map(\.id) == runs.map(\.id).sorted(by: >))
            #expect(try await env.api.get("enterprises/\(enterprise)/sync-runs?limit=1").items(SyncRunView.self).count == 1)
            #expect(try await env.api.get("enterprises/\(enterprise)/sync-runs?limit=x").error?.field == "limit")
            #expect(try await env.api.get("enterprises/\(enterprise)/sync-runs/9999").status == .notFound)
            #expect(try await env.api.get("enterprises/\(enterprise)/sync-runs/x").error?.field == "run")
            let audit = try await env.api.get("audit?action=sync").items(AuditEntry.self)
            #expect(audit.count == 1)
            #expect(audit.first?.actor == "token:ci")
            #expect(audit.first?.after?["run"] == "\(start.run.id)")
            #expect(audit.first?.target == "enterprise \(enterprise) 模拟企业")

            // The department tree: 总部 ▸ 研发中心 ▸ 平台部 ▸ 存储组, 销售中心 ▸ 空部门.
            let tops = try await env.api.get("enterprises/\(enterprise)/departments").items(DepartmentNode.self)
            #expect(tops.map(\.name).sorted() == ["总部", "销售中心"])
            let headquarters = try #require(tops.first { $0.name == "总部" })
            #expect(headquarters.departmentID == "D1")
            #expect(headquarters.parentOpenDepartmentID == "0")
            let research = try #require(headquarters.children.first)
            #expect(research.name == "研发中心")
            #expect(research.userCount == 2)
            #expect(research.children.first?.children.first?.name == "存储组")
            let sales = try #require(tops.first { $0.name == "销售中心" })
            #expect(sales.userCount == 4)
            #expect(sales.children.map(\.name) == ["空部门"])

            // Users: paging, search, department filter.
            let all = try await env.api.get("enterprises/\(enterprise)/users").decode(UserPage.self)
            #expect(all.total == 9)
            #expect(all.users.count == 9)
            #expect(all.limit == 50)
            #expect(all.offset == 0)
            let first = try await env.api.get("enterprises/\(enterprise)/users?limit=4").decode(UserPage.self)
            let last = try await env.api.get("enterprises/\(enterprise)/users?limit=4&offset=8").decode(UserPage.self)
            #expect(first.users.count == 4)
            #expect(first.total == 9)
            #expect(last.users.count == 1)
            #expect(first.users.map(\.unionID) == Array(all.users.map(\.unionID).prefix(4)))
            #expect(last.users.first?.unionID == all.users.last?.unionID)
            #expect(try await env.api.get("enterprises/\(enterprise)/users?limit=200").decode(UserPage.self).limit == 200)
            #expect(try await env.api.get("enterprises/\(enterprise)/users?limit=1000").error == .init(field: "limit", message: "must be between 1 and 200"))
            #expect(try await env.api.get("enterprises/\(enterprise)/users?limit=x").error?.field == "limit")
            #expect(try await env.api.get("enterprises/\(enterprise)/users?offset=x").error?.field == "offset")

            let search = try await env.api.get("enterprises/\(enterprise)/users?q=%E5%85%BC%E8%81%8C").decode(UserPage.self)  // 兼职
            #expect(search.total == 1)
            let multi = try #require(search.users.first)
            #expect(multi.name == "兼职者")
            #expect(multi.employeeNo == "E-MULTI")
            #expect(multi.status == "active")
            #expect(multi.departments.map(\.name) == ["总部", "平台部", "销售中心"])
            #expect(multi.departments.map(\.primary) == [true, false, false])
            let byMobile = try await env.api.get("enterprises/\(enterprise)/users?q=%2B8613900000001").decode(UserPage.self)
            #expect(byMobile.users.map(\.name) == ["根成员一"])
            let inResearch = try await env.api.get("enterprises/\(enterprise)/users?department=\(research.openDepartmentID)").decode(UserPage.self)
            #expect(inResearch.users.map(\.name).sorted() == ["离职者", "调动者"].sorted())
            let inRoot = try await env.api.get("enterprises/\(enterprise)/users?department=0").decode(UserPage.self)
            #expect(inRoot.total == 2)
            #expect(inRoot.users.first?.departments.first?.name == "(root)")

            // The user card by union_id and by open_id; unknown users are 404.
            let byUnion = try await env.api.get("enterprises/\(enterprise)/users/\(multi.unionID)")
            #expect(byUnion.status == .ok)
            #expect(try byUnion.decode(UserView.self) == multi)
            let openID = try #require(multi.openID)
            #expect(try await env.api.get("enterprises/\(enterprise)/users/\(openID)").decode(UserView.self) == multi)
            let unknown = try await env.api.get("enterprises/\(enterprise)/users/on_nobody")
            #expect(unknown.status == .notFound)
            #expect(unknown.error?.message == "user on_nobody not found")
            #expect(try await env.api.get("enterprises/9999/users").status == .notFound)
            #expect(try await env.api.get("enterprises/9999/departments").status == .notFound)
        }
    }

    static func waitForRun(_ env: APIEnvironment, enterprise: Int64, id: Int64) async throws -> SyncRunView {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let answer = try await env.api.get("enterprises/\(enterprise)/sync-runs/\(id)")
            #expect(answer.status == .ok)
            let run = try answer.decode(SyncRunView.self)
            if run.status != "running" { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunTimeout()
    }

    struct RunTimeout: Error {}

    struct SyncStartBody: Decodable {
        var started: Bool
        var run: SyncRunView
    }

    @Test func metricsCountRequestsAndFeishuCalls() async throws {
        try await APIEnvironment.with(emulator: true, metrics: SharedMetrics.registry) { env in
            let (_, created) = try await Self.emulatorEnterprise(env)
            let app = try #require(created)
            #expect(try await env.api.post("apps/\(app.id)/test-credentials").decode(CheckResult.self).ok)
            let answer = try await env.anonymous.get("/metrics")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = answer.text.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("hb_requests{") && $0.contains("/api/admin/v1/apps/{id}/test-credentials") })
            #expect(lines.contains { $0.hasPrefix("# TYPE hb_requests counter") })
            #expect(lines.contains {
                $0.hasPrefix("feishu_api_calls_total{") && $0.contains("/open-apis/contact/v3/scopes") && $0.contains(#"result="success""#)
            }, "\(answer.text)")
            #expect(lines.contains { $0.hasPrefix("http_server_request_duration") })
            // Metric names are valid Prometheus names.
            for line in lines where !line.hasPrefix("#") {
                let name = line.prefix { $0 != "{" && $0 != " " }
                #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }, "\(line)")
            }
        }
    }
}
