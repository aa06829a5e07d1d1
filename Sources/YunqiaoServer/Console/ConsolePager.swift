import Foundation

/// A table's paging on the console (the `_pager` partial): the count, page numbers around the current page, first /
/// previous / next / last, and the page size. Pages stay short by default; the size is the query's `size`.
struct ConsolePager {
    static let sizes = [20, 50, 100]
    static let defaultSize = 20
    /// Page numbers shown on each side of the current page (the first and the last are always shown).
    static let around = 2

    var total: Int
    var offset: Int
    var size: Int

    /// The page size the query asks for (`size`): one of ``sizes``, else the default.
    static func size(_ value: String?) -> Int {
        value.flatMap { Int($0) }.flatMap { sizes.contains($0) ? $0 : nil } ?? defaultSize
    }

    /// The offset the query asks for (`offset`), never negative.
    static func offset(_ value: String?) -> Int { max(0, value.flatMap { Int($0) } ?? 0) }

    var pageCount: Int { max(1, (total + size - 1) / size) }
    /// The current page, from 1.
    var page: Int { min(pageCount, offset / size + 1) }

    /// The partial's values. `id` prefixes the links' ids (`<id>-next`…), `countId` is the count's id; `link` makes
    /// the URL of a page (its offset) at a size.
    func values(id: String, countId: String, shown: Int, _ t: Strings, link: (_ offset: Int, _ size: Int) -> String) -> PageValues {
        let last = pageCount
        func href(_ page: Int) -> String { link((page - 1) * size, size) }
        var numbers = Set([1, last])
        for number in max(1, page - Self.around)...min(last, page + Self.around) { numbers.insert(number) }
        var pages: [PageValues] = []
        var previous = 0
        for number in numbers.sorted() {
            if number > previous + 1 { pages.append(["gap": true]) }
            pages.append(["number": number, "href": href(number), "current": number == page, "gap": false])
            previous = number
        }
        var values: PageValues = [
            "id": id, "countId": countId, "total": total, "from": shown == 0 ? 0 : offset + 1, "to": offset + shown,
            "multiple": last > 1, "pages": pages,
            "sizes": Self.sizes.map { option -> PageValues in
                ["value": option, "href": link(0, option), "current": option == size]
            },
            "sizeLabel": t["pager_size"] ?? "",
        ]
        if offset > 0 {
            values["firstHref"] = link(0, size)
            values["prevHref"] = link(max(0, offset - size), size)
        }
        if offset + shown < total {
            values["nextHref"] = link(offset + size, size)
            values["lastHref"] = href(last)
        }
        return values
    }
}
