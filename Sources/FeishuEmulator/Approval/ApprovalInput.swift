import Foundation

/// Reads the approval APIs' request bodies field by field; every refusal is 1390001 naming the field by its path
/// (`task_list[2].links.pc_link`).
struct ApprovalInput {
    let fields: [String: JSON]
    /// The path of this object in the body, `""` for the body itself.
    let path: String

    init(_ fields: [String: JSON], path: String = "") {
        self.fields = fields
        self.path = path
    }

    /// `body` parsed as a JSON object, or 1390001.
    init(body call: APICall) throws(APIError) {
        guard let object = call.json?.objectValue else { throw ApprovalState.invalid("body", "the body must be a JSON object") }
        self.init(object)
    }

    func name(_ field: String) -> String { path.isEmpty ? field : path + "." + field }

    private func present(_ field: String) -> JSON? {
        guard let value = fields[field], !value.isNull else { return nil }
        return value
    }

    func has(_ field: String) -> Bool { present(field) != nil }

    // MARK: scalars

    func string(_ field: String) throws(APIError) -> String? {
        guard let value = present(field) else { return nil }
        guard case .string(let text) = value else { throw ApprovalState.invalid(name(field), "must be a string", value: value.stringValue) }
        return text
    }

    func requiredString(_ field: String) throws(APIError) -> String {
        guard let text = try string(field), !text.isEmpty else { throw ApprovalState.invalid(name(field), "is required") }
        return text
    }

    func bool(_ field: String) throws(APIError) -> Bool? {
        guard let value = present(field) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default: throw ApprovalState.invalid(name(field), "must be true or false", value: value.stringValue)
        }
    }

    /// One of `allowed`, when present.
    func choice(_ field: String, _ allowed: Set<String>) throws(APIError) -> String? {
        guard let text = try string(field) else { return nil }
        guard allowed.contains(text) else {
            throw ApprovalState.invalid(name(field), "must be one of \(allowed.sorted().joined(separator: ", "))", value: text)
        }
        return text
    }

    func requiredChoice(_ field: String, _ allowed: Set<String>) throws(APIError) -> String {
        guard let text = try choice(field, allowed), !text.isEmpty else {
            throw ApprovalState.invalid(name(field), "is required: one of \(allowed.sorted().joined(separator: ", "))")
        }
        return text
    }

    /// Milliseconds since 1970, as a number or a numeric string (`feishu-api.md` §1.9); `nil` when absent.
    func milliseconds(_ field: String) throws(APIError) -> Int64? {
        guard let value = present(field) else { return nil }
        let number: Int64? = switch value {
        case .int(let int): Int64(int)
        case .double(let double) where double == double.rounded() && abs(double) < 9e15: Int64(double)
        case .string(let text): Int64(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
        guard let number, number >= 0 else {
            throw ApprovalState.invalid(name(field), "must be milliseconds since 1970 (a number or a numeric string)", value: value.stringValue)
        }
        return number
    }

    func requiredMilliseconds(_ field: String) throws(APIError) -> Int64 {
        guard let value = try milliseconds(field) else { throw ApprovalState.invalid(name(field), "is required (milliseconds)") }
        return value
    }

    // MARK: structures

    func object(_ field: String) throws(APIError) -> ApprovalInput? {
        guard let value = present(field) else { return nil }
        guard let object = value.objectValue else { throw ApprovalState.invalid(name(field), "must be an object") }
        return ApprovalInput(object, path: name(field))
    }

    func requiredObject(_ field: String) throws(APIError) -> ApprovalInput {
        guard let object = try object(field) else { throw ApprovalState.invalid(name(field), "is required") }
        return object
    }

    /// The items of a list, each with its path (`task_list[3]`); objects only.
    func objects(_ field: String, max: Int? = nil) throws(APIError) -> [ApprovalInput] {
        guard let value = present(field) else { return [] }
        guard let items = value.arrayValue else { throw ApprovalState.invalid(name(field), "must be a list") }
        if let max, items.count > max { throw ApprovalState.invalid(name(field), "has \(items.count) items, at most \(max)") }
        var result: [ApprovalInput] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(name(field))[\(index)]"
            guard let object = item.objectValue else { throw ApprovalState.invalid(itemPath, "must be an object") }
            result.append(ApprovalInput(object, path: itemPath))
        }
        return result
    }

    func strings(_ field: String, max: Int? = nil) throws(APIError) -> [String] {
        guard let value = present(field) else { return [] }
        guard let items = value.arrayValue else { throw ApprovalState.invalid(name(field), "must be a list of strings") }
        if let max, items.count > max { throw ApprovalState.invalid(name(field), "has \(items.count) items, at most \(max)") }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else { throw ApprovalState.invalid("\(name(field))[\(index)]", "must be a string") }
            result.append(text)
        }
        return result
    }

    /// `links {pc_link, mobile_link}` with at least one of them, as stored.
    func links(_ field: String = "links") throws(APIError) -> JSON {
        let links = try requiredObject(field)
        var stored: [String: JSON] = [:]
        for key in ["pc_link", "mobile_link"] {
            if let link = try links.string(key), !link.isEmpty { stored[key] = .string(link) }
        }
        guard !stored.isEmpty else { throw ApprovalState.invalid(links.path, "needs pc_link or mobile_link") }
        return .object(stored)
    }

    /// `i18n_resources [{locale, is_default, texts: [{key, value}]}]`, required; exactly one default locale.
    func locales() throws(APIError) -> [ApprovalState.Locale] {
        let items = try objects("i18n_resources")
        guard !items.isEmpty else { throw ApprovalState.invalid(name("i18n_resources"), "is required: at least one locale") }
        var result: [ApprovalState.Locale] = []
        for item in items {
            let locale = try item.requiredChoice("locale", ApprovalState.locales)
            guard !result.contains(where: { $0.locale == locale }) else {
                throw ApprovalState.invalid(item.name("locale"), "\(locale) is given twice", value: locale)
            }
            var texts: [ApprovalState.Locale.Text] = []
            for text in try item.objects("texts") {
                texts.append(.init(key: try text.requiredString("key"), value: try text.string("value") ?? ""))
            }
            result.append(.init(locale: locale, isDefault: try item.bool("is_default") ?? false, texts: texts))
        }
        let defaults = result.filter(\.isDefault).count
        guard defaults == 1 else {
            throw ApprovalState.invalid(name("i18n_resources"), "exactly one locale must have is_default true (\(defaults) have)")
        }
        return result
    }

    /// Refuses an `@i18n@` key that the default locale does not define; `used` are (field path, text) pairs.
    static func requireDefined(_ used: [(field: String, text: String)], in locales: [ApprovalState.Locale]) throws(APIError) {
        let defined = Set(locales.first(where: \.isDefault)?.texts.map(\.key) ?? [])
        for (field, text) in used where text.hasPrefix("@i18n@") && !defined.contains(text) {
            throw ApprovalState.invalid(field, "the key \(text) is not defined in the default locale of i18n_resources", value: text)
        }
    }

    /// The fields named in `keys` that are present, copied as sent (null dropped).
    func copy(_ keys: [String]) -> [String: JSON] {
        var copied: [String: JSON] = [:]
        for key in keys { if let value = present(key) { copied[key] = value } }
        return copied
    }
}

extension Int64 {
    /// Milliseconds as the approval APIs answer them: a string.
    var millisecondString: JSON { .string(String(self)) }
}
