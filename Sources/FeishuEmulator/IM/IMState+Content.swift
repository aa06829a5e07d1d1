import Foundation

/// Message content by `msg_type` (`feishu-api.md` §4.2, §4.3): text, rich text, images, shares, system messages and
/// cards.
extension IMState {
    /// Checks `content` for its `msg_type` (`feishu-api.md` §4.2, §4.3); answers whether a card is shared
    /// (`update_multi`).
    func validateContent(_ content: String, msgType: String, appID: String, target: Target, org: Org) throws(APIError)
        -> Bool
    {
        if msgType == "interactive" { return try validateCard(content, appID: appID) }
        guard let object = JSON.parse(content)?.objectValue else {
            throw Self.invalidParameter("content is not a JSON object serialised as a string: \(content.prefix(80))")
        }
        switch msgType {
        case "text":
            guard case .string? = object["text"] else { throw Self.invalidParameter("text content needs a \"text\" string") }
        case "post":
            try validatePost(object, appID: appID)
        case "image":
            try checkImageKey(object["image_key"]?.stringValue, appID: appID, field: "image_key")
        case "file", "audio", "media", "sticker":
            guard let key = object["file_key"]?.stringValue, !key.isEmpty else {
                throw Self.invalidParameter("\(msgType) content needs a \"file_key\"")
            }
            throw Self.invalidParameter("file_key \(key) not found (the emulator has no file upload, im/v1/files)")
        case "share_chat":
            guard let id = object["chat_id"]?.stringValue, let chat = chats[id], !chat.dissolved else {
                throw Self.invalidParameter("share_chat content needs the \"chat_id\" of an existing chat")
            }
            if chat.p2pApp != nil { throw APIError(code: 230015, msg: "P2P chat can NOT be shared.") }
        case "share_user":
            guard let id = object["user_id"]?.stringValue, org.user(id: id, type: .openID, app: appID) != nil else {
                throw Self.invalidParameter("share_user content needs the \"user_id\" (an open_id of this app) of an existing user")
            }
        case "system":
            guard target.chat.p2pApp != nil else { throw Self.invalidParameter("system messages are for a bot's single chat only") }
            guard object["type"]?.stringValue != nil else { throw Self.invalidParameter("system content needs a \"type\"") }
        default:
            break
        }
        return false
    }

    /// Rich text: language keys (`zh_cn`, `en_us`, …) each with an optional `title` and `content`, a list of paragraphs,
    /// each a list of elements with a known `tag`; `img` needs an image this app uploaded.
    private func validatePost(_ object: [String: JSON], appID: String) throws(APIError) {
        let locales = object.filter { $0.value.objectValue?["content"] != nil }.sorted { $0.key < $1.key }
        guard !locales.isEmpty else {
            throw Self.invalidParameter("post content needs a language key (zh_cn, en_us, …) holding title and content; "
                + "there is no \"post\" wrapper in im/v1")
        }
        for (locale, value) in locales {
            if let title = value["title"], !title.isNull, title.stringValue == nil {
                throw Self.invalidParameter("\(locale).title must be a string")
            }
            guard let paragraphs = value["content"]?.arrayValue else {
                throw Self.invalidParameter("\(locale).content must be a list of paragraphs")
            }
            for (row, paragraph) in paragraphs.enumerated() {
                guard let elements = paragraph.arrayValue else {
                    throw Self.invalidParameter("\(locale).content[\(row)] must be a list of elements")
                }
                for (column, element) in elements.enumerated() {
                    let place = "\(locale).content[\(row)][\(column)]"
                    guard let tag = element["tag"]?.stringValue else { throw Self.invalidParameter("\(place) needs a tag") }
                    guard Self.postTags.contains(tag) else { throw Self.invalidParameter("\(place): unknown tag \(tag)") }
                    func require(_ field: String) throws(APIError) {
                        guard element[field]?.stringValue != nil else {
                            throw Self.invalidParameter("\(place): a \(tag) element needs \"\(field)\"")
                        }
                    }
                    switch tag {
                    case "text", "md", "code_block": try require("text")
                    case "a": try require("text"); try require("href")
                    case "at": try require("user_id")
                    case "emotion": try require("emoji_type")
                    case "img": try checkImageKey(element["image_key"]?.stringValue, appID: appID, field: "\(place).image_key")
                    case "media":
                        throw Self.invalidParameter("\(place): media needs a file_key, and the emulator has no file upload")
                    default: break
                    }
                }
            }
        }
    }

