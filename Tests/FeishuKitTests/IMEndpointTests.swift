import AsyncHTTPClient
import FeishuEmulator
import Foundation
import YunqiaoCore
import Logging
import Testing

@testable import FeishuKit

/// Long enough back-offs to reach the next one-second window after a 230020.
private let patient = RetryPolicy(maxAttempts: 12, baseDelay: .milliseconds(100), maxDelay: .seconds(1))

/// A client of the emulator's default app.
func imClient(_ emulator: RunningEmulator, retry: RetryPolicy = RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(2),
                                                                               maxDelay: .milliseconds(20))) -> FeishuClient
{
    let app = EmulatorConfiguration.defaultApp
    return FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                        httpClient: .shared, retry: retry, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// Open ids (for the default app) of the emulator's first users.
func openIDs(_ emulator: RunningEmulator, count: Int) async throws -> [String] {
    let users = await emulator.state.snapshot(includeOrg: true)["org"]?["users"]?.arrayValue ?? []
    let ids = users.compactMap { $0["open_ids"]?[EmulatorConfiguration.defaultApp.appID]?.stringValue }
    try #require(ids.count >= count)
    return Array(ids.prefix(count))
}

func sharedCard(_ title: String, shared: Bool = true) -> String {
    #"{"config":{"update_multi":\#(shared)},"header":{"title":{"tag":"plain_text","content":"\#(title)"}},"#
        + #""elements":[{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"同意"},"#
        + #""type":"primary","value":{"op":"approve","id":"42"}}]}]}"#
}

private let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==") ?? Data()

@Suite(.timeLimit(.minutes(1)))
struct IMEndpointTests {
    @Test func sendsReadsAndUpdates() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = imClient(emulator)
            let user = try await openIDs(emulator, count: 1)[0]
            let text = try await feishu.sendMessage(to: user, idType: .openID, type: .text, content: FeishuMessageContent.text("你好 \"OA\""),
                                                    uuid: "t-1")
            #expect(text.messageID.hasPrefix("om_") && text.msgType == "text")
            #expect(text.content == #"{"text":"你好 \"OA\""}"#)
            #expect(text.createTime.map { $0 > 1_600_000_000_000 } == true)
            #expect(text.senderID == EmulatorConfiguration.defaultApp.appID && text.senderType == "app")
            #expect(text.chatID?.hasPrefix("oc_") == true)

            let key = try await feishu.uploadImage(png, filename: "logo \"1\".png")
            #expect(key.hasPrefix("img_v3_"))
            let post = #"{"zh_cn":{"title":"日报","content":[[{"tag":"text","text":"今日"}],[{"tag":"img","image_key":"\#(key)"}]]}}"#
            let rich = try await feishu.sendMessage(to: user, idType: .openID, type: .post, content: post, uuid: nil)
            let readBack = try await feishu.message(rich.messageID)
            #expect(readBack.msgType == "post" && readBack.content?.contains("\"title\":\"日报\"") == true)
            _ = try await feishu.sendMessage(to: user, idType: .openID, type: .image, content: FeishuMessageContent.image(key: key), uuid: nil)

            let card = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive, content: sharedCard("待审批"), uuid: "c-1")
            try await feishu.updateCard(messageID: card.messageID, card: sharedCard("已同意"))
            let updated = try await feishu.message(card.messageID)
            #expect(updated.updated && updated.content == sharedCard("已同意"))
            #expect((updated.updateTime ?? 0) >= (updated.createTime ?? .max))
        }
    }

    @Test func refusalsAreAPIErrorsWithTheirCodeAndAreNotRetried() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = imClient(emulator)
            let user = try await openIDs(emulator, count: 1)[0]
            func code(_ body: () async throws -> Void) async -> FeishuAPIError? {
                do {
                    try await body()
                    return nil
                } catch {
                    return error as? FeishuAPIError
                }
            }
            let unknown = await code { _ = try await feishu.sendMessage(to: "ou_nobody", idType: .openID, type: .text, content: "{}", uuid: nil) }
            #expect(unknown?.code == 99992351 && unknown?.isReceiverUnreachable == true && unknown?.httpStatus == 400)
            let email = await code {
                _ = try await feishu.sendMessage(to: "x@nowhere.example", idType: .email, type: .text, content: FeishuMessageContent.text("x"),
                                                 uuid: nil)
            }
            #expect(email?.code == FeishuAPIError.invalidReceiveID && email?.isReceiverUnreachable == true)
            let tooLong = await code {
                _ = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive,
                                                 content: sharedCard(String(repeating: "长", count: 11_000)), uuid: nil)
            }
            #expect(tooLong?.code == FeishuAPIError.messageTooLong && tooLong?.isRetryable == false)
            let badCard = await code { _ = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive, content: "{", uuid: nil) }
            #expect(badCard?.code == FeishuAPIError.cardBuildFailed)

            let unshared = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive, content: sharedCard("x", shared: false),
                                                        uuid: nil)
            let notShared = await code { try await feishu.updateCard(messageID: unshared.messageID, card: sharedCard("y")) }
            #expect(notShared?.code == FeishuAPIError.imInvalidParameter)

            let shared = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive, content: sharedCard("x"), uuid: nil)
            _ = await emulator.state.admin("POST", "/_emulator/clock/advance", body: ["seconds": .int(14 * 86_400 + 1)])
            let late = await code { try await feishu.updateCard(messageID: shared.messageID, card: sharedCard("y")) }
            #expect(late?.code == FeishuAPIError.cardUpdateWindowClosed && late?.isRetryable == false)
            let missing = await code { _ = try await feishu.message("om_nothing") }
            #expect(missing?.code == FeishuAPIError.messageNotFound)
            let empty = await code { _ = try await feishu.uploadImage(Data()) }
            #expect(empty?.code == 234010)

            let total = await feishu.recorder.total()
            #expect(total.failures == 8)
            #expect(total.tokenRefreshes == 1, "14 days later the token had expired too")
            #expect(total.retries == total.tokenRefreshes, "no refusal was retried")
        }
    }

    @Test func retriesWithTheSameUUIDNeverDuplicate() async throws {
        var faults = EmulatorFaults()
        faults.errorRate = 0.5
        faults.errorAfterApply = true  // the message is created, then the answer is lost
        faults.errorAPIs = ["POST /open-apis/im/v1/messages"]
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false, seed: 11), faults: faults) { emulator in
            let feishu = imClient(emulator, retry: RetryPolicy(maxAttempts: 20, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)))
            let users = try await openIDs(emulator, count: 10)
            for (index, user) in users.enumerated() {
                _ = try await feishu.sendMessage(to: user, idType: .openID, type: .text, content: FeishuMessageContent.text("第 \(index) 条"),
                                                 uuid: "delivery-\(index)")
            }
            #expect(await feishu.recorder.total().retries > 0, "the faults hit")
            let held = await emulator.state.admin("GET", "/_emulator/messages").json
            #expect(held?["total"] == 10, "one message per uuid")
            for index in users.indices {
                #expect(await emulator.state.admin("GET", "/_emulator/messages", query: ["uuid": "delivery-\(index)"]).json?["total"] == 1)
            }

            // Without a uuid the same lost answers turn into duplicates: that is what the uuid is for.
            for user in users {
                _ = try await feishu.sendMessage(to: user, idType: .openID, type: .text, content: FeishuMessageContent.text("无 uuid"), uuid: nil)
            }
            let all = await emulator.state.admin("GET", "/_emulator/messages").json?["total"]?.intValue ?? 0
            #expect(all > 20, "\(all - 10) messages for 10 sends")
        }
    }

    @Test func rateLimitedAnswersAreWaitedOut() async throws {
        var faults = EmulatorFaults()
        faults.rateLimitBurst = 2
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: true), faults: faults) { emulator in
            let feishu = imClient(emulator, retry: patient)
            let users = try await openIDs(emulator, count: 2)
            _ = try await feishu.sendMessage(to: users[0], idType: .openID, type: .text, content: FeishuMessageContent.text("429"), uuid: "r-0")
            let stats = await feishu.recorder.snapshot()["POST /open-apis/im/v1/messages"]
            #expect(stats?.rateLimitWaits == 2)

            // Eight messages at once to one user: over 5/s, answered 230020 and retried with back-off until they pass.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        _ = try await feishu.sendMessage(to: users[1], idType: .openID, type: .text,
                                                         content: FeishuMessageContent.text("\(index)"), uuid: "burst-\(index)")
                    }
                }
                try await group.waitForAll()
            }
            // How many of the eight land in one second depends on the machine's load; the two injected 429s are certain.
            let limited = await emulator.state.snapshot()["counters"]?["rate_limited"]?["POST /open-apis/im/v1/messages"]?.intValue ?? 0
            #expect(limited >= 2, "the two injected, and those of the eight over 5/s")
            #expect(await emulator.state.admin("GET", "/_emulator/messages", query: ["open_id": users[1]]).json?["total"] == 8)
        }
    }

    /// The emulator's limits are off here, so nothing but the recipient limiter can slow the eleven sends: without it
    /// they finish in milliseconds, with it they take two windows. (How many a loaded machine bunches at the emulator's
    /// own 5/s check is timing, not the limiter's contract; the limiter's spacing is checked exactly in its own tests.)
    @Test func aRecipientLimiterPacesTheSends() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
            let feishu = imClient(emulator, retry: patient)
            let user = try await openIDs(emulator, count: 1)[0]
            let recipients = RateLimiter(limits: .init(perSecond: 5, perMinute: 300, margin: .milliseconds(100)))
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<11 {
                    group.addTask {
                        _ = try await feishu.sendMessage(to: user, idType: .openID, type: .text, content: FeishuMessageContent.text("\(index)"),
                                                         uuid: "paced-\(index)", recipientLimiter: recipients)
                    }
                }
                try await group.waitForAll()
            }
            #expect(ContinuousClock.now - started >= .seconds(2), "11 at 5/s take two windows and a bit")
            #expect(await emulator.state.admin("GET", "/_emulator/messages", query: ["open_id": user]).json?["total"] == 11)
        }
    }

    @Test func imCodesAreClassified() {
        func error(_ code: Int, _ status: Int = 400) -> FeishuAPIError { FeishuAPIError(code: code, msg: "", httpStatus: status) }
        for code in [FeishuAPIError.imRateLimited, FeishuAPIError.messageServiceRateLimited, FeishuAPIError.messageChatRateLimited,
                     FeishuAPIError.rateLimited, 55001, 1500]
        {
            #expect(error(code).isRetryable, "\(code)")
        }
        #expect(error(0, 503).isRetryable)
        for code in [230001, 230002, 230013, 230017, 230025, 230027, 230029, 230031, 230034, 230099, 11247, 99992351, 99992354] {
            #expect(!error(code).isRetryable, "\(code)")
        }
        #expect(error(230013).isReceiverUnreachable && error(99992361).isReceiverUnreachable)
        #expect(!error(230020).isReceiverUnreachable && !error(230001).isReceiverUnreachable)
        #expect(FeishuMessageContent.text("a \"b\"\n/c") == #"{"text":"a \"b\"\n/c"}"#)
        #expect(FeishuMessageContent.shareChat("oc_1") == #"{"chat_id":"oc_1"}"#)
    }

    @Test func messagesDecodeLeniently() throws {
        let json = #"{"message_id":"om_1","msg_type":"interactive","create_time":1700000000000,"update_time":"1700000000001","#
            + #""deleted":"false","updated":true,"chat_id":"oc_1","root_id":"","sender":{"id":"cli_1","id_type":"app_id","#
            + #""sender_type":"app","sender_i18n_names":{"zh_cn":"机器人"}},"body":{"content":"{}"},"mentions":[]}"#
        let message = try JSONDecoder().decode(FeishuMessage.self, from: Data(json.utf8))
        #expect(message.createTime == 1_700_000_000_000 && message.updateTime == 1_700_000_000_001)
        #expect(!message.deleted && message.updated && message.rootID == nil)
        #expect(message.senderID == "cli_1" && message.content == "{}")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FeishuMessage.self, from: Data(#"{"msg_type":"text"}"#.utf8)) }
    }
}
