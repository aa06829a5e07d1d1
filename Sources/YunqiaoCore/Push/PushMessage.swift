import Foundation

/// A message the OA hands to the bridge (`POST /api/v1/messages`, issue #7): who it is for, what it says and, for a
/// todo, what can be done with it. The JSON field names are the API's (`docs/design/message-push.md`).
///
/// The body is a Markdown subset (``MessageMarkdown``); `links` open the item in the OA (PC and mobile); `image` is
/// uploaded to Feishu before sending and reaches the renderer as an image key.
public struct PushMessage: Sendable, Equatable, Codable {
    /// One labelled value shown in columns on cards, as a line in text and rich text.
    public struct Field: Sendable, Equatable, Codable {
        public var label: String
        public var value: String

        public init(label: String, value: String) {
            self.label = label
            self.value = value
        }
    }

    /// Where the item opens in the OA. Either may be missing; the other one is used in its place.
    public struct Links: Sendable, Equatable, Codable {
        public var pc: String?
        public var mobile: String?

        public init(pc: String? = nil, mobile: String? = nil) {
            self.pc = pc
            self.mobile = mobile
        }
    }

    /// The OA's picture; the delivery uploads it (`im/v1/images`) and renders with the key it gets back.
    public struct Image: Sendable, Equatable, Codable {
        public var url: String

        public init(url: String) { self.url = url }
    }

    /// The OA todo behind the message and the quick actions the OA accepts for it (raw values of ``TodoAction``).
    public struct Todo: Sendable, Equatable, Codable {
        public var id: String
        public var actions: [String]

        public init(id: String, actions: [String] = []) {
            self.id = id
            self.actions = actions
        }

        private enum CodingKeys: String, CodingKey {
            case id, actions
        }

        /// `actions` may be left out: a todo without quick approval offers none.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            actions = try container.decodeIfPresent([String].self, forKey: .actions) ?? []
        }

        /// The actions the renderer offers as quick-approval buttons, in a fixed order.
        public var quickActions: [TodoAction] { TodoAction.allCases.filter { actions.contains($0.rawValue) } }
    }

    public var source: String
    public var idempotencyKey: String
    /// OA user ids.
    public var recipients: [String]
    public var title: String
    /// Markdown subset, see ``MessageMarkdown``; may be empty.
    public var body: String
    public var fields: [Field]
    public var links: Links?
    public var image: Image?
    public var todo: Todo?

    public init(source: String, idempotencyKey: String, recipients: [String], title: String, body: String = "",
                fields: [Field] = [], links: Links? = nil, image: Image? = nil, todo: Todo? = nil)
    {
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.recipients = recipients
        self.title = title
        self.body = body
        self.fields = fields
        self.links = links
        self.image = image
        self.todo = todo
    }

    private enum CodingKeys: String, CodingKey {
        case source, idempotencyKey, recipients, title, body, fields, links, image, todo
    }

    /// `body` and `fields` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        idempotencyKey = try container.decode(String.self, forKey: .idempotencyKey)
        recipients = try container.decode([String].self, forKey: .recipients)
        title = try container.decode(String.self, forKey: .title)
        body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        fields = try container.decodeIfPresent([Field].self, forKey: .fields) ?? []
        links = try container.decodeIfPresent(Links.self, forKey: .links)
        image = try container.decodeIfPresent(Image.self, forKey: .image)
        todo = try container.decodeIfPresent(Todo.self, forKey: .todo)
    }

    /// The link the PC opens: the PC link, else the mobile one.
    var pcLink: String? { links?.pc ?? links?.mobile }
    /// The link phones open: the mobile link, else the PC one.
    var mobileLink: String? { links?.mobile ?? links?.pc }
}

/// A quick-approval action of a todo card (the button `value` carries it as `a`).
public enum TodoAction: String, Sendable, Codable, CaseIterable {
    case approve, reject
}

