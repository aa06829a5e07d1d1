import Foundation

/// The language of the fixed words a message carries (buttons, states, "view details"). Cards and text show one;
/// rich text (`post`) carries both.
public enum MessageLanguage: String, Sendable, Codable, CaseIterable {
    case zhCN = "zh_cn"
    case enUS = "en_us"
}

/// The state of an OA todo as its card shows it.
public enum TodoState: String, Sendable, Codable, CaseIterable {
    case pending, done, approved, rejected, cancelled
    /// Card-only: after a quick-approval click, until the OA has answered. Never a stored todo state.
    case processing

    /// Whether the todo has been handled for good (its cards lose the quick-approval buttons).
    public var isFinal: Bool {
        switch self {
        case .done, .approved, .rejected, .cancelled: true
        case .pending, .processing: false
        }
    }

    /// The card header colour (`feishu-api.md` §4.3).
    var template: String {
        switch self {
        case .pending: "blue"
        case .done, .cancelled: "grey"
        case .approved: "green"
        case .rejected: "red"
        case .processing: "wathet"
        }
    }

    func label(_ language: MessageLanguage) -> String {
        switch (self, language) {
        case (.pending, .zhCN): "待处理"
        case (.pending, .enUS): "Pending"
        case (.done, .zhCN): "已处理"
        case (.done, .enUS): "Done"
        case (.approved, .zhCN): "已同意"
        case (.approved, .enUS): "Approved"
        case (.rejected, .zhCN): "已拒绝"
        case (.rejected, .enUS): "Rejected"
        case (.cancelled, .zhCN): "已撤销"
        case (.cancelled, .enUS): "Cancelled"
        case (.processing, .zhCN): "处理中"
        case (.processing, .enUS): "Processing"
        }
    }
}

/// A message ready for `POST im/v1/messages` (or a card `PATCH`): its `msg_type` and its `content`, the JSON string
/// Feishu expects (`feishu-api.md` §4.2), with sorted keys so the same message always gives the same bytes.
public struct RenderedMessage: Sendable, Equatable {
    /// `text`, `post` or `interactive`.
    public let msgType: String
    public let content: String
    /// The body (and, for huge fields, the fields) had to be shortened to stay within Feishu's size limit; the
    /// message then ends with a "…在 OA 中查看 / View in OA" link.
    public let shortened: Bool
    let json: JSONValue
}

/// A toast for the answer to a card callback (`feishu-api.md` §6.8), in both languages.
public struct CardToast: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case info, success, warning, error
    }

    public var kind: Kind
    public var zhCN: String
    public var enUS: String

    public init(kind: Kind, zhCN: String, enUS: String) {
        self.kind = kind
        self.zhCN = zhCN
        self.enUS = enUS
    }

    /// The answer to a click: the OA is being asked.
    public static let processing = CardToast(kind: .info, zhCN: "处理中", enUS: "Processing")
    /// The todo was handled meanwhile (in the OA, or by an earlier click).
    public static let alreadyHandled = CardToast(kind: .warning, zhCN: "该待办已处理", enUS: "This todo has already been handled")
    /// The bridge cannot act on the click (unknown card, action not allowed…).
    public static let failed = CardToast(kind: .error, zhCN: "操作失败，请在 OA 中处理", enUS: "The action failed, please handle it in the OA")
}

/// Renders ``PushMessage``s into the Feishu message types (issue #7, "Rendering"): text, `post`, card v1 and todo card.
///
/// Every result fits Feishu's request-size limit (`feishu-api.md` §4.1: text 150 KB, post and card 30 KB): the size
/// counted is that of the `content` string as it sits JSON-escaped in the request body, plus room for the rest of the
/// body. When a message is too big the body is cut after its last whole line that fits (or, when not even the first
/// line fits, between characters) and ends with a "…在 OA 中查看 / View in OA" link; if that is not enough the field
/// texts are cut too. A message is never dropped.
public enum MessageRenderer {
    /// Feishu's limit for a text message request, in bytes (150 KB, counted as 1000-byte kilobytes to stay safe).
    public static let textLimit = 150_000
    /// Feishu's limit for a `post` or card request, in bytes (30 KB, counted as 1000-byte kilobytes to stay safe).
    public static let cardLimit = 30_000
    /// Bytes kept free for the rest of the request body: `receive_id`, `msg_type`, `uuid` and the JSON around them.
    static let envelopeReserve = 512

