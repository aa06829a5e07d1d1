import Foundation
import Testing
import YunqiaoCore

/// Rendering of pushed messages into Feishu message JSON (issue #7).
///
/// Golden files: `Tests/YunqiaoCoreTests/Golden/<name>.json` hold each rendering pretty-printed with sorted keys as
/// `{"msg_type": …, "content": <the content string parsed>}` (callback answers: the answer itself) and are compared
/// byte for byte. After a deliberate change of the output, rewrite them and review the diff:
///
///     YUNQIAO_UPDATE_GOLDEN=1 swift test --filter MessageRendererTests
///
/// (the files are written next to this source file, not into the built test bundle).
@Suite struct MessageRendererTests {
    static let message = PushMessage(
        source: "approval", idempotencyKey: "req-42", recipients: ["2001", "2002"], title: "差旅申请",
        body: "**张三** 申请出差 3 天，请审批。\n- 目的地：上海\n- 日期：5 月 6 日至 5 月 8 日\n\n详见 [差旅制度](https://oa.example.com/docs/travel)，*请于周五前处理*。",
        fields: [
            .init(label: "申请人", value: "张三"), .init(label: "部门", value: "市场部"),
            .init(label: "事由", value: "参加华东区客户大会并拜访上海的三家重点客户，预计费用 4 800 元"),
        ],
        links: .init(pc: "https://oa.example.com/wf/42", mobile: "https://oa.example.com/m/wf/42"),
        image: .init(url: "https://oa.example.com/img/1.png"),
        todo: .init(id: "wf-42", actions: ["approve", "reject"]))

    static let goldenCases: [(String, @Sendable () -> String)] = [
        ("text", { pretty(MessageRenderer.render(message, as: .text)) }),
        ("rich", { pretty(MessageRenderer.render(message, as: .rich, imageKey: "img_v2_0a1b2c3d")) }),
        ("card", { pretty(MessageRenderer.render(message, as: .card)) }),
        ("card-en", { pretty(MessageRenderer.render(message, as: .card, language: .enUS)) }),
        ("todo-pending", { pretty(MessageRenderer.render(message, as: .todo, deliveryID: "1001", quickApproval: false)) }),
        ("todo-pending-quick", { pretty(MessageRenderer.render(message, as: .todo, deliveryID: "1001", quickApproval: true)) }),
        ("todo-processing-quick", { pretty(todo(.processing)) }),
        ("todo-done-quick", { pretty(todo(.done)) }),
        ("todo-approved-quick", { pretty(todo(.approved)) }),
        ("todo-rejected-quick", { pretty(todo(.rejected)) }),
        ("todo-cancelled-quick", { pretty(todo(.cancelled)) }),
        ("todo-handled-notice", { pretty(MessageRenderer.handledNotice(message, state: .approved)) }),
        ("callback-processing", { pretty(MessageRenderer.callbackAnswer(.processing, card: todo(.processing))) }),
    ]

    static func todo(_ state: TodoState, quickApproval: Bool = true) -> RenderedMessage {
        MessageRenderer.render(message, as: .todo, deliveryID: "1001", quickApproval: quickApproval, todoState: state)
    }

    @Test(arguments: goldenCases.map(\.0))
    func matchesGoldenFile(_ name: String) throws {
        let render = try #require(Self.goldenCases.first { $0.0 == name }?.1)
        try Golden.check(render(), name: name)
    }

    // MARK: structure

    @Test func typesMapToFeishuMessageTypes() {
        #expect(MessageRenderer.render(Self.message, as: .text).msgType == "text")
        #expect(MessageRenderer.render(Self.message, as: .rich).msgType == "post")
        #expect(MessageRenderer.render(Self.message, as: .card).msgType == "interactive")
        #expect(MessageRenderer.render(Self.message, as: .todo).msgType == "interactive")
    }

    @Test func outputIsDeterministicCompactJSON() throws {
        for type in PushMessageType.allCases {
            let first = MessageRenderer.render(Self.message, as: type, deliveryID: "7", quickApproval: true, imageKey: "img_v2_x")
            let second = MessageRenderer.render(Self.message, as: type, deliveryID: "7", quickApproval: true, imageKey: "img_v2_x")
            #expect(first == second)
            #expect(!first.content.contains("\n"), "compact JSON: newlines only as \\n inside strings")
            #expect(!first.content.contains("\\/"), "slashes are not escaped")
            _ = try JSONSerialization.jsonObject(with: Data(first.content.utf8))
        }
    }