/// A problem of a message, naming the field at fault the way the API answers it (`recipients[3]`, `fields[0].label`).
public struct PushMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: LocalizedText

    public init(field: String, message: LocalizedText) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension PushMessage {
    public static let maxTitleLength = 200
    public static let maxBodyLength = 100_000
    public static let maxFields = 20
    public static let maxFieldLabelLength = 100
    public static let maxFieldValueLength = 2_000
    public static let maxRecipients = 1_000
    public static let maxKeyLength = 128
    public static let maxLinkLength = 2_048

    /// Every problem of the message, in field order; empty when it can be accepted. Lengths are in characters.
    /// Whether `source` is a registered module and the recipients are known OA users is for the store to say.
    public func validate() -> [PushMessageError] {
        var errors: [PushMessageError] = []
        func fail(_ field: String, _ message: LocalizedText) { errors.append(PushMessageError(field: field, message: message)) }
        func isBlank(_ value: String) -> Bool { value.allSatisfy(\.isWhitespace) }
        // One-line texts take no control character (a NUL would cut what is stored); texts may break lines and tab.
        func hasControl(_ value: String, allowingBreaks: Bool = false) -> Bool {
            value.unicodeScalars.contains { scalar in
                scalar.properties.generalCategory == .control && !(allowingBreaks && ["\n", "\r", "\t"].contains(scalar))
            }
        }
        let noControl: LocalizedText = "must not contain control characters"

        if isBlank(source) { fail("source", "required") } else if source.count > Self.maxKeyLength {
            fail("source", "at most \(Self.maxKeyLength) characters")
        } else if hasControl(source) {
            fail("source", noControl)
        } else if source == PushRules.allSources {
            fail("source", "\"\(PushRules.allSources)\" stands for every module in push rules; name the message's module")
        }
        if isBlank(idempotencyKey) { fail("idempotencyKey", "required") } else if idempotencyKey.count > Self.maxKeyLength {
            fail("idempotencyKey", "at most \(Self.maxKeyLength) characters")
        } else if hasControl(idempotencyKey) {
            fail("idempotencyKey", noControl)
        }

        if recipients.isEmpty || recipients.count > Self.maxRecipients {
            fail("recipients", "must name 1 to \(Self.maxRecipients) OA users, not \(recipients.count)")
        } else {
            var seen: [String: Int] = [:]
            for (index, recipient) in recipients.enumerated() {
                if isBlank(recipient) {
                    fail("recipients[\(index)]", "must not be empty")
                } else if hasControl(recipient) {
                    fail("recipients[\(index)]", noControl)
                } else if let first = seen[recipient] {
                    fail("recipients[\(index)]", "repeats recipients[\(first)] (\"\(recipient)\")")
                } else {
                    seen[recipient] = index
                }
            }
        }

        if isBlank(title) { fail("title", "required") } else if title.count > Self.maxTitleLength {
            fail("title", "at most \(Self.maxTitleLength) characters, not \(title.count)")
        } else if hasControl(title) {
            fail("title", noControl)
        }
        if body.count > Self.maxBodyLength {
            fail("body", "at most \(Self.maxBodyLength) characters, not \(body.count)")
        } else if hasControl(body, allowingBreaks: true) {
            fail("body", "must not contain control characters other than line breaks and tabs")
        }

        if fields.count > Self.maxFields { fail("fields", "at most \(Self.maxFields) fields, not \(fields.count)") }
        for (index, field) in fields.enumerated() {
            if isBlank(field.label) { fail("fields[\(index)].label", "required") } else if field.label.count > Self.maxFieldLabelLength {
                fail("fields[\(index)].label", "at most \(Self.maxFieldLabelLength) characters")
            } else if hasControl(field.label) {
                fail("fields[\(index)].label", noControl)
            }
            if field.value.count > Self.maxFieldValueLength {
                fail("fields[\(index)].value", "at most \(Self.maxFieldValueLength) characters")
            } else if hasControl(field.value, allowingBreaks: true) {
                fail("fields[\(index)].value", "must not contain control characters other than line breaks and tabs")
            }
        }

        if let problem = links?.pc.flatMap(Self.linkProblem) { fail("links.pc", problem) }
        if let problem = links?.mobile.flatMap(Self.linkProblem) { fail("links.mobile", problem) }
        if let problem = image.flatMap({ Self.linkProblem($0.url) }) { fail("image.url", problem) }

        if let todo {
            if isBlank(todo.id) { fail("todo.id", "required") } else if todo.id.count > Self.maxKeyLength {
                fail("todo.id", "at most \(Self.maxKeyLength) characters")
            } else if hasControl(todo.id) {
                fail("todo.id", noControl)
            }
            let allowed = TodoAction.allCases.map(\.rawValue)
            for (index, action) in todo.actions.enumerated() {
                if !allowed.contains(action) {
                    fail("todo.actions[\(index)]", "must be one of \(allowed.joined(separator: ", ")), not \"\(action)\"")
                } else if todo.actions[..<index].contains(action) {
                    fail("todo.actions[\(index)]", "repeats \"\(action)\"")
                }
            }
            if pcLink == nil { fail("links", "a todo needs a PC or a mobile link to open it in the OA") }
        }
        return errors
    }

    /// Why `link` is not an absolute http(s) URL, or nil when it is one.
    static func linkProblem(_ link: String) -> LocalizedText? {
        let example: LocalizedText = "must be an absolute http(s) URL, e.g. https://oa.example.com/item/42"
        guard link.count <= maxLinkLength else { return "at most \(maxLinkLength) characters" }
        guard !link.contains(where: { $0.isWhitespace }), let url = URL(string: link),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return example }
        return nil
    }
}
