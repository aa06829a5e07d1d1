import Testing
@testable import YunqiaoCore

@Suite struct MessageMarkdownTests {
    typealias Markdown = MessageMarkdown

    @Test func paragraphsLineBreaksAndListItems() {
        let markdown = Markdown(parsing: "第一行\n第二行\n\n\n第二段\r\n- 目的地：上海\n  - 天数：3 \n之后")
        #expect(markdown.blocks == [
            .paragraph([.text("第一行"), .lineBreak, .text("第二行")]),
            .paragraph([.text("第二段")]),
            .listItem([.text("目的地：上海")]),
            .listItem([.text("天数：3")]),
            .paragraph([.text("之后")]),
        ])
    }

    @Test func boldItalicAndNesting() {
        #expect(Markdown(parsing: "**张三** 申请 *出差*").blocks == [
            .paragraph([.text("张三", .bold), .text(" 申请 "), .text("出差", .italic)]),
        ])
        #expect(Markdown(parsing: "**a *b* c**").blocks == [
            .paragraph([.text("a ", .bold), .text("b", [.bold, .italic]), .text(" c", .bold)]),
        ])
        #expect(Markdown(parsing: "*a **b** c*").blocks == [
            .paragraph([.text("a ", .italic), .text("b", [.bold, .italic]), .text(" c", .italic)]),
        ])
    }

    @Test func linksNeedAnAbsoluteHTTPURL() {
        #expect(Markdown(parsing: "见 [制度](https://oa.example.com/a?b=1) 。").blocks == [
            .paragraph([.text("见 "), .link("制度", url: "https://oa.example.com/a?b=1"), .text(" 。")]),
        ])
        #expect(Markdown(parsing: "[x](/relative) [y](javascript:alert(1)) [](https://e.com) [z]").blocks == [
            .paragraph([.text("[x](/relative) [y](javascript:alert(1)) [](https://e.com) [z]")]),
        ])
        #expect(Markdown(parsing: "- [**单**](http://e.com/1)").blocks == [.listItem([.link("**单**", url: "http://e.com/1")])])
    }

    @Test func unclosedMarkersAndEscapesAreText() {
        #expect(Markdown(parsing: "2*3=6 and **open").blocks == [.paragraph([.text("2*3=6 and **open")])])
        #expect(Markdown(parsing: #"\*not italic\* \[x\] a\b"#).blocks == [.paragraph([.text(#"*not italic* [x] a\b"#)])])
        #expect(Markdown(parsing: "\\- not a list").blocks == [.paragraph([.text("- not a list")])])
        #expect(Markdown(parsing: "-5 度\n# 标题").blocks == [.paragraph([.text("-5 度"), .lineBreak, .text("# 标题")])])
    }

    @Test func spansDoNotCrossLines() {
        #expect(Markdown(parsing: "**a\nb**").blocks == [.paragraph([.text("**a"), .lineBreak, .text("b**")])])
    }

    @Test func emptyAndBlankBodiesHaveNoBlocks() {
        #expect(Markdown(parsing: "").blocks.isEmpty)
        #expect(Markdown(parsing: " \n\t\n").blocks.isEmpty)
        #expect(Markdown(parsing: "- ").blocks.isEmpty)
    }

    @Test func prefixCutsBetweenCharactersAndLineEndsAreWholeLines() {
        let markdown = Markdown(parsing: "**ab**👩‍👩‍👧‍👦c\nde\n\n- [fg](https://e.com)")
        #expect(markdown.length == 4 + 1 + 2 + 2)
        #expect(markdown.lineEnds == [4, 7, 9])
        #expect(markdown.prefix(3).blocks == [.paragraph([.text("ab", .bold), .text("👩‍👩‍👧‍👦")])])
        #expect(markdown.prefix(4) == markdown.prefix(5), "a trailing line break is dropped")
        #expect(markdown.prefix(8).blocks.last == .listItem([.link("f", url: "https://e.com")]))
        #expect(markdown.prefix(9) == markdown)
        #expect(markdown.prefix(0).blocks.isEmpty)
    }
}
