/// A paged list as an `AsyncSequence` of pages: follows `page_token` until `has_more` is false, one request per page,
/// only when the consumer asks for the next page.
public struct Paged<Item: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = [Item]

    let fetch: @Sendable (_ pageToken: String?) async throws -> FeishuPage<Item>

    public init(fetch: @escaping @Sendable (_ pageToken: String?) async throws -> FeishuPage<Item>) {
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let fetch: @Sendable (String?) async throws -> FeishuPage<Item>
        var token: String?
        /// `true` once the last page was returned.
        public private(set) var finished = false

        public mutating func next() async throws -> [Item]? {
            guard !finished else { return nil }
            let page = try await fetch(token)
            // A page that claims more but gives no token would loop forever: stop there.
            if page.hasMore, let next = page.pageToken, next != token {
                token = next
            } else {
                finished = true
            }
            return page.items
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }

    /// Every item of every page.
    public func collect() async throws -> [Item] {
        var all: [Item] = []
        for try await page in self { all.append(contentsOf: page) }
        return all
    }
}
