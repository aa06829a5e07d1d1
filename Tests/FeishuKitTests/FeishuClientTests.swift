import AsyncHTTPClient
import FeishuEmulator
import Foundation
import YunqiaoCore
import Logging
import NIOHTTP1
import Testing

@testable import FeishuKit

private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
private let fast = RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(2), maxDelay: .milliseconds(20))

private func client(_ emulator: RunningEmulator, limiter: RateLimiter = RateLimiter(), retry: RetryPolicy = fast) -> FeishuClient {
    let app = EmulatorConfiguration.defaultApp
    return FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                        httpClient: .shared, limiter: limiter, retry: retry, logger: quiet)
}

private func calls(_ emulator: RunningEmulator, _ api: String) async -> Int {
    await emulator.state.snapshot()["counters"]?["calls"]?[api]?.intValue ?? 0
}

@Suite(.timeLimit(.minutes(1)))
struct FeishuClientTests {
    @Test func concurrentCallersShareOneTokenFetch() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = client(emulator)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { _ = try await feishu.departmentChildren(of: "0").collect() } }
                try await group.waitForAll()
            }
            #expect(await calls(emulator, "POST /open-apis/auth/v3/tenant_access_token/internal") == 1)
        }
    }

    @Test func refusedTokenIsDroppedAndTheCallRetriedOnce() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = client(emulator)
            _ = try await feishu.departmentChildren(of: "0").collect()
            await emulator.state.expireAllTokens()
            let departments = try await feishu.departmentChildren(of: "0").collect()
            #expect(!departments.isEmpty)
            #expect(await calls(emulator, "POST /open-apis/auth/v3/tenant_access_token/internal") == 2)
            #expect(await feishu.recorder.total().tokenRefreshes == 1)
        }
    }

    @Test func rateLimitedCallsWaitTheResetAndSucceed() async throws {
        var faults = EmulatorFaults()
        faults.rateLimitBurst = 2
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false), faults: faults) { emulator in
            let feishu = client(emulator)
            let started = ContinuousClock.now
            let users = try await feishu.usersInDepartment("0").collect()
            let waited = ContinuousClock.now - started
            #expect(users.count >= 0)
            let stats = await feishu.recorder.snapshot()["GET /open-apis/contact/v3/users/find_by_department"]
            #expect(stats?.rateLimitWaits == 2)
            #expect(waited >= .seconds(2))  // x-ogw-ratelimit-reset is 1 s, honoured exactly each time
        }
    }

    @Test func serverErrorsAreRetriedValidationErrorsAreNot() async throws {
        var faults = EmulatorFaults()
        faults.errorRate = 0.5
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false, seed: 7), faults: faults) { emulator in
            let feishu = client(emulator, retry: RetryPolicy(maxAttempts: 12, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)))
            let departments = try await feishu.departmentChildren(of: "0", recursive: true, pageSize: 1).collect()
            #expect(departments.count == 12)
            #expect(await feishu.recorder.total().retries > 0)

            await emulator.state.setFaults(EmulatorFaults())
            let bad = feishu.departmentChildren(of: "0", pageSize: 51)
            await #expect(throws: FeishuAPIError.self) { _ = try await bad.collect() }
            do {
                _ = try await bad.collect()
            } catch let error as FeishuAPIError {
                #expect(error.code == 99992402)
                #expect(error.fieldViolations.first?.field == "page_size")
                #expect(error.logID?.isEmpty == false)
                #expect(error.httpStatus == 400)
            }
            let stats = await feishu.recorder.snapshot()["GET /open-apis/contact/v3/departments/:department_id/children"]
            #expect(stats?.failures == 2)
        }
    }

    @Test func userLoginExchangesACodeOnceAndReadsTheProfile() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = client(emulator)
            var someone: FeishuUser?
            for department in try await feishu.departmentChildren(of: "0", recursive: true).collect() where someone == nil {
                someone = try await feishu.usersInDepartment(department.openDepartmentID).collect().first
            }
            let user = try #require(someone)
            let redirect = "https://bridge.example.com/feishu/apps/1/oauth/callback"
            let code = try await emulator.state.authorizationCode(appID: EmulatorConfiguration.defaultApp.appID,
                                                                  user: try #require(user.openID), redirectURI: redirect)
            let token = try await feishu.userAccessToken(code: code, redirectURI: redirect)
            #expect(token.tokenType == "Bearer" && token.expiresIn > 0 && token.refreshToken == nil)
            let info = try await feishu.userInfo(userAccessToken: token.accessToken)
            #expect(info.openID == user.openID && info.unionID == user.unionID && info.name == user.name)
            #expect(info.userID == user.userID)

            // Single use; a wrong redirect URI is refused too.
            do {
                _ = try await feishu.userAccessToken(code: code, redirectURI: redirect)
                Issue.record("a used code was accepted")
            } catch let error as FeishuOAuthError {
                #expect(error.code == 20065 && error.httpStatus == 400 && error.isCodeSpent && error.error == "invalid_grant")
            }
            let other = try await emulator.state.authorizationCode(appID: EmulatorConfiguration.defaultApp.appID,
                                                                   user: try #require(user.openID), redirectURI: redirect)
            do {
                _ = try await feishu.userAccessToken(code: other, redirectURI: "https://elsewhere.example.com/cb")
                Issue.record("a wrong redirect_uri was accepted")
            } catch let error as FeishuOAuthError {
                #expect(error.code == 20071 && !error.isCodeSpent)
            }
            // A user token that is not one.
            await #expect(throws: FeishuAPIError.self) { _ = try await feishu.userInfo(userAccessToken: "u-forged") }
        }
    }

    @Test func wrongSecretIsATokenRefusal() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: "cli_x", appSecret: "nope"),
                                      httpClient: .shared, retry: fast, logger: quiet)
            do {
                _ = try await feishu.tenantAccessToken()
                Issue.record("expected a refusal")
            } catch let FeishuClientError.tokenRefused(code, _) {
                #expect(code == 10003)
            }
        }
    }

    @Test func unknownPathIsAnUnexpectedResponseNotADecodingCrash() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = client(emulator)
            do {
                let _: FeishuClient.Empty = try await feishu.call(FeishuRequest(FeishuHTTPMethod.GET, "/open-apis/contact/v3/nothing"))
                Issue.record("expected an error")
            } catch let FeishuClientError.unexpectedResponse(status, type, body) {
                #expect(status == 404)
                #expect(type?.hasPrefix("text/plain") == true)
                #expect(body == "404 page not found")
            }
        }
    }

    @Test func limiterReservesEveryWindowUnderTheCap() async throws {
        let limiter = RateLimiter(limits: .init(perSecond: 50, perMinute: 1000, margin: .milliseconds(10)))
        var slots: [ContinuousClock.Instant] = []
        for _ in 0..<180 { slots.append(await limiter.reserve("app GET /x")) }
        // Any one-second window (stretched by the margin) holds at most 50 reservations.
        for (index, slot) in slots.enumerated() where index >= 50 {
            #expect(slot - slots[index - 50] >= .seconds(1) + .milliseconds(10))
        }
        #expect(zip(slots, slots.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(slots[179] - slots[0] >= .seconds(3))
    }

    @Test func concurrentCallersStayUnderTheCapAndAllSucceed() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: true)) { emulator in
            // The margin covers most send-to-arrival jitter of a busy test machine (every suite runs in parallel);
            // a late wake-up can still bunch a few requests at the server, and the client's retry absorbs those.
            let feishu = client(emulator, limiter: RateLimiter(limits: .init(margin: .milliseconds(150))))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<120 {
                    group.addTask {
                        var pages = feishu.usersInDepartment("0", pageSize: 1).makeAsyncIterator()
                        _ = try await pages.next()
                    }
                }
                try await group.waitForAll()
            }
            let limited = await emulator.state.snapshot()["counters"]?["total_rate_limited"]?.intValue ?? 0
            #expect(limited <= 12, "at most a tenth of the calls bunched by scheduling delays")
            #expect(await feishu.recorder.total().failures == 0)
        }
    }
}

