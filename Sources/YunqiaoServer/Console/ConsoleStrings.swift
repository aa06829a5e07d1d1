import Foundation
import YunqiaoCore
import YunqiaoServices

/// The console's words in zh-CN (default) and English. Templates read them as `{{t.key}}`; keys use underscores
/// because Mustache reads dots as nesting. Messages of the service arrive as `LocalizedText`, a key and its arguments;
/// `msg.<key>` gives their words, where `{}` stands for each argument in turn (a name, an id).
///
/// The words live in `Resources/strings/<language>/<area>.json`, flat objects of key → words, one file per console area
/// and language (a key appears in one area only). They are read once; a file missing or unreadable stops the bridge
/// at startup (`ConsoleRenderer` calls `checkResources()`) rather than a page showing keys.
enum ConsoleStrings {
    static func table(for language: ConsoleLanguage) -> [String: String] {
        switch language {
        case .zh: zh
        case .en: en
        }
    }

    /// `text` in `language`: the table's `msg.<key>` with the arguments in place, or the English when the table has no
    /// such key (the English console, text from outside).
    static func text(_ text: LocalizedText, _ language: ConsoleLanguage) -> String { self.text(text, in: table(for: language)) }

    /// `text` with `table`'s `msg.<key>`, or its English.
    static func text(_ text: LocalizedText, in table: [String: String]) -> String {
        guard let template = table["msg." + text.key] else { return text.description }
        return LocalizedText.fill(template, text.arguments)
    }

    /// A note stored with an entry (a delivery's last error): the bridge's own notes are keys without arguments
    /// (`not bound`); anything else came from outside and is shown as it is.
    static func note(_ note: String, in table: [String: String]) -> String { table["msg." + note] ?? note }

    static var zh: [String: String] { catalog.zh }
    static var en: [String: String] { catalog.en }

    /// The console's areas, each with its words in one file per language.
    enum Area: String, CaseIterable, Sendable {
        /// Sign-in, first visit, navigation, settings, enterprises, apps, audit, tokens; most of the service's messages.
        case base
        /// Bindings (settings, conflicts, user card bind/unbind, batch unbind).
        case binding
        /// The OA directory (import, departments, users, OA keys).
        case oaDirectory = "oa-directory"
        /// The OA pull connector.
        case oaConnector = "oa-connector"
        /// The association sheet (关联导入).
        case bindingSheet = "binding-sheet"
        /// An app's card callback settings (quick approval of todo cards).
        case cardCallback = "card-callback"
        /// The message push pages (消息推送, seed 三): overview, OA modules, push rules and targets, the message log and
        /// dead letters.
        case push
        /// Tenant management (the super-admin's).
        case tenants
        /// Directory management, OA → Feishu (mode 3): settings, runs, plans.
        case oaToFeishu = "oa-to-feishu"
        /// H5 JSAPI of an app: the signature endpoint and the trusted domains (app page), the endpoint's refusals.
        case jsapi
        /// 扫码登录: the QR page, its refusals, and its settings page.
        case qrLogin = "qr-login"
        /// 审批中心: a module's todo channel, its definitions, the reconciliation; a todo's instances on the message page.
        case approvalCenter = "approval-center"
        /// 通讯录事件: an app's event URL and channel, the scope removals waiting for the administrator.
        case events

        /// The area's file of `language`, relative to the strings folder.
        func file(_ language: ConsoleLanguage) -> String { "\(Catalog.folder(language))/\(rawValue).json" }
    }

    /// Every area's words in both languages.
    struct Catalog: Sendable {
        /// Each language's words by area.
        let areas: [ConsoleLanguage: [Area: [String: String]]]
        /// Each language's words of all areas.
        let zh: [String: String]
        let en: [String: String]

        /// The folder of a language's files.
        static func folder(_ language: ConsoleLanguage) -> String {
            switch language {
            case .zh: "zh-CN"
            case .en: "en"
            }
        }

        /// Reads every area's file of both languages under `directory`.
        init(directory: URL) throws(ResourceError) {
            var areas: [ConsoleLanguage: [Area: [String: String]]] = [:]
            var tables: [ConsoleLanguage: [String: String]] = [:]
            for language in [ConsoleLanguage.zh, .en] {
                var owner: [String: Area] = [:]
                for area in Area.allCases {
                    let file = area.file(language)
                    let words = try Self.read(directory.appendingPathComponent(file), file: file)
                    for key in words.keys {
                        if let first = owner[key] {
                            throw ResourceError(file: file, reason: "key \(key) is also in \(first.file(language))")
                        }
                        owner[key] = area
                    }
                    areas[language, default: [:]][area] = words
                    tables[language, default: [:]].merge(words) { first, _ in first }
                }
            }
            self.areas = areas
            zh = tables[.zh] ?? [:]
            en = tables[.en] ?? [:]
        }

        /// One file's object of key → words.
        static func read(_ url: URL, file: String) throws(ResourceError) -> [String: String] {
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw ResourceError(file: file, reason: "cannot be read (\(error.localizedDescription))")
            }
            do { return try JSONDecoder().decode([String: String].self, from: data) } catch {
                throw ResourceError(file: file, reason: "is not a JSON object of strings (\(error))")
            }
        }
    }

    /// A strings file that is missing, unreadable or breaks a rule.
    struct ResourceError: Error, CustomStringConvertible {
        var file: String
        var reason: String
        var description: String { "console strings: Resources/strings/\(file) \(reason)" }
    }

    /// The strings folder of the bundle, read once.
    private static let loaded = Result { () throws(ResourceError) -> Catalog in
        guard let directory = Bundle.module.url(forResource: "strings", withExtension: nil) else {
            throw ResourceError(file: "", reason: "is missing from the bundle")
        }
        return try Catalog(directory: directory)
    }

    /// Throws the error of a strings file that is missing or unreadable: called at startup.
    static func checkResources() throws(ResourceError) { _ = try loaded.get() }

    static var catalog: Catalog {
        switch loaded {
        case .success(let catalog): catalog
        case .failure(let error): preconditionFailure(error.description)
        }
    }
}
