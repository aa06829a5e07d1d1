import Foundation

/// The message's Markdown in each of Feishu's formats: plain text, card Markdown (lark_md), rich-text paragraphs.
extension MessageRenderer {
    // MARK: Markdown to each format

    /// Blocks apart by a blank line, list items by a newline.
    private static func joinBlocks(_ markdown: MessageMarkdown, _ render: (MessageMarkdown.Block) -> String) -> String {
        var result = ""
        var previous: MessageMarkdown.Block?
        for block in markdown.blocks {
            if let previous { result += previous.isListItem && block.isListItem ? "\n" : "\n\n" }
            result += render(block)
            previous = block
        }
        return result
    }

    /// Plain text: styles dropped, links as "text (url)".
    static func plainText(_ markdown: MessageMarkdown) -> String {
        joinBlocks(markdown) { block in
            (block.isListItem ? "- " : "") + block.inlines.map { inline in
                switch inline {
                case .text(let text, _): text
                case .link(let text, let url): text == url ? url : "\(text) (\(url))"
                case .lineBreak: "\n"
                }
            }.joined()
        }
    }

    /// Card `lark_md`: `**bold**`, `*italic*`, `[text](url)`, the OA's own text escaped.
    static func larkMarkdown(_ markdown: MessageMarkdown) -> String {
        joinBlocks(markdown) { block in
            (block.isListItem ? "- " : "") + block.inlines.map { inline in
                switch inline {
                case .text(let text, let style):
                    let escaped = markdownEscaped(text)
                    let marker = (style.contains(.bold) ? "**" : "") + (style.contains(.italic) ? "*" : "")
                    return marker + escaped + String(marker.reversed())
                case .link(let text, let url): return "[\(markdownEscaped(text))](\(markdownURL(url)))"
                case .lineBreak: return "\n"
                }
            }.joined()
        }
    }

    /// Text shown literally in `lark_md`: the characters Markdown or mentions (`<at …>`) would read are written as
    /// HTML entities, which Feishu's card Markdown shows as the characters.
    static func markdownEscaped(_ text: String) -> String {
        guard text.contains(where: { markdownSpecials[$0] != nil }) else { return text }
        var result = ""
        for character in text {
            if let entity = markdownSpecials[character] { result += entity } else { result.append(character) }
        }
        return result
    }

    private static let markdownSpecials: [Character: String] = [
        "*": "&#42;", "~": "&#126;", "[": "&#91;", "]": "&#93;", "`": "&#96;", "<": "&lt;", ">": "&gt;",
    ]

    /// A URL inside `[text](url)`: parentheses and spaces percent-encoded so they cannot end it.
    static func markdownURL(_ url: String) -> String {
        url.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "(", with: "%28").replacingOccurrences(of: ")", with: "%29")
    }

    /// `post` paragraphs: one per line of the body, list items starting with "- ".
    static func postParagraphs(_ markdown: MessageMarkdown) -> [JSONValue] {
        var paragraphs: [JSONValue] = []
        for block in markdown.blocks {
            var inlines = block.inlines
            var line: [JSONValue] = []
            if block.isListItem {
                if case .text(let text, let style)? = inlines.first, style.isEmpty {
                    inlines[0] = .text("- " + text, style)
                } else {
                    line.append(["tag": "text", "text": "- "])
                }
            }
            for inline in inlines {
                switch inline {
                case .text(let text, let style):
                    var element: [String: JSONValue] = ["tag": "text", "text": .string(text)]
                    var styles: [JSONValue] = []
                    if style.contains(.bold) { styles.append("bold") }
                    if style.contains(.italic) { styles.append("italic") }
                    if !styles.isEmpty { element["style"] = .array(styles) }
                    line.append(.object(element))
                case .link(let text, let url):
                    line.append(["tag": "a", "text": .string(text), "href": .string(url)])
                case .lineBreak:
                    if !line.isEmpty { paragraphs.append(.array(line)) }
                    line = []
                }
            }
            if !line.isEmpty { paragraphs.append(.array(line)) }
        }
        return paragraphs
    }
}
