import AsyncHTTPClient
import Crypto
import FeishuEmulator
import Foundation
import Logging
import Synchronization
import Testing

@testable import FeishuKit

private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A clock read by hand: tests move it instead of waiting.
private final class HandClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let start = ContinuousClock.now

    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
}

/// Counts fetches of a cache: each one answers a new value with `lifetime` seconds.
private final class Fetches: Sendable {
    private let count = Mutex(0)
    let lifetime: Int
    let delay: Duration
    let failing: Bool

    init(lifetime: Int = 7200, delay: Duration = .zero, failing: Bool = false) {
        self.lifetime = lifetime
        self.delay = delay
        self.failing = failing
    }

    var total: Int { count.withLock { $0 } }

    func fetch() async throws -> (String, Int) {
        let number = count.withLock { value in
            value += 1
            return value
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing { throw FeishuClientError.decoding(api: "test", detail: "refused") }
        return ("ticket-\(number)", lifetime)
    }
}

/// H5 JSAPI: the signature, the per-app ticket cache, and the typed ticket call against the emulator.
@Suite(.timeLimit(.minutes(1)))
struct JSAPITests {
    // MARK: signature

    /// A vector computed outside Swift (Python: `hashlib.sha1(text.encode()).hexdigest()`).
    @Test func signatureMatchesAKnownVector() {
        let signature = FeishuJSAPISignature.signature(ticket: "jt-0123456789abcdef", nonceStr: "Y7a8KkqX041bsSwT", timestamp: 1_764_146_400_000,
                                                       url: "https://oa.example.com/m/approval?id=42&from=feishu")
        #expect(signature == "4c069e1a65858df8e9569d5a9e652882e9107eb9")
        let docs = FeishuJSAPISignature.signature(
            ticket: "617bf955832a4d4d80d9d8d85917a427", nonceStr: "Y7a8KkqX041bsSwT", timestamp: 1_603_617_224_000,
            url: "https://open.feishu.cn/document/uYjL24iN/uQjMuQjMuQjM/authentication/h5-auth")
        #expect(docs == "b3f52675dfade0f9a1078849e0803a684af36050")
    }

    /// The formula written out here, hashed here: fields in order, values unescaped, the fragment dropped.
    @Test(arguments: [
        ("https://oa.example.com/a?b=c&d=e", "https://oa.example.com/a?b=c&d=e"),
        ("https://oa.example.com/a#/route?x=1", "https://oa.example.com/a"),
        ("http://10.0.0.8:8080/m/%E5%AE%A1%E6%89%B9?q=a+b#", "http://10.0.0.8:8080/m/%E5%AE%A1%E6%89%B9?q=a+b"),
    ])
    func signatureFollowsTheFormula(url: String, signed: String) {
        let text = "jsapi_ticket=" + "jt-abc" + "&noncestr=" + "nonce-_9" + "&timestamp=" + "1764146400123" + "&url=" + signed
        let expected = Insecure.SHA1.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(FeishuJSAPISignature.signature(ticket: "jt-abc", nonceStr: "nonce-_9", timestamp: 1_764_146_400_123, url: url) == expected)
        #expect(FeishuJSAPISignature.pageURL(url) == signed)
    }

    // MARK: cache

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = HandClock()
        let cache = ExpiringValueCache(now: { clock.now })
        let fetches = Fetches(delay: .milliseconds(50))
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.get { try await fetches.fetch() } } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(fetches.total == 1)
        #expect(Set(values) == ["ticket-1"])
    }

    @Test func refreshedTenMinutesBeforeExpiry() async throws {
        let clock = HandClock()
        let cache = ExpiringValueCache(now: { clock.now })
        let fetches = Fetches(lifetime: 7200)
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-1")
        clock.advance(.seconds(6599))
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-1")
        clock.advance(.seconds(1))
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-2")
        #expect(fetches.total == 2)
    }

    @Test func shortLivedValuesAreRefreshedAtHalfLife() async throws {
        let clock = HandClock()
        let cache = ExpiringValueCache(now: { clock.now })
        let fetches = Fetches(lifetime: 600)
        _ = try await cache.get { try await fetches.fetch() }
        clock.advance(.seconds(299))
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-1")
        clock.advance(.seconds(1))
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-2")
    }

    @Test func aFailedFetchIsNotKeptAndInvalidateDropsTheValue() async throws {
        let clock = HandClock()
        let cache = ExpiringValueCache(now: { clock.now })
        let failing = Fetches(failing: true)
        await #expect(throws: FeishuClientError.self) { try await cache.get { try await failing.fetch() } }
        let fetches = Fetches()
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-1")
        await cache.invalidate("not-the-value")
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-1")
        await cache.invalidate("ticket-1")
        #expect(try await cache.get { try await fetches.fetch() } == "ticket-2")
    }

    // MARK: against the emulator

    @Test func ticketIsFetchedOnceForConcurrentCallersAndSharedByCopies() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let app = EmulatorConfiguration.defaultApp
            let feishu = FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                                      httpClient: .shared, logger: quiet)
            let fetched = try await feishu.fetchJSAPITicket()
            #expect(fetched.ticket.hasPrefix("jt-"))
            #expect(fetched.expireIn == 7200)

            let copy = feishu.recording(into: CallRecorder())
            let tickets = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 { group.addTask { try await (index.isMultiple(of: 2) ? feishu : copy).jsapiTicket() } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            // The platform answers the same ticket while it has time left; the cache asked once for all 20 callers.
            #expect(tickets == [fetched.ticket])
            let calls = await emulator.state.snapshot()["counters"]?["calls"]
            #expect(calls?["POST /open-apis/jssdk/ticket/get"]?.intValue == 2)
            #expect(calls?["POST /open-apis/auth/v3/tenant_access_token/internal"]?.intValue == 1)

            // Dropped on demand: the next caller fetches again.
            await feishu.invalidateJSAPITicket(fetched.ticket)
            #expect(try await copy.jsapiTicket() == fetched.ticket)
            #expect(await emulator.state.snapshot()["counters"]?["calls"]?["POST /open-apis/jssdk/ticket/get"]?.intValue == 3)
        }
    }

    @Test func aRefusedTokenIsRenewedForTheTicket() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let app = EmulatorConfiguration.defaultApp
            let feishu = FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                                      httpClient: .shared, logger: quiet)
            _ = try await feishu.fetchJSAPITicket()
            await emulator.state.expireAllTokens()
            #expect(try await feishu.fetchJSAPITicket().ticket.hasPrefix("jt-"))
            #expect(await feishu.recorder.total().tokenRefreshes == 1)
        }
    }
}
