import Foundation
import Testing
import YunqiaoServices

/// The login throttle reserves an attempt before the password is checked (hardening issue #13).
struct LoginThrottleTests {
    static func admitted(_ admission: LoginThrottle.Admission) -> LoginThrottle.Attempt? {
        if case .admitted(let attempt) = admission { return attempt }
        return nil
    }

    @Test func anAttemptUnderWayCountsAgainstTheNext() async throws {
        let throttle = LoginThrottle(maxFailures: 1, window: .seconds(60))
        let first = try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a")))
        // Still being checked: the next one waits (the user name's only attempt is taken).
        guard case .refused(let wait) = await throttle.reserve(username: "Admin", address: "b") else {
            Issue.record("a second attempt went ahead while the first was being checked")
            return
        }
        #expect(wait > .zero && wait <= .seconds(60))
        await throttle.failed(first)
        #expect(Self.admitted(await throttle.reserve(username: "admin", address: "c")) == nil)
    }

    @Test func anAttemptThatCheckedNothingIsTakenBack() async throws {
        let throttle = LoginThrottle(maxFailures: 1, window: .seconds(60))
        let attempt = try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a")))
        await throttle.release(attempt)
        #expect(Self.admitted(await throttle.reserve(username: "admin", address: "a")) != nil)
    }

    @Test func aSuccessForgetsTheUserNamesFailures() async throws {
        let throttle = LoginThrottle(maxFailures: 2, window: .seconds(60))
        await throttle.failed(try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a"))))
        await throttle.succeeded(try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a"))))
        await throttle.failed(try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a"))))
        await throttle.failed(try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a"))))
        #expect(Self.admitted(await throttle.reserve(username: "admin", address: "a")) == nil)
    }

    @Test func anAddressGetsFourTimesTheUserNameLimit() async throws {
        let throttle = LoginThrottle(maxFailures: 1, window: .seconds(60))
        for user in ["u1", "u2", "u3", "u4"] {
            await throttle.failed(try #require(Self.admitted(await throttle.reserve(username: user, address: "10.0.0.1"))))
        }
        #expect(Self.admitted(await throttle.reserve(username: "u5", address: "10.0.0.1")) == nil)
        #expect(Self.admitted(await throttle.reserve(username: "u5", address: "10.0.0.2")) != nil)
    }

    @Test func failuresLeaveTheWindow() async throws {
        let throttle = LoginThrottle(maxFailures: 1, window: .milliseconds(50))
        await throttle.failed(try #require(Self.admitted(await throttle.reserve(username: "admin", address: "a"))))
        #expect(Self.admitted(await throttle.reserve(username: "admin", address: "a")) == nil)
        try await Task.sleep(for: .milliseconds(80))
        #expect(Self.admitted(await throttle.reserve(username: "admin", address: "a")) != nil)
    }

    @Test func anUnknownUserIsCheckedAgainstTheDummyHash() async throws {
        let seen = Seen()
        let verifier = PasswordVerifier { _, hash in
            await seen.add(hash)
            return true
        }
        #expect(try await verifier.check("pw", against: "$2b$12$real") == true)
        // No hash: the verifier still runs (on the dummy hash), and the answer is no even when it says yes.
        #expect(try await verifier.check("pw", against: nil) == false)
        #expect(await seen.hashes == ["$2b$12$real", PasswordVerifier.dummyHash])
    }

    actor Seen {
        var hashes: [String] = []
        func add(_ hash: String) { hashes.append(hash) }
    }
}