    @Test func quickApprovalButtonsOnlyWhilePending() throws {
        let pending = try Card(Self.todo(.pending))
        #expect(pending.buttons.map(\.text) == ["同意", "拒绝", "查看详情"])
        #expect(pending.buttons[0].value == ["a": "approve", "d": "1001", "t": "wf-42"])
        #expect(pending.buttons[1].value == ["a": "reject", "d": "1001", "t": "wf-42"])
        #expect(pending.buttons[0].type == "primary" && pending.buttons[1].type == "danger")
        #expect(pending.buttons[2].value == nil && pending.buttons[2].multiURL?["android_url"] == "https://oa.example.com/m/wf/42")

        let off = try Card(Self.todo(.pending, quickApproval: false))
        #expect(off.buttons.map(\.text) == ["查看详情"])

        for state in TodoState.allCases where state != .pending {
            let card = try Card(Self.todo(state))
            #expect(card.buttons.map(\.text) == ["查看详情"], "\(state): the open button only")
            #expect(Self.todo(state) == Self.todo(state, quickApproval: false), "\(state): quick approval changes nothing")
        }
    }

    @Test func onlyTheActionsTheTodoAllowsAreOffered() throws {
        var message = Self.message
        message.todo = .init(id: "wf-43", actions: ["approve"])
        let card = try Card(MessageRenderer.render(message, as: .todo, deliveryID: "5", quickApproval: true))
        #expect(card.buttons.map(\.text) == ["同意", "查看详情"])
        message.todo = .init(id: "wf-44", actions: [])
        #expect(try Card(MessageRenderer.render(message, as: .todo, deliveryID: "5", quickApproval: true)).buttons.map(\.text) == ["查看详情"])
    }

    @Test(arguments: [
        (TodoState.pending, "blue", "状态：待处理"), (.done, "grey", "状态：已处理"), (.approved, "green", "状态：已同意"),
        (.rejected, "red", "状态：已拒绝"), (.cancelled, "grey", "状态：已撤销"), (.processing, "wathet", "状态：处理中"),
    ])
    func todoStatesHaveTheirStyle(_ state: TodoState, _ template: String, _ note: String) throws {
        let card = try Card(Self.todo(state))
        #expect(card.template == template)
        #expect(card.note == note)
        #expect(card.updateMulti)
    }

    @Test func cardsShowChineseByDefaultAndEnglishOnRequest() throws {
        #expect(try Card(MessageRenderer.render(Self.message, as: .card)).buttons.map(\.text) == ["查看详情"])
        let english = try Card(MessageRenderer.render(Self.message, as: .todo, deliveryID: "1", quickApproval: true, language: .enUS))
        #expect(english.buttons.map(\.text) == ["Approve", "Reject", "View details"])
        #expect(english.note == "Status: Pending")
    }

    @Test func postCarriesBothLanguages() throws {
        let post = try object(MessageRenderer.render(Self.message, as: .rich, imageKey: "img_v2_k"))
        #expect(Set(post.keys) == ["zh_cn", "en_us"])
        let zh = try #require(post["zh_cn"] as? [String: Any])
        let en = try #require(post["en_us"] as? [String: Any])
        #expect(zh["title"] as? String == "差旅申请" && en["title"] as? String == "差旅申请")
        let zhLast = try #require((zh["content"] as? [[[String: Any]]])?.last?.first)
        let enLast = try #require((en["content"] as? [[[String: Any]]])?.last?.first)
        #expect(zhLast["tag"] as? String == "a" && zhLast["text"] as? String == "查看详情")
        #expect(zhLast["href"] as? String == "https://oa.example.com/wf/42")
        #expect(enLast["text"] as? String == "View details")
    }

    @Test func missingLinksStandInForEachOther() throws {
        var message = Self.message
        message.links = .init(mobile: "https://oa.example.com/m/1")
        let urls = try #require(try Card(MessageRenderer.render(message, as: .card)).buttons.first?.multiURL)
        #expect(Set(urls.values) == ["https://oa.example.com/m/1"] && urls.count == 4)
        message.links = nil
        message.todo = nil
        #expect(try Card(MessageRenderer.render(message, as: .card)).buttons.isEmpty)
        #expect(!MessageRenderer.render(message, as: .text).content.contains("查看详情"))
    }

    @Test func oaTextCannotInjectCardMarkdownOrMentions() throws {
        var message = Self.message
        message.body = "a <at id=all></at> b \\*x\\* [y]"
        message.fields = [.init(label: "*L*", value: "<at id=all></at> ~~z~~")]
        let content = MessageRenderer.render(message, as: .card).content
        #expect(!content.contains("<at"))
        #expect(content.contains("&lt;at id=all&gt;&lt;/at&gt;"))
        #expect(content.contains("&#42;x&#42;") && content.contains("&#91;y&#93;"))
        #expect(content.contains("**&#42;L&#42;**") && content.contains("&#126;&#126;z&#126;&#126;"))
    }

