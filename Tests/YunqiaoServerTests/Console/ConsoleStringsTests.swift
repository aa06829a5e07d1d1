import Foundation
import Testing
@testable import YunqiaoTesting

@testable import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

@Suite("Console strings")
struct ConsoleStringsTests {
    static let languages: [ConsoleLanguage] = [.zh, .en]

    /// An area's words in `language`.
    static func words(_ area: ConsoleStrings.Area, _ language: ConsoleLanguage) -> [String: String] {
        ConsoleStrings.catalog.areas[language]?[area] ?? [:]
    }

    /// The bundle's folder `name` under `Resources`.
    static func resource(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil), "Resources/\(name) is not in the bundle")
    }

    /// `msg.` keys translate the service's English messages: Chinese only.
    @Test("every table has the same words in Chinese and English")
    func sameKeys() {
        for area in ConsoleStrings.Area.allCases {
            let words = Set(Self.words(area, .zh).keys.filter { !$0.hasPrefix("msg.") })
            let english = Self.words(area, .en).keys.filter { !$0.hasPrefix("msg.") }
            #expect(!words.isEmpty, "area \(area)")
            #expect(words.symmetricDifference(english).sorted() == [], "area \(area)")
        }
    }

    @Test("a key belongs to one table")
    func oneTablePerKey() {
        for language in Self.languages {
            var owner: [String: ConsoleStrings.Area] = [:]
            for area in ConsoleStrings.Area.allCases {
                for key in Self.words(area, language).keys {
                    #expect(owner[key] == nil, "\(key) is in \(owner[key].map { "\($0)" } ?? "") and \(area)")
                    owner[key] = area
                }
            }
            #expect(ConsoleStrings.table(for: language).count == owner.count)
        }
    }

    /// A message carries its key: the console finds it by the key and puts the arguments in place; the English is
    /// what the API and the English console show; text from outside is shown as it is.
    @Test("a message is translated by its key, with its arguments in place")
    func keyedMessage() {
        let error = YunqiaoError.notFound("enterprise \(42)")
        #expect(error.text.key == "enterprise {} not found")
        #expect(error.text.arguments == ["42"])
        #expect(ConsoleStrings.text(error.text, .zh) == "企业 42 不存在")
        #expect(ConsoleStrings.text(error.text, .en) == "enterprise 42 not found")
        // The same English from outside is not a key: it stays as it came.
        #expect(ConsoleStrings.text(LocalizedText(verbatim: "enterprise 42 not found"), .zh) == "enterprise 42 not found")
        #expect(ConsoleStrings.text("no such text here", .zh) == "no such text here")
    }

    /// Each area's file of each language is in the bundle and parses; no other file sits there unread.
    @Test("every strings file parses, and every file is an area's")
    func filesParse() throws {
        let directory = try Self.resource("strings")
        try ConsoleStrings.checkResources()
        let expected = Set(ConsoleStrings.Area.allCases.flatMap { area in Self.languages.map { area.file($0) } })
        let enumerator = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]))
        var found: Set<String> = []
        for case let url as URL in enumerator {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let file = url.pathComponents.suffix(2).joined(separator: "/")
            found.insert(file)
            #expect(throws: Never.self, "\(file)") { try ConsoleStrings.Catalog.read(url, file: file) }
        }
        #expect(found == expected)
    }

    /// `{{t.key}}` of every template has words in both languages.
    @Test("every key a template uses is in both tables")
    func templateKeys() throws {
        let directory = try Self.resource("templates")
        let templates = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "mustache" }
        #expect(!templates.isEmpty)
        let tag = /\{\{\{?\s*[#^\/&]?\s*t\.([A-Za-z0-9_]+)/
        var used = 0
        for template in templates {
            let text = try String(contentsOf: template, encoding: .utf8)
            for match in text.matches(of: tag) {
                used += 1
                let key = String(match.output.1)
                for language in Self.languages {
                    #expect(ConsoleStrings.table(for: language)[key] != nil, "\(template.lastPathComponent): t.\(key) (\(language))")
                }
            }
        }
        #expect(used > 0)
    }

    /// The error of reading the strings folder `directory`.
    static func error(reading directory: URL) -> ConsoleStrings.ResourceError? {
        #expect(throws: ConsoleStrings.ResourceError.self) { try ConsoleStrings.Catalog(directory: directory) }
    }

    /// A strings file missing or unreadable is an error naming it, not a page of keys.
    @Test("a missing or broken strings file is an error naming it")
    func brokenFiles() throws {
        let source = try Self.resource("strings")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("console-strings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: source, to: copy)
        _ = try ConsoleStrings.Catalog(directory: copy)

        let push = copy.appendingPathComponent(ConsoleStrings.Area.push.file(.en))
        try Data("{\"push_nav\": 1}".utf8).write(to: push)
        #expect(Self.error(reading: copy)?.file == "en/push.json")

        try FileManager.default.removeItem(at: push)
        #expect(Self.error(reading: copy)?.file == "en/push.json")

        // A key of one area written again in another.
        try FileManager.default.copyItem(at: source.appendingPathComponent(ConsoleStrings.Area.push.file(.en)), to: push)
        let binding = copy.appendingPathComponent(ConsoleStrings.Area.binding.file(.zh))
        var words = try ConsoleStrings.Catalog.read(binding, file: "")
        words["product"] = "云桥"
        try JSONEncoder().encode(words).write(to: binding)
        #expect(Self.error(reading: copy)?.file == "zh-CN/binding.json")
    }
}
