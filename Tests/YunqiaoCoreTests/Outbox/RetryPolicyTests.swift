import Foundation
import Testing
import YunqiaoCore

/// The one back-off of the bridge.
@Suite struct RetryPolicyTests {
    @Test func theDelayGrowsWithEqualJitterAndStaysUnderTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(1), maxDelay: .seconds(10))
        for _ in 0..<200 {
            let first = policy.delay(afterAttempt: 1)
            #expect(first >= .milliseconds(500) && first <= .seconds(1))
            let third = policy.delay(afterAttempt: 3)
            #expect(third >= .seconds(2) && third <= .seconds(4))
            let late = policy.delay(afterAttempt: 40)
            #expect(late >= .seconds(5) && late <= .seconds(10))
        }
    }

    @Test func thereIsNoNextAttemptForAPermanentErrorOrAfterTheLast() throws {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(2), maxDelay: .seconds(60))
        let now = Date(timeIntervalSince1970: 1_000_000)
        let next = try #require(policy.nextAttempt(afterAttempt: 1, retryable: true, now: now))
        #expect(next.timeIntervalSince(now) >= 1 && next.timeIntervalSince(now) <= 2)
        #expect(policy.nextAttempt(afterAttempt: 2, retryable: true, now: now) != nil)
        #expect(policy.nextAttempt(afterAttempt: 3, retryable: true, now: now) == nil)
        #expect(policy.nextAttempt(afterAttempt: 1, retryable: false, now: now) == nil)
    }
}