    /// Renders `message` as `type`.
    /// - Parameters:
    ///   - deliveryID: the delivery the todo card's quick-approval buttons name in their value (`d`).
    ///   - quickApproval: approve / reject buttons on a todo card, shown only while the todo is ``TodoState/pending``.
    ///   - todoState: the style of a todo card.
    ///   - imageKey: the key of the message's uploaded image (`im/v1/images`), shown in rich text.
    ///   - language: of the fixed words of text and cards (rich text carries both languages).
    /// ``PushMessageType/todo`` without a `todo` block renders as a plain card.
    public static func render(_ message: PushMessage, as type: PushMessageType, deliveryID: String = "",
                              quickApproval: Bool = false, todoState: TodoState = .pending, imageKey: String? = nil,
                              language: MessageLanguage = .zhCN) -> RenderedMessage
    {
        let context = Context(message: message, deliveryID: deliveryID, quickApproval: quickApproval, todoState: todoState,
                              imageKey: imageKey.flatMap { $0.isEmpty ? nil : $0 }, language: language)
        switch type {
        case .text: return fit(message, msgType: "text", limit: textLimit, build: context.text)
        case .rich: return fit(message, msgType: "post", limit: cardLimit, build: context.post)
        case .card: return fit(message, msgType: "interactive", limit: cardLimit, build: context.card)
        case .todo:
            return fit(message, msgType: "interactive", limit: cardLimit, build: message.todo == nil ? context.card : context.todoCard)
        }
    }

    /// The short text sent instead of updating a todo card that Feishu no longer lets us update (older than 14 days):
    /// "待办「差旅申请」已同意" and the link to the item.
    public static func handledNotice(_ message: PushMessage, state: TodoState, language: MessageLanguage = .zhCN) -> RenderedMessage {
        let title = String(message.title.prefix(PushMessage.maxTitleLength))
        var text = switch language {
        case .zhCN: "待办「\(title)」\(state.label(language))"
        case .enUS: "Todo “\(title)”: \(state.label(language))"
        }
        if let link = message.pcLink, link.utf8.count <= PushMessage.maxLinkLength {
            text += "\n\(Words.viewDetails(language))\(Words.colon(language))\(link)"
        }
        let json: JSONValue = ["text": .string(text)]
        return RenderedMessage(msgType: "text", content: serialize(json), shortened: false, json: json)
    }

    /// The body of the answer to a card callback (`feishu-api.md` §6.8): the toast in both languages and, when given,
    /// the card that replaces the clicked one (a rendered card, usually the todo in ``TodoState/processing`` style).
    public static func callbackAnswer(_ toast: CardToast, card: RenderedMessage? = nil, language: MessageLanguage = .zhCN) -> String {
        var answer: [String: JSONValue] = [
            "toast": [
                "type": .string(toast.kind.rawValue),
                "content": .string(language == .zhCN ? toast.zhCN : toast.enUS),
                "i18n": ["zh_cn": .string(toast.zhCN), "en_us": .string(toast.enUS)],
            ],
        ]
        if let card, card.msgType == "interactive" {
            answer["card"] = ["type": "raw", "data": card.json]
        }
        return serialize(.object(answer))
    }

    // MARK: Fitting into the size limit

    /// What a renderer shows of the message; shortened step by step until it fits.
    struct Draft {
        var title: String
        var body: MessageMarkdown
        var fields: [PushMessage.Field]
        /// Something was cut: end the body with the "view in OA" link.
        var shortened = false
        /// Last resort: no links (they are ≤ 2 KB each in a valid message, so a valid message never gets here).
        var links = true
    }

    private static func fit(_ message: PushMessage, msgType: String, limit: Int, build: (Draft) -> JSONValue) -> RenderedMessage {
        func attempt(_ draft: Draft) -> RenderedMessage? {
            let json = build(draft)
            let content = serialize(json)
            guard requestBytes(content) <= limit else { return nil }
            return RenderedMessage(msgType: msgType, content: content, shortened: draft.shortened, json: json)
        }
        /// The rendering for the largest `n` in `range` that fits (sizes grow with `n`).
        func largest(in range: Range<Int>, _ draft: (Int) -> Draft) -> RenderedMessage? {
            var low = range.lowerBound
            var high = range.upperBound - 1
            var best: RenderedMessage?
            while low <= high {
                let middle = low + (high - low) / 2
                if let rendered = attempt(draft(middle)) {
                    best = rendered
                    low = middle + 1
                } else {
                    high = middle - 1
                }
            }
            return best
        }

        var draft = Draft(title: message.title, body: MessageMarkdown(parsing: message.body), fields: message.fields)
        if let rendered = attempt(draft) { return rendered }
        draft.shortened = true
        let body = draft.body
        let lineEnds = body.lineEnds
        if let first = lineEnds.first {
            // Whole lines first; only when not even the first line fits, the first line between characters. A
            // character takes at least a byte: no more than `limit` of them can fit.
            let candidates = lineEnds.firstIndex { $0 > limit } ?? lineEnds.count
            if let rendered = largest(in: 0..<candidates, { index in
                var cut = draft
                cut.body = body.prefix(lineEnds[index])
                return cut
            }) { return rendered }
            if let rendered = largest(in: 1..<max(min(first, limit), 1), { length in
                var cut = draft
                cut.body = body.prefix(length)
                return cut
            }) { return rendered }
        }
        draft.body = MessageMarkdown(blocks: [])
        let fields = draft.fields
        let longest = fields.map { max($0.label.count, $0.value.count) }.max() ?? 0
        if let rendered = largest(in: 0..<(longest + 1), { length in
            var cut = draft
            cut.fields = fields.map { PushMessage.Field(label: ellipsized($0.label, length), value: ellipsized($0.value, length)) }
            return cut
        }) { return rendered }
        draft.fields = []
        draft.title = ellipsized(draft.title, PushMessage.maxTitleLength)
        if let rendered = attempt(draft) { return rendered }
        draft.links = false
        let json = build(draft)
        return RenderedMessage(msgType: msgType, content: serialize(json), shortened: true, json: json)
    }