@Suite struct LenientDecodingTests {
    @Test func numbersAsStringsAndMissingFieldsDecode() throws {
        let page = """
            {"has_more":"true","page_token":"abc","items":[
              {"open_id":"ou_1","name":"甲","department_ids":["od-1","od-2"],"status":{"is_frozen":"false","is_resigned":0}},
              {"union_id":"on_2","name":"乙","department_ids":"od-3","join_time":"1700000000","employee_type":"2"},
              {"user_id":"u3"}]}
            """
        let decoded = try JSONDecoder().decode(FeishuPage<FeishuUser>.self, from: Data(page.utf8))
        #expect(decoded.hasMore)
        #expect(decoded.pageToken == "abc")
        #expect(decoded.items.count == 3)
        #expect(decoded.items[0].departmentIDs == ["od-1", "od-2"])
        #expect(decoded.items[0].status?.isFrozen == false)
        #expect(decoded.items[1].status == nil)
        #expect(decoded.items[1].departmentIDs == ["od-3"])
        #expect(decoded.items[1].joinTime == 1_700_000_000)
        #expect(decoded.items[1].employeeType == 2)
        #expect(decoded.items[2].name == "")
    }

    @Test func departmentOrderAsStringOrNumber() throws {
        let a = try JSONDecoder().decode(FeishuDepartment.self, from: Data(#"{"open_department_id":"od-1","order":"300","name":"x"}"#.utf8))
        let b = try JSONDecoder().decode(FeishuDepartment.self, from: Data(#"{"open_department_id":"od-1","order":300,"name":"x"}"#.utf8))
        #expect(a.order == 300)
        #expect(b.order == 300)
        #expect(a.parentDepartmentID == "0")
    }

    @Test func aUserWithoutAnyIdIsAnError() {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(FeishuUser.self, from: Data(#"{"name":"nobody"}"#.utf8))
        }
    }
}
