import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// The two paged contact listings, so every edge case runs on both.
enum Listing: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case members = "find_by_department"
    case children

    var testDescription: String { self.rawValue }

    /// The listing of a department given by custom id; `query` is appended (start it with `&`).
    func uri(_ department: String, _ query: String = "") -> String {
        switch self {
        case .members:
            "\(TestOrg.userAPI)/find_by_department?department_id=\(department)&department_id_type=department_id&user_id_type=user_id\(query)"
        case .children:
            "\(TestOrg.departmentAPI)/\(department)/children?department_id_type=department_id\(query)"
        }
    }

    /// The custom id of a listed item.
    func id(_ item: JSON) -> String? { item[self == .members ? "user_id" : "department_id"]?.stringValue }

    /// What the fixture holds for `g50` / `g51`.
    func expected(_ group: String, count: Int) -> [String] {
        self == .members ? TestOrg.memberIDs(of: group, count: count) : TestOrg.childIDs(of: group, count: count)
    }
}

/// `page_size` / `page_token` / `has_more` (`feishu-api.md` §1.8): default 10, max 50, opaque tokens bound to the query.
@Suite struct PaginationTests {
    @Test(arguments: Listing.allCases)
    func exactlyFiftyIsOnePage(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get(listing.uri("g50", "&page_size=50"))
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.items.compactMap(listing.id) == listing.expected("g50", count: 50))
            #expect(reply.data?["has_more"] == false)
            #expect(reply.data?["page_token"] == nil)
        }
    }

    @Test(arguments: Listing.allCases)
    func fiftyOneIsFiftyPlusOne(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let first = try await api.get(listing.uri("g51", "&page_size=50"))
            #expect(first.code == 0, "\(first.text)")
            #expect(first.items.count == 50)
            #expect(first.data?["has_more"] == true)
            let token = try #require(first.data?["page_token"]?.stringValue)
            #expect(!token.isEmpty)

            let second = try await api.get(listing.uri("g51", "&page_size=50&page_token=\(token)"))
            #expect(second.code == 0, "\(second.text)")
            #expect(second.items.count == 1)
            #expect(second.data?["has_more"] == false)
            #expect(second.data?["page_token"] == nil)
            #expect((first.items + second.items).compactMap(listing.id) == listing.expected("g51", count: 51))
        }
    }

    @Test(arguments: Listing.allCases, ["51", "0", "-1", "100", "ten", "1.5"])
    func pageSizeOutOfRangeIsRejected(listing: Listing, size: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get(listing.uri("g50", "&page_size=\(size)"))
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "page_size")
            #expect(reply.json?["error"]?["log_id"]?.stringValue == reply.logID)
        }
    }

    @Test(arguments: Listing.allCases)
    func pageSizeOneAndFiftyAreAccepted(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let one = try await api.get(listing.uri("g50", "&page_size=1"))
            #expect(one.items.compactMap(listing.id) == [listing.expected("g50", count: 1)[0]])
            #expect(one.data?["has_more"] == true)
            #expect(try await api.get(listing.uri("g50", "&page_size=50")).items.count == 50)
        }
    }

    @Test(arguments: Listing.allCases)
    func emptyDepartmentIsAnEmptyPage(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get(listing.uri("empty"))
            #expect(reply.code == 0, "\(reply.text)")
            #expect(reply.data?["items"] == [])
            #expect(reply.data?["has_more"] == false)
            #expect(reply.data?["page_token"] == nil)
        }
    }

    @Test(arguments: Listing.allCases)
    func defaultPageSizeIsTen(listing: Listing) async throws {
        try await withEmulator { api async throws in
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let reply = try await api.get(listing.uri("g50", token.map { "&page_token=\($0)" } ?? ""))
                #expect(reply.code == 0, "\(reply.text)")
                #expect(reply.items.count == 10)
                seen += reply.items.compactMap(listing.id)
                token = reply.data?["page_token"]?.stringValue
                #expect((token != nil) == (reply.data?["has_more"] == true))
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 5)
            #expect(seen == listing.expected("g50", count: 50))
        }
    }

    @Test(arguments: Listing.allCases)
    func reusingAPageTokenGivesTheSamePage(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let first = try await api.get(listing.uri("g51", "&page_size=20"))
            let token = try #require(first.data?["page_token"]?.stringValue)
            let once = try await api.get(listing.uri("g51", "&page_size=20&page_token=\(token)"))
            let twice = try await api.get(listing.uri("g51", "&page_size=20&page_token=\(token)"))
            #expect(once.code == 0)
            #expect(once.data == twice.data)
            #expect(once.items.compactMap(listing.id) == Array(listing.expected("g51", count: 51)[20..<40]))
        }
    }

    @Test(arguments: Listing.allCases)
    func tokenFromAnotherQueryIsRefused(listing: Listing) async throws {
        try await withEmulator { api async throws in
            let g51 = try await api.get(listing.uri("g51", "&page_size=10"))
            let token = try #require(g51.data?["page_token"]?.stringValue)
            let reply = try await api.get(listing.uri("g50", "&page_size=10&page_token=\(token)"))
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "page_token")

            // A token of the other listing of the same department is refused too.
            let other: Listing = listing == .members ? .children : .members
            let foreign = try #require(try await api.get(other.uri("g51", "&page_size=10")).data?["page_token"]?.stringValue)
            let crossed = try await api.get(listing.uri("g51", "&page_size=10&page_token=\(foreign)"))
            #expect(crossed.code == 99992402)
            #expect(crossed.firstViolationField == "page_token")
        }
    }

    @Test(arguments: Listing.allCases, ["garbage", "MTAuYWJj", "%2B%2B%2B"])
    func malformedTokenIsRefused(listing: Listing, token: String) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get(listing.uri("g50", "&page_token=\(token)"))
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "page_token")
        }
    }

    @Test func recursiveAndFlatChildrenTokensDoNotMix() async throws {
        try await withEmulator { api async throws in
            let flat = try await api.get(Listing.children.uri("g50", "&page_size=5"))
            let token = try #require(flat.data?["page_token"]?.stringValue)
            let recursive = try await api.get(Listing.children.uri("g50", "&page_size=5&fetch_child=true&page_token=\(token)"))
            #expect(recursive.code == 99992402)
            #expect(recursive.firstViolationField == "page_token")
        }
    }

    @Test func scopesPageSizeAllowsUpToHundred() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.get("/open-apis/contact/v3/scopes?page_size=100").code == 0)
            let reply = try await api.get("/open-apis/contact/v3/scopes?page_size=101")
            #expect(reply.code == 99992402)
            #expect(reply.firstViolationField == "page_size")
        }
    }
}