    private static func ellipsized(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length)) + "…"
    }

    /// The bytes `content` takes in the request body: JSON-escaped inside quotes (`"`, `\` and, for encoders that
    /// escape it, `/` take two bytes), plus ``envelopeReserve``.
    static func requestBytes(_ content: String) -> Int {
        var bytes = content.utf8.count + 2 + envelopeReserve
        for byte in content.utf8 where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/") {
            bytes += 1
        }
        return bytes
    }

    static func serialize(_ json: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, booleans, arrays and objects cannot fail (only non-finite numbers can).
        guard let data = try? encoder.encode(json) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: The message types

extension MessageRenderer {
    /// The fixed words, per language.
    enum Words {
        static func viewDetails(_ language: MessageLanguage) -> String { language == .zhCN ? "查看详情" : "View details" }
        static func viewInOA(_ language: MessageLanguage) -> String { language == .zhCN ? "…在 OA 中查看" : "…View in OA" }
        static func colon(_ language: MessageLanguage) -> String { language == .zhCN ? "：" : ": " }
        static func status(_ language: MessageLanguage) -> String { language == .zhCN ? "状态" : "Status" }
        static func action(_ action: TodoAction, _ language: MessageLanguage) -> String {
            switch (action, language) {
            case (.approve, .zhCN): "同意"
            case (.approve, .enUS): "Approve"
            case (.reject, .zhCN): "拒绝"
            case (.reject, .enUS): "Reject"
            }
        }
    }

    struct Context {
        var message: PushMessage
        var deliveryID: String
        var quickApproval: Bool
        var todoState: TodoState
        var imageKey: String?
        var language: MessageLanguage

        // MARK: text

        /// Title, body, fields (`label：value`), the details link; paragraphs apart by blank lines.
        func text(_ draft: Draft) -> JSONValue {
            var sections = [draft.title]
            var body = MessageRenderer.plainText(draft.body)
            if draft.shortened {
                let link = draft.links ? message.pcLink.map { Words.colon(language) + $0 } ?? "" : ""
                body += (body.isEmpty ? "" : "\n") + Words.viewInOA(language) + link
            }
            if !body.isEmpty { sections.append(body) }
            if !draft.fields.isEmpty {
                sections.append(draft.fields.map { $0.label + Words.colon(language) + $0.value }.joined(separator: "\n"))
            }
            if draft.links, let link = message.pcLink { sections.append(Words.viewDetails(language) + Words.colon(language) + link) }
            return ["text": .string(sections.joined(separator: "\n\n"))]
        }

        // MARK: post

        /// Both languages: title; one paragraph per line of the body; the image; one paragraph per field; the PC link
        /// as a final "查看详情 / View details" link.
        func post(_ draft: Draft) -> JSONValue {
            var locales: [String: JSONValue] = [:]
            for language in MessageLanguage.allCases {
                var paragraphs: [JSONValue] = MessageRenderer.postParagraphs(draft.body)
                if draft.shortened {
                    if draft.links, let link = message.pcLink {
                        paragraphs.append([["tag": "a", "text": .string(Words.viewInOA(language)), "href": .string(link)]])
                    } else {
                        paragraphs.append([["tag": "text", "text": .string(Words.viewInOA(language))]])
                    }
                }
                if draft.links, let imageKey { paragraphs.append([["tag": "img", "image_key": .string(imageKey)]]) }
                for field in draft.fields {
                    var line: [JSONValue] = [["tag": "text", "text": .string(field.label + Words.colon(language)), "style": ["bold"]]]
                    if !field.value.isEmpty { line.append(["tag": "text", "text": .string(field.value)]) }
                    paragraphs.append(.array(line))
                }
                if draft.links, let link = message.pcLink {
                    paragraphs.append([["tag": "a", "text": .string(Words.viewDetails(language)), "href": .string(link)]])
                }
                if paragraphs.isEmpty { paragraphs.append([["tag": "text", "text": .string(draft.title)]]) }
                locales[language.rawValue] = ["title": .string(draft.title), "content": .array(paragraphs)]
            }
            return .object(locales)
        }

        // MARK: cards

        /// Card v1: header (title, blue), the body as `lark_md`, the fields in columns, a button opening the links.
        func card(_ draft: Draft) -> JSONValue {
            var elements = contentElements(draft)
            if draft.links, let button = openButton(type: "primary") { elements.append(["tag": "action", "actions": [button]]) }
            if elements.isEmpty { elements.append(["tag": "div", "text": ["tag": "plain_text", "content": .string(draft.title)]]) }
            return cardJSON(title: draft.title, template: "blue", elements: elements)
        }

        /// The todo card: header in the state's colour, body, fields, the approve / reject buttons (quick approval on
        /// and the todo pending), the open button, and the state in a note.
        func todoCard(_ draft: Draft) -> JSONValue {
            var elements = contentElements(draft)
            var actions: [JSONValue] = []
            if quickApproval, todoState == .pending, let todo = message.todo {
                for action in todo.quickActions {
                    actions.append([
                        "tag": "button",
                        "text": ["tag": "plain_text", "content": .string(Words.action(action, language))],
                        "type": .string(action == .approve ? "primary" : "danger"),
                        "value": ["a": .string(action.rawValue), "d": .string(deliveryID), "t": .string(todo.id)],
                    ])
                }
            }
            if draft.links, let button = openButton(type: "default") { actions.append(button) }
            if !actions.isEmpty { elements.append(["tag": "action", "actions": .array(actions)]) }
            let status = Words.status(language) + Words.colon(language) + todoState.label(language)
            elements.append(["tag": "note", "elements": [["tag": "plain_text", "content": .string(status)]]])
            return cardJSON(title: draft.title, template: todoState.template, elements: elements)
        }

        private func cardJSON(title: String, template: String, elements: [JSONValue]) -> JSONValue {
            [
                "config": ["wide_screen_mode": true, "update_multi": true],
                "header": ["title": ["tag": "plain_text", "content": .string(title)], "template": .string(template)],
                "elements": .array(elements),
            ]
        }

        /// The body (with the "view in OA" link when shortened) and the fields.
        private func contentElements(_ draft: Draft) -> [JSONValue] {
            var elements: [JSONValue] = []
            var body = MessageRenderer.larkMarkdown(draft.body)
            if draft.shortened {
                let more = draft.links ? message.pcLink.map { "[\(Words.viewInOA(language))](\(MessageRenderer.markdownURL($0)))" } : nil
                body += (body.isEmpty ? "" : "\n") + (more ?? Words.viewInOA(language))
            }
            if !body.isEmpty { elements.append(["tag": "div", "text": ["tag": "lark_md", "content": .string(body)]]) }
            if !draft.fields.isEmpty {
                let columns: [JSONValue] = draft.fields.map { field in
                    let content = "**\(MessageRenderer.markdownEscaped(field.label))**\n\(MessageRenderer.markdownEscaped(field.value))"
                    return ["is_short": .bool(isShort(field)), "text": ["tag": "lark_md", "content": .string(content)]]
                }
                elements.append(["tag": "div", "fields": .array(columns)])
            }
            return elements
        }

        /// Short values sit two to a row; long or multi-line ones take the whole width.
        private func isShort(_ field: PushMessage.Field) -> Bool {
            field.value.count <= 24 && field.label.count <= 24 && !field.value.contains(where: \.isNewline)
        }

        /// A button opening the item: the PC link on PCs, the mobile link on phones (each standing in for the other).
        private func openButton(type: String) -> JSONValue? {
            guard let pc = message.pcLink, let mobile = message.mobileLink else { return nil }
            return [
                "tag": "button",
                "text": ["tag": "plain_text", "content": .string(Words.viewDetails(language))],
                "type": .string(type),
                "multi_url": ["url": .string(pc), "pc_url": .string(pc), "android_url": .string(mobile), "ios_url": .string(mobile)],
            ]
        }
    }
}

// MARK: JSON

/// The JSON the renderers build; encoded with sorted keys (stable bytes for golden files and size checks).
enum JSONValue: Sendable, Equatable, Encodable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last })) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}
