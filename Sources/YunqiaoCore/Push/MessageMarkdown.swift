import Foundation

/// The Markdown subset of a message body, parsed into blocks of inline runs that each renderer maps to its format
/// (plain text, `post` elements, card `lark_md`).
///
/// - A blank line ends a paragraph; the lines of a paragraph are kept apart by line breaks (a single newline is a
///   line break, not a space: OA texts are written line by line).
/// - A line starting with `- ` is a list item (one line each; the next line without `- ` starts a paragraph).
/// - Inline: `**bold**`, `*italic*` (nestable), `[text](url)` with an absolute http(s) URL, `\` escapes the next
///   punctuation character. Anything else — unclosed markers, other Markdown — is plain text. Spans do not cross lines.
public struct MessageMarkdown: Sendable, Equatable {
    public struct Style: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let bold = Style(rawValue: 1)
        public static let italic = Style(rawValue: 2)
    }

    public enum Inline: Sendable, Equatable {
        case text(String, Style = [])
        case link(String, url: String)
        case lineBreak
    }

    public enum Block: Sendable, Equatable {
        case paragraph([Inline])
        case listItem([Inline])

        public var inlines: [Inline] {
            switch self {
            case .paragraph(let inlines), .listItem(let inlines): inlines
            }
        }

        func with(_ inlines: [Inline]) -> Block {
            switch self {
            case .paragraph: .paragraph(inlines)
            case .listItem: .listItem(inlines)
            }
        }

        var isListItem: Bool {
            if case .listItem = self { true } else { false }
        }
    }

    public var blocks: [Block]

    public init(blocks: [Block]) { self.blocks = blocks }

    public init(parsing source: String) {
        var blocks: [Block] = []
        var paragraph: [Inline] = []
        func endParagraph() {
            if !paragraph.isEmpty { blocks.append(.paragraph(paragraph)) }
            paragraph = []
        }
        let lines = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        for rawLine in lines {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                endParagraph()
            } else if line == "-" || line.hasPrefix("- ") {
                endParagraph()
                let item = Self.inlines(Array(line.dropFirst(1).trimmingCharacters(in: .whitespaces)))
                if !item.isEmpty { blocks.append(.listItem(item)) }
            } else {
                if !paragraph.isEmpty { paragraph.append(.lineBreak) }
                paragraph += Self.inlines(Array(line))
            }
        }
        endParagraph()
        self.blocks = blocks
    }

    // MARK: Inline parsing

    private static let escapable: Set<Character> = ["\\", "*", "_", "[", "]", "(", ")", "-", "#", "`", "~", "<", ">", "!"]

    /// The runs of one line, adjacent runs of one style merged.
    static func inlines(_ line: [Character]) -> [Inline] {
        var merged: [Inline] = []
        for inline in parse(line[...], style: []) {
            if case .text(let text, let style) = inline, case .text(let previous, let previousStyle)? = merged.last,
               style == previousStyle
            {
                merged[merged.count - 1] = .text(previous + text, style)
            } else {
                merged.append(inline)
            }
        }
        return merged
    }

    private static func parse(_ chars: ArraySlice<Character>, style: Style) -> [Inline] {
        var result: [Inline] = []
        var buffer = ""
        func flush() {
            if !buffer.isEmpty { result.append(.text(buffer, style)) }
            buffer = ""
        }
        var i = chars.startIndex
        let end = chars.endIndex
        while i < end {
            let c = chars[i]
            if c == "\\", i + 1 < end, escapable.contains(chars[i + 1]) {
                buffer.append(chars[i + 1])
                i += 2
            } else if c == "*", i + 1 < end, chars[i + 1] == "*" {
                if let close = closingDoubleStar(chars, from: i + 2), close > i + 2 {
                    flush()
                    result += parse(chars[(i + 2)..<close], style: style.union(.bold))
                    i = close + 2
                } else {
                    buffer += "**"
                    i += 2
                }
            } else if c == "*" {
                if let close = closingSingleStar(chars, from: i + 1), close > i + 1 {
                    flush()
                    result += parse(chars[(i + 1)..<close], style: style.union(.italic))
                    i = close + 1
                } else {
                    buffer.append("*")
                    i += 1
                }
            } else if c == "[", let (text, url, next) = link(chars, at: i) {
                flush()
                result.append(.link(text, url: url))
                i = next
            } else {
                buffer.append(c)
                i += 1
            }
        }
        flush()
        return result
    }

    /// The index of the next unescaped `**` at or after `from`.
    private static func closingDoubleStar(_ chars: ArraySlice<Character>, from: Int) -> Int? {
        var j = from
        while j + 1 < chars.endIndex {
            if chars[j] == "\\" {
                j += 2
            } else if chars[j] == "*", chars[j + 1] == "*" {
                return j
            } else {
                j += 1
            }
        }
        return nil
    }

    /// The index of the next unescaped single `*` at or after `from`, stepping over `**` pairs (bold inside italic).
    private static func closingSingleStar(_ chars: ArraySlice<Character>, from: Int) -> Int? {
        var j = from
        while j < chars.endIndex {
            if chars[j] == "\\" {
                j += 2
            } else if chars[j] == "*" {
                if j + 1 < chars.endIndex, chars[j + 1] == "*" { j += 2 } else { return j }
            } else {
                j += 1
            }
        }
        return nil
    }

    /// `[text](url)` starting at `start`: the unescaped text, the URL and the index after it; nil when it is not a
    /// link with some text and an absolute http(s) URL.
    private static func link(_ chars: ArraySlice<Character>, at start: Int) -> (String, String, Int)? {
        var text = ""
        var j = start + 1
        while j < chars.endIndex, chars[j] != "]" {
            if chars[j] == "\\", j + 1 < chars.endIndex, escapable.contains(chars[j + 1]) { j += 1 }
            text.append(chars[j])
            j += 1
        }
        guard j + 1 < chars.endIndex, chars[j + 1] == "(", let close = chars[(j + 2)...].firstIndex(of: ")") else { return nil }
        let url = String(chars[(j + 2)..<close]).trimmingCharacters(in: .whitespaces)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, PushMessage.linkProblem(url) == nil else { return nil }
        return (text, url, close + 1)
    }
}