    /// An image key this app uploaded: unknown → 230001, another app's → 230017.
    func checkImageKey(_ key: String?, appID: String, field: String) throws(APIError) {
        guard let key, !key.isEmpty else { throw Self.invalidParameter("\(field) is required") }
        guard let image = images[key] else { throw Self.invalidParameter("image_key \(key) not found", field: field, value: key) }
        guard image.appID == appID else { throw APIError(code: 230017, msg: "Bot is NOT the owner of the resource.") }
    }

    /// A card (`feishu-api.md` §4.3): full JSON v1 (`elements` / `i18n_elements` / `header`) or 2.0 (`schema`, `body.elements`),
    /// or a template reference. Every element is an object with a `tag`; 2.0 refuses the v1-only `action` and `note`;
    /// every `img_key` must be an image this app uploaded. Answers whether the card is shared.
    func validateCard(_ content: String, appID: String) throws(APIError) -> Bool {
        guard let card = JSON.parse(content)?.objectValue else {
            throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                 value: String(content.prefix(80)))
        }
        if let type = card["type"]?.stringValue, type == "template" || type == "card" {
            guard let data = card["data"]?.objectValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "data")
            }
            if type == "card" {
                throw Self.invalidParameter("card entities (CardKit card_id) are not emulated; send the card JSON instead")
            }
            guard let template = data["template_id"]?.stringValue, !template.isEmpty else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "template_id")
            }
            return false
        }
        if let config = card["config"], config.objectValue == nil {
            throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "config")
        }
        let isV2 = card["schema"]?.stringValue == "2.0"
        if isV2 {
            guard let body = card["body"]?.objectValue, let elements = body["elements"]?.arrayValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     path: "ROOT -> body -> elements", value: "a schema 2.0 card needs body.elements")
            }
            try checkElements(elements, path: "ROOT -> body -> elements", v2: true)
        } else {
            guard card["elements"] != nil || card["i18n_elements"] != nil || card["header"] != nil else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     value: "a card needs elements, i18n_elements or header")
            }
            if let elements = card["elements"] {
                guard let list = elements.arrayValue else {
                    throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                         path: "ROOT -> elements", value: "elements must be a list")
                }
                try checkElements(list, path: "ROOT -> elements", v2: false)
            }
            if let i18n = card["i18n_elements"] {
                guard let locales = i18n.objectValue else {
                    throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                         path: "ROOT -> i18n_elements", value: "i18n_elements must be an object")
                }
                for (locale, value) in locales.sorted(by: { $0.key < $1.key }) {
                    guard let list = value.arrayValue else {
                        throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                             path: "ROOT -> i18n_elements -> \(locale)", value: "must be a list")
                    }
                    try checkElements(list, path: "ROOT -> i18n_elements -> \(locale)", v2: false)
                }
            }
        }
        try checkCardImages(.object(card), appID: appID)
        return card["config"]?["update_multi"]?.boolValue ?? isV2
    }

    private func checkElements(_ elements: [JSON], path: String, v2: Bool) throws(APIError) {
        for (index, element) in elements.enumerated() {
            guard let object = element.objectValue, let tag = object["tag"]?.stringValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     path: "\(path) -> [\(index)]", value: "an element needs a tag")
            }
            if v2 && (tag == "action" || tag == "note") {
                throw Self.cardError(200861, "cards of schema V2 no longer support this capability",
                                     path: "\(path) -> [\(index)](tag: \(tag))", value: "unsupported tag \(tag)")
            }
            for (key, value) in object.sorted(by: { $0.key < $1.key }) where key == "elements" || key == "columns" {
                if let nested = value.arrayValue { try checkElements(nested, path: "\(path) -> [\(index)](tag: \(tag)) -> \(key)", v2: v2) }
            }
        }
    }

    private func checkCardImages(_ value: JSON, appID: String) throws(APIError) {
        switch value {
        case .object(let fields):
            for (key, item) in fields.sorted(by: { $0.key < $1.key }) {
                if key == "img_key", let imageKey = item.stringValue {
                    guard let image = images[imageKey], image.appID == appID else {
                        throw Self.cardError(200570, "card contains invalid image keys", value: "image key \(imageKey)")
                    }
                } else {
                    try checkCardImages(item, appID: appID)
                }
            }
        case .array(let items):
            for item in items { try checkCardImages(item, appID: appID) }
        default:
            break
        }
    }
}
