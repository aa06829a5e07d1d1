import Testing

@testable import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

@Suite("Console strings")
struct ConsoleStringsTests {
    static let tables: [(String, ConsoleStrings.Table)] = [
        ("base", ConsoleStrings.base), ("binding", ConsoleStrings.binding), ("oaDirectory", ConsoleStrings.oaDirectory),
        ("oaConnector", ConsoleStrings.oaConnector), ("bindingSheet", ConsoleStrings.bindingSheet),
        ("cardCallback", ConsoleStrings.cardCallback), ("push", ConsoleStrings.push),
    ]

    /// `msg.` keys translate the service's English messages: Chinese only.
    @Test("every table has the same words in Chinese and English")
    func sameKeys() {
        for (name, table) in Self.tables {
            let words = Set(table.zh.keys.filter { !$0.hasPrefix("msg.") })
            #expect(words.symmetricDifference(table.en.keys.filter { !$0.hasPrefix("msg.") }).sorted() == [], "table \(name)")
        }
    }

    @Test("a key belongs to one table")
    func oneTablePerKey() {
        var owner: [String: String] = [:]
        for (name, table) in Self.tables {
            for key in table.zh.keys {
                #expect(owner[key] == nil, "\(key) is in \(owner[key] ?? "") and \(name)")
                owner[key] = name
            }
        }
        #expect(ConsoleStrings.zh.count == owner.count)
    }

    @Test("a message pattern translates the parts that vary")
    func pattern() {
        #expect(ConsoleStrings.translate("enterprise \"X\" not found", in: ConsoleStrings.zh) == "企业 \"X\" 不存在")
        #expect(ConsoleStrings.translate("no such text here", in: ConsoleStrings.zh) == "no such text here")
    }
}
