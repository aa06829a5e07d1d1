import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// 50/s and 1000/min per app per API, answered 429 + 99991400 + `x-ogw-ratelimit-*` (`feishu-api.md` §1.6, §7).
@Suite struct RateLimitTests {
    static let api = "GET /open-apis/contact/v3/users/find_by_department"
    static let uri = "\(TestOrg.userAPI)/find_by_department?department_id=rd&department_id_type=department_id&page_size=1"

    struct Sample {
        var reply: Reply
        var second: Int?  // the wall-clock second, when the request started and ended in the same one
    }

    @Test(.timeLimit(.minutes(1)))
    func rapidRequestsAreLimitedPerSecond() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            // The emulator's clock stands still: the burst is one window however slowly a loaded machine sends it.
            try await api.client.freezeClock()

            var samples: [Sample] = []
            for _ in 0..<200 {
                let start = Int(Date().timeIntervalSince1970)
                let reply = try await api.get(Self.uri)
                let end = Int(Date().timeIntervalSince1970)
                samples.append(Sample(reply: reply, second: start == end ? start : nil))
            }
            let ok = samples.filter { $0.reply.status == .ok }
            let limited = samples.filter { $0.reply.status == .tooManyRequests }
            #expect(ok.count + limited.count == 200)
            #expect(!limited.isEmpty)
            #expect(ok.count >= 50)
            #expect(ok.allSatisfy { $0.reply.code == 0 })

            // At most 50 successes in any one second.
            let perSecond = Dictionary(grouping: ok.compactMap(\.second), by: { $0 }).mapValues(\.count)
            #expect(perSecond.values.allSatisfy { $0 <= 50 }, "\(perSecond)")
            let seconds = Set(samples.compactMap(\.second)).count
            #expect(ok.count <= 50 * max(1, seconds + 1))

            for sample in limited {
                let reply = sample.reply
                #expect(reply.code == 99991400)
                #expect(reply.contentType.hasPrefix("application/json"))
                #expect(reply.header("x-ogw-ratelimit-limit") == "50")
                let reset = try #require(reply.header("x-ogw-ratelimit-reset").flatMap(Int.init))
                #expect((1...60).contains(reset))
                #expect(reply.json?["error"]?["log_id"]?.stringValue == reply.logID)
            }

            let state = try await api.admin(.get, "state?org=false")
            let counters = try #require(state.json?["counters"])
            #expect(counters["rate_limited"]?[Self.api]?.intValue == limited.count)
            #expect(counters["total_rate_limited"]?.intValue == limited.count)
            #expect(counters["calls"]?[Self.api]?.intValue == 200)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func limitsArePerAPIAndPerApp() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let other = try await api.asApp(TestApps.other)
            try await api.client.freezeClock()
            var limited = false
            for _ in 0..<120 where !limited {
                limited = try await api.get(Self.uri).status == .tooManyRequests
            }
            #expect(limited)
            // Another API of the same app and the same API of another app still answer.
            #expect(try await api.get("/open-apis/contact/v3/scopes").status == .ok)
            #expect(try await other.get(Self.uri).status == .ok)
            // A new second is a new window.
            try await api.client.advanceClock(seconds: 1)
            #expect(try await api.get(Self.uri).status == .ok)
        }
    }

    @Test func rateLimitCanBeSwitchedAtRunTime() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let off = try await api.admin(.put, "rate-limit", ["enabled": false])
            #expect(off.json?["enabled"] == false)
            for _ in 0..<60 { #expect(try await api.get(Self.uri).status == .ok) }
            let state = try await api.admin(.get, "state?org=false")
            #expect(state.json?["rate_limit"] == false)
            #expect(try await api.admin(.put, "rate-limit", ["enabled": "maybe"]).adminErrorField == "enabled")
        }
    }

    @Test func tokenEndpointIsNotRateLimited() async throws {
        try await withClient(try TestOrg.configuration(rateLimit: true)) { client async throws in
            for _ in 0..<60 {
                let reply = try await client.tenantTokenReply(TestApps.main)
                #expect(reply.code == 0)
            }
        }
    }
}

/// Faults injected through `/_emulator/faults`.
@Suite struct FaultTests {
    static let uri = RateLimitTests.uri

