import Foundation
import YunqiaoCore

/// Input rules shared by every entry point (API, console, CLI). A failure names the field.
enum Validate {
    typealias StoreError = YunqiaoDatabase.StoreError

    static let maxName = 100
    static let maxURL = 2048

    /// A name: not blank when required, at most `maxName` characters (Unicode code points, as the OpenAPI document's
    /// `maxLength` counts them, spaces around included), no control character anywhere (general category Cc, as the OA
    /// API's texts: a tab or line break around the name too, as the document's `pattern` says); stored trimmed.
    static func name(_ value: String, field: String = "name", required: Bool = true) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && trimmed.isEmpty { throw StoreError.invalid(field: field, message: "required") }
        if value.unicodeScalars.count > maxName { throw StoreError.invalid(field: field, message: "at most \(maxName) characters") }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw StoreError.invalid(field: field, message: "must not contain control characters")
        }
        return trimmed
    }

    /// An absolute http(s) URL with a host.
    static func httpURL(_ value: String, field: String) throws -> URL {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StoreError.invalid(field: field, message: "required") }
        guard trimmed.count <= maxURL, let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty
        else { throw StoreError.invalid(field: field, message: "must be an absolute http(s) URL, e.g. https://example.com") }
        return url
    }

    static func baseURL(_ value: String, field: String) throws -> String {
        let url = try httpURL(value, field: field)
        guard url.query == nil, url.fragment == nil else {
            throw StoreError.invalid(field: field, message: "must not have a query or fragment")
        }
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func externalDomain(_ value: String, field: String) throws -> String { try baseURL(value, field: field) }

    static func enterprise(name: String, brand: String, baseURL: String) throws -> (name: String, brand: String, baseURL: String) {
        let name = try self.name(name)
        let brand = brand.trimmingCharacters(in: .whitespaces).lowercased()
        guard ["feishu", "lark"].contains(brand) else { throw StoreError.invalid(field: "brand", message: "must be feishu or lark") }
        return (name, brand, try self.baseURL(baseURL, field: "baseURL"))
    }

    /// An app's name and its Feishu app ID as sent (the document's pattern: no spaces around it either).
    static func app(name: String, appID: String) throws -> (name: String, appID: String) {
        let name = try self.name(name, required: false)
        guard !appID.isEmpty else { throw StoreError.invalid(field: "appID", message: "required") }
        guard appID.count <= 64, appID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw StoreError.invalid(field: "appID", message: "letters, digits, _ and - only (e.g. cli_a1b2c3d4e5f6)")
        }
        return (name, appID)
    }

    /// A Verification Token or Encrypt Key as Feishu shows it: nil or empty = none given; no spaces, at most 256 characters.
    /// As sent (the document's pattern): at most 256 code points, no space or line break of any kind and no control
    /// character (Cc; format characters, Cf, are text).
    static func callbackCredential(_ value: String?, field: String) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.unicodeScalars.count <= 256 else { throw StoreError.invalid(field: field, message: "at most 256 characters") }
        guard !value.unicodeScalars.contains(where: { CharacterSet.whitespacesAndNewlines.contains($0) || $0.properties.generalCategory == .control })
        else {
            throw StoreError.invalid(field: field, message: "must not contain spaces or control characters")
        }
        return value
    }

    static func homepage(_ homepage: AppHomepage) throws -> AppHomepage {
        guard case .custom(let url) = homepage else { return homepage }
        let checked = try httpURL(url, field: "homepageURL")
        return .custom(checked.absoluteString)
    }

    /// An OA homepage app: a name and an absolute http(s) URL or a path in the OA (`/spa/workflow/...`).
    static func homepageApp(name: String, url: String) throws -> (name: String, url: String) {
        let name = try self.name(name)
        let trimmed = url.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("/") {
            guard trimmed.count <= maxURL, !trimmed.hasPrefix("//"), URL(string: trimmed) != nil,
                  !trimmed.contains(where: { $0.isWhitespace })
            else { throw StoreError.invalid(field: "url", message: "must be a path like /spa/portal or an absolute http(s) URL") }
            return (name, trimmed)
        }
        guard !trimmed.isEmpty else { throw StoreError.invalid(field: "url", message: "required") }
        do {
            return (name, try httpURL(trimmed, field: "url").absoluteString)
        } catch {
            throw StoreError.invalid(field: "url", message: "must be a path like /spa/portal or an absolute http(s) URL")
        }
    }
}