// MARK: Shortening (for Feishu's size limits)

extension MessageMarkdown {
    /// How many characters the text holds: the characters of its runs and link texts, 1 per line break.
    var length: Int {
        blocks.reduce(0) { total, block in
            block.inlines.reduce(total) { sum, inline in sum + Self.length(of: inline) }
        }
    }

    /// The lengths at which a line ends (before a line break, at the end of a block), ascending: where the text can be
    /// cut without cutting a line.
    var lineEnds: [Int] {
        var ends: [Int] = []
        var offset = 0
        for block in blocks {
            for inline in block.inlines {
                if case .lineBreak = inline { ends.append(offset) }
                offset += Self.length(of: inline)
            }
            if ends.last != offset { ends.append(offset) }
        }
        return ends
    }

    /// The first `length` characters (as counted by ``length``), cut between characters, never inside one.
    func prefix(_ length: Int) -> MessageMarkdown {
        var remaining = length
        var kept: [Block] = []
        for block in blocks where remaining > 0 {
            var inlines: [Inline] = []
            for inline in block.inlines where remaining > 0 {
                // Walks only the characters kept (a run can be the whole 100 000-character body).
                switch inline {
                case .text(let text, let style):
                    let kept = text.prefix(remaining)
                    inlines.append(kept.endIndex == text.endIndex ? inline : .text(String(kept), style))
                    remaining -= kept.count
                case .link(let text, let url):
                    let kept = text.prefix(remaining)
                    inlines.append(kept.endIndex == text.endIndex ? inline : .link(String(kept), url: url))
                    remaining -= kept.count
                case .lineBreak:
                    inlines.append(inline)
                    remaining -= 1
                }
            }
            while case .lineBreak? = inlines.last { inlines.removeLast() }
            if !inlines.isEmpty { kept.append(block.with(inlines)) }
        }
        return MessageMarkdown(blocks: kept)
    }

    private static func length(of inline: Inline) -> Int {
        switch inline {
        case .text(let text, _), .link(let text, _): text.count
        case .lineBreak: 1
        }
    }
}