    @Test func rateLimitBurstAnswersExactlyNTimes429() async throws {
        try await withEmulator { api async throws in
            let set = try await api.admin(.put, "faults", ["rate_limit_burst": 3])
            #expect(set.status == .ok)
            #expect(set.json?["rate_limit_burst"] == 3)
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await api.get(Self.uri).status.code) }
            #expect(statuses == [429, 429, 429, 200, 200, 200])
            #expect(try await api.admin(.get, "faults").json?["rate_limit_burst"] == 0)
            let state = try await api.admin(.get, "state?org=false")
            #expect(state.json?["counters"]?["rate_limited"]?[RateLimitTests.api] == 3)
        }
    }

    @Test func burstAnswersCarryTheRateLimitHeaders() async throws {
        try await withEmulator(faults: { var f = EmulatorFaults(); f.rateLimitBurst = 1; return f }()) { api async throws in
            let reply = try await api.get(Self.uri)
            #expect(reply.status == .tooManyRequests)
            #expect(reply.code == 99991400)
            #expect(reply.header("x-ogw-ratelimit-limit") != nil)
            #expect(reply.header("x-ogw-ratelimit-reset") == "1")
            #expect(try await api.get(Self.uri).status == .ok)
        }
    }

    @Test func http5xxIsAPlainText503() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.admin(.put, "faults", ["error_rate": 1, "error_kind": "http_5xx"]).status == .ok)
            for _ in 0..<5 {
                let reply = try await api.get(Self.uri)
                #expect(reply.status == .serviceUnavailable)
                #expect(reply.contentType.hasPrefix("text/plain"))
                #expect(reply.json == nil)
            }
            let state = try await api.admin(.get, "state?org=false")
            #expect(state.json?["counters"]?["faults"]?[RateLimitTests.api] == 5)
        }
    }

    @Test func internalCodeIsA500WithARetryableCode() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.admin(.put, "faults", ["error_rate": "1.0", "error_kind": "internal_code"]).status == .ok)
            for _ in 0..<10 {
                let reply = try await api.get(Self.uri)
                #expect(reply.status == .internalServerError)
                #expect(reply.contentType.hasPrefix("application/json"))
                #expect([55001, 1500, 5000].contains(reply.code ?? 0), "\(reply.text)")
                #expect(reply.json?["error"]?["log_id"]?.stringValue == reply.logID)
            }
        }
    }

    @Test func mixedFaultsAreBothKinds() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.admin(.put, "faults", ["error_rate": 1, "error_kind": "mixed"]).status == .ok)
            var statuses = Set<Int>()
            for _ in 0..<40 { statuses.insert(try await api.get(Self.uri).status.code) }
            #expect(statuses == [500, 503])
        }
    }

    @Test func faultsCanBeLimitedToSomeAPIs() async throws {
        try await withEmulator { api async throws in
            let set = try await api.admin(.put, "faults", ["error_rate": 1, "error_kind": "http_5xx",
                                                            "error_apis": ["GET /open-apis/contact/v3/users/:user_id"]])
            #expect(set.status == .ok)
            #expect(try await api.user("zhangsan").status == .serviceUnavailable)
            #expect(try await api.get(Self.uri).status == .ok)
        }
    }

    @Test func tokenEndpointIsNotFaulted() async throws {
        try await withEmulator { api async throws in
            let set = try await api.admin(.put, "faults", ["error_rate": 1, "error_kind": "http_5xx", "rate_limit_burst": 5])
            #expect(set.status == .ok)
            #expect(try await api.client.tenantTokenReply(TestApps.other).code == 0)
        }
    }

    @Test func partialErrorRateIsDeterministicForASeed() async throws {
        @Sendable func run() async throws -> [Int] {
            try await withEmulator { api async throws in
                _ = try await api.admin(.put, "faults", ["error_rate": 0.3, "error_kind": "http_5xx"])
                var statuses: [Int] = []
                for _ in 0..<40 { statuses.append(try await api.get(Self.uri).status.code) }
                return statuses
            }
        }
        let first = try await run()
        #expect(first == (try await run()))
        let failures = first.filter { $0 == 503 }.count
        #expect(failures > 0 && failures < 40)
    }

    @Test func deleteClearsTheFaults() async throws {
        try await withEmulator { api async throws in
            _ = try await api.admin(.put, "faults", ["error_rate": 1, "error_kind": "http_5xx", "rate_limit_burst": 2, "latency_ms": 1])
            let cleared = try await api.admin(.delete, "faults")
            #expect(cleared.json?["error_rate"] == 0)
            #expect(cleared.json?["rate_limit_burst"] == 0)
            #expect(try await api.get(Self.uri).status == .ok)
        }
    }

    @Test func putReplacesWhilePatchMerges() async throws {
        try await withEmulator { api async throws in
            _ = try await api.admin(.put, "faults", ["rate_limit_burst": 4, "latency_ms": 1])
            let patched = try await api.admin(.patch, "faults", ["latency_ms": 2])
            #expect(patched.json?["rate_limit_burst"] == 4)
            #expect(patched.json?["latency_ms"] == 2)
            let replaced = try await api.admin(.put, "faults", ["latency_ms": 0])
            #expect(replaced.json?["rate_limit_burst"] == 0)
        }
    }

    @Test(arguments: [
        (#"{"error_rate": 2}"#, "error_rate"),
        (#"{"error_rate": -0.1}"#, "error_rate"),
        (#"{"error_rate": "often"}"#, "error_rate"),
        (#"{"error_kind": "boom"}"#, "error_kind"),
        (#"{"latency_ms": -5}"#, "latency_ms"),
        (#"{"latency_ms": "slow"}"#, "latency_ms"),
        (#"{"rate_limit_burst": -1}"#, "rate_limit_burst"),
        (#"{"error_apis": ["GET /nowhere"]}"#, "error_apis"),
        (#"{"error_apis": "GET /open-apis/contact/v3/scopes"}"#, "error_apis"),
        (#"[1, 2]"#, "body"),
        ("not json", "body"),
    ])
    func badFaultFieldIsA400NamingIt(body: String, field: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.client.send(.put, "/_emulator/faults", raw: body)
            #expect(reply.status == .badRequest)
            #expect(reply.contentType.hasPrefix("application/json"))
            #expect(reply.adminErrorField == field, "\(reply.text)")
            #expect(reply.json?["error"]?["message"]?.stringValue?.isEmpty == false)
            // Nothing changed.
            #expect(try await api.admin(.get, "faults").json?["error_rate"] == 0)
            #expect(try await api.get(Self.uri).status == .ok)
        }
    }
}

/// The rest of the operator's side door.
@Suite struct AdminTests {
    @Test func stateShowsTenantAppsAndCounters() async throws {
        try await withEmulator { api async throws in
            _ = try await api.get("/open-apis/contact/v3/scopes")
            _ = try await api.get("\(TestOrg.userAPI)/nobody?user_id_type=user_id")
            let state = try #require(try await api.admin(.get, "state").json)
            #expect(state["tenant"]?["name"] == "测试科技有限公司")
            #expect(state["tenant"]?["tenant_key"] == "736588c9260f175d")
            let apps = try #require(state["apps"]?.arrayValue)
            #expect(apps.count == 4)
            let limited = apps.first { $0["app_id"] == "cli_test_limited001" }
            #expect(limited?["scope"]?["departments"] == ["rd"])
            #expect(apps.first { $0["app_id"] == "cli_test_main000001" }?["scope"] == "all")
            #expect(state["counters"]?["calls"]?["GET /open-apis/contact/v3/scopes"] == 1)
            #expect(state["counters"]?["errors"]?["GET /open-apis/contact/v3/users/:user_id"] == 1)
            #expect(state["org"]?["departments"]?.arrayValue?.count == 110)
            #expect(state["org"]?["users"]?.arrayValue?.count == 106)
            #expect(try await api.admin(.get, "state?org=false").json?["org"] == nil)
        }
    }

    @Test func countersCanBeReset() async throws {
        try await withEmulator { api async throws in
            _ = try await api.get("/open-apis/contact/v3/scopes")
            #expect(try await api.admin(.post, "counters/reset").status == .ok)
            let state = try await api.admin(.get, "state?org=false")
            #expect(state.json?["counters"]?["total_calls"] == 0)
            #expect(state.json?["counters"]?["tokens_issued"] == 0)
        }
    }

    @Test func clockAdvanceValidatesSeconds() async throws {
        try await withClient { client async throws in
            #expect(try await client.admin(.post, "clock/advance", ["seconds": -1]).adminErrorField == "seconds")
            #expect(try await client.admin(.post, "clock/advance", [:]).adminErrorField == "seconds")
            let ok = try await client.admin(.post, "clock/advance", ["seconds": "30"])
            #expect(ok.json?["offset_seconds"] == 30)
        }
    }

    @Test func stateIsAlsoAvailableInProcess() async throws {
        let emulator = Emulator(configuration: try TestOrg.configuration())
        let size = await emulator.state.orgSize
        #expect(size.departments == 110)
        #expect(size.users == 106)
        let credentials = await emulator.state.appCredentials
        #expect(credentials.map(\.appID) == TestApps.all.map(\.appID))
        await emulator.state.setFaults({ var f = EmulatorFaults(); f.rateLimitBurst = 2; return f }())
        let snapshot = await emulator.state.snapshot()
        #expect(snapshot["faults"]?["rate_limit_burst"] == 2)
        #expect(snapshot["org"] == nil)
    }
}

extension RateLimitTests {
    /// `feishu-api.md` §1.6 / §3.3: a PATCH user that changes `department_ids` or `is_frozen` is limited to 1 QPS.
    @Test
    func freezingIsLimitedToOnePerSecond() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let uri = "\(TestOrg.userAPI)/lisi?user_id_type=user_id"
            try await api.client.freezeClock()
            var statuses: [Int] = []
            for frozen in [true, false, true] { statuses.append(try await api.patch(uri, ["is_frozen": .bool(frozen)]).status.code) }
            #expect(statuses.contains(429))
        }
    }
}