    @Test func aTodoTypeWithoutATodoIsAPlainCard() {
        var message = Self.message
        message.todo = nil
        #expect(MessageRenderer.render(message, as: .todo) == MessageRenderer.render(message, as: .card))
    }

    @Test func callbackAnswerHasTheToastInBothLanguages() throws {
        let json = MessageRenderer.callbackAnswer(.alreadyHandled)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let toast = try #require(answer["toast"] as? [String: Any])
        #expect(toast["type"] as? String == "warning")
        #expect(toast["content"] as? String == "该待办已处理")
        #expect(toast["i18n"] as? [String: String] == ["zh_cn": "该待办已处理", "en_us": "This todo has already been handled"])
        #expect(answer["card"] == nil)
        let withText = MessageRenderer.callbackAnswer(.failed, card: MessageRenderer.render(Self.message, as: .text))
        #expect(!withText.contains("\"card\""), "only a card can replace a card")
    }

    // MARK: size limits

    static func longBody(paragraphs: Int, line: String) -> String {
        (1...paragraphs).map { "**第 \($0) 段** \(line)" }.joined(separator: "\n\n")
    }

    static let bigMessages: [(String, PushMessage)] = {
        var ascii = message
        ascii.body = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 2_200)  // 99 000 chars, one line
        var cjk = message
        cjk.body = longBody(paragraphs: 2_000, line: "审批意见：同意出差，请注意报销标准与差旅安全。")
        var emoji = message
        emoji.body = String(repeating: "👩‍👩‍👧‍👦🇨🇳é", count: 30_000)
        var quotes = message
        quotes.body = String(repeating: "\"引号\" \\ / \t", count: 9_000)
        var fields = message
        fields.body = longBody(paragraphs: 300, line: String(repeating: "长", count: 300))
        fields.fields = (1...20).map {
            .init(label: "字段 \($0) " + String(repeating: "名", count: 90), value: String(repeating: "值", count: 2_000))
        }
        return [("ascii", ascii), ("cjk", cjk), ("emoji", emoji), ("quotes", quotes), ("fields", fields)]
    }()

    @Test(arguments: bigMessages.map(\.0), PushMessageType.allCases)
    func hugeMessagesAreShortenedToFitNeverDropped(_ name: String, _ type: PushMessageType) throws {
        let message = try #require(Self.bigMessages.first { $0.0 == name }?.1)
        #expect(message.validate().isEmpty)
        let rendered = MessageRenderer.render(message, as: type, deliveryID: "123456789", quickApproval: true, imageKey: "img_v2_k")
        let limit = type == .text ? MessageRenderer.textLimit : MessageRenderer.cardLimit
        // The request as a client sends it, with an encoder that escapes slashes: still within the limit.
        let request = try JSONEncoder().encode([
            "receive_id": "on_0123456789abcdef0123456789abcdef", "msg_type": rendered.msgType, "content": rendered.content,
            "uuid": "yq123456789-0123456789abcdef0123456789abcdef",
        ])
        #expect(request.count <= limit)
        #expect(rendered.content.utf8.count <= limit)
        if !rendered.shortened {
            // Only 100 000 ASCII characters as text fit whole.
            #expect(name == "ascii" && type == .text)
            let whole = rendered.content.contains(message.body.trimmingCharacters(in: .whitespaces))
            #expect(whole)
            return
        }
        let link = type == .text ? "…在 OA 中查看：https://oa.example.com/wf/42" : "…在 OA 中查看"
        let hasLink = rendered.content.contains(link)
        #expect(hasLink)
        // Not cut too much: at least half the room is used.
        #expect(request.count > limit / 2, "\(request.count) of \(limit)")
        if type == .text {
            let string = try #require(try object(rendered)["text"] as? String)
            let startsWithTitle = string.hasPrefix("差旅申请\n\n")
            #expect(startsWithTitle)
        }
    }

    @Test func aBodyOfManyLinesIsCutAfterAWholeLine() throws {
        var message = Self.message
        let line = "审批意见：同意出差，请注意报销标准与差旅安全。"
        message.body = Self.longBody(paragraphs: 2_500, line: line)
        let string = try #require(try object(MessageRenderer.render(message, as: .text))["text"] as? String)
        // title, paragraph 1, …, "paragraph k\n…在 OA 中查看：url", fields, details link
        let parts = string.components(separatedBy: "\n\n")
        let cut = try #require(parts.firstIndex { $0.contains("…在 OA 中查看") })
        let last = parts[cut].components(separatedBy: "\n")
        #expect(last.count == 2 && last[1] == "…在 OA 中查看：https://oa.example.com/wf/42")
        let kept = Array(parts[1..<cut]) + [last[0]]
        #expect(kept.count > 1_000)
        for (index, paragraph) in kept.enumerated() where paragraph != "第 \(index + 1) 段 \(line)" {
            Issue.record("paragraph \(index + 1) is \(paragraph)")
            break
        }
    }

    @Test func aSingleHugeLineIsCutBetweenCharacters() throws {
        var message = Self.message
        message.body = String(repeating: "👩‍👩‍👧‍👦字", count: 50_000)
        let card = MessageRenderer.render(message, as: .card)
        let elements = try #require(try object(card)["elements"] as? [[String: Any]])
        let body = try #require((elements.first?["text"] as? [String: Any])?["content"] as? String)
        let kept = try #require(body.components(separatedBy: "\n").first)
        #expect(kept.count > 100 && message.body.hasPrefix(kept))
        #expect(body.hasSuffix("\n[…在 OA 中查看](https://oa.example.com/wf/42)"))
    }

    @Test func smallMessagesAreNotShortened() {
        for type in PushMessageType.allCases {
            #expect(!MessageRenderer.render(Self.message, as: type).shortened)
            #expect(!MessageRenderer.render(Self.message, as: type).content.contains("在 OA 中查看"))
        }
    }

    @Test func aBodyJustAtTheLimitIsKeptWhole() throws {
        // Grow the body until the card is just under the limit: it is rendered whole.
        var message = Self.message
        message.fields = []
        var low = 0
        var high = 20_000
        while low < high {
            let middle = (low + high + 1) / 2
            message.body = String(repeating: "字", count: middle)
            if MessageRenderer.render(message, as: .card).shortened { high = middle - 1 } else { low = middle }
        }
        message.body = String(repeating: "字", count: low)
        let whole = MessageRenderer.render(message, as: .card)
        #expect(!whole.shortened && whole.content.contains(message.body))
        message.body += "字"
        #expect(MessageRenderer.render(message, as: .card).shortened)
    }

    // MARK: helpers

    func object(_ rendered: RenderedMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(rendered.content.utf8)) as? [String: Any])
    }

    /// The parts of a v1 card the tests look at.
    struct Card {
        struct Button {
            var text: String
            var type: String?
            var value: [String: String]?
            var multiURL: [String: String]?
        }

        var template: String?
        var updateMulti: Bool
        var buttons: [Button]
        var note: String?

        init(_ rendered: RenderedMessage) throws {
            let card = try #require(try JSONSerialization.jsonObject(with: Data(rendered.content.utf8)) as? [String: Any])
            let header = card["header"] as? [String: Any]
            template = header?["template"] as? String
            updateMulti = (card["config"] as? [String: Any])?["update_multi"] as? Bool ?? false
            let elements = card["elements"] as? [[String: Any]] ?? []
            buttons = elements.filter { $0["tag"] as? String == "action" }.flatMap { $0["actions"] as? [[String: Any]] ?? [] }.map { button in
                Button(text: (button["text"] as? [String: Any])?["content"] as? String ?? "", type: button["type"] as? String,
                       value: button["value"] as? [String: String], multiURL: button["multi_url"] as? [String: String])
            }
            note = elements.first { $0["tag"] as? String == "note" }.flatMap { ($0["elements"] as? [[String: Any]])?.first?["content"] as? String }
        }
    }
}

func pretty(_ rendered: RenderedMessage) -> String {
    guard let content = try? JSONSerialization.jsonObject(with: Data(rendered.content.utf8)) else { return "not JSON: \(rendered.content)" }
    return Golden.pretty(["msg_type": rendered.msgType, "content": content])
}

func pretty(_ json: String) -> String {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return "not JSON: \(json)" }
    return Golden.pretty(object)
}

/// Golden files under `Golden/`, read from the test bundle; `YUNQIAO_UPDATE_GOLDEN=1` writes them into the source tree.
enum Golden {
    static func pretty(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "not serialisable" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func check(_ actual: String, name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["YUNQIAO_UPDATE_GOLDEN"] == "1" {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: directory.appendingPathComponent("\(name).json"))
            return
        }
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Golden"),
                               "no golden file \(name).json: run with YUNQIAO_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
        let expected = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        #expect(actual == expected, "differs from Golden/\(name).json (YUNQIAO_UPDATE_GOLDEN=1 rewrites it)", sourceLocation: sourceLocation)
    }
}
