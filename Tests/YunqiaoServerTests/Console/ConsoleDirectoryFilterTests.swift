import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
@testable import YunqiaoServices

/// What a first-time administrator ran into in the directories (issue #13, item 17): unbound users can be listed — the
/// 未绑定 / 已绑定 filter of the Feishu directory and the OA directory, in the console and the admin API — each row says
/// how it is bound, and the association sheet's preview names the people.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleDirectoryFilterTests {
    typealias Browser = ConsoleOADirectoryTests.Browser

    /// The rows of a table by their `data-…` attribute value (`<tr data-union-id="…"` / `<tr data-oa-id="…"`).
    static func rows(_ html: String, table: String, attribute: String) -> [String: String] {
        guard let start = html.range(of: #"id="\#(table)""#) else { return [:] }
        let body = String(html[start.upperBound...]).components(separatedBy: "</table>")[0]
        var rows: [String: String] = [:]
        for piece in body.components(separatedBy: "<tr ").dropFirst() {
            guard let value = piece.components(separatedBy: #"\#(attribute)=""#).dropFirst().first?.split(separator: "\"").first else { continue }
            rows[String(value)] = piece
        }
        return rows
    }

    @Test func unboundUsersAreListedOnBothSides() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await ConsoleBindingTests.scenario(env)
            let browser = try await Browser.signIn(env)
            _ = try await browser.post("/console/enterprises/\(id)/auto-bind")  // binds 1001 ⇄ multi, 1002 ⇄ root1
            let multi = try #require(users["multi"]), root1 = try #require(users["root1"]), root2 = try #require(users["root2"])

            // The Feishu directory: everyone by default, each row with its binding; the filter keeps the unbound or the bound.
            let all = Self.rows(try await browser.get("/console/enterprises/\(id)/directory?size=100").text, table: "user-list",
                                attribute: "data-union-id")
            #expect(all.count == users.count)
            #expect(try #require(all[multi.unionID]).contains("兼职者OA") && all[multi.unionID]?.contains(#"href="/console/oa/users/1001""#) == true)
            #expect(try #require(all[root2.unionID]).contains(#"<span class="badge badge-warning">未绑定</span>"#))
            let unboundPage = try await browser.get("/console/enterprises/\(id)/directory?binding=unbound&size=100")
            #expect(unboundPage.text.contains(#"<option value="unbound" selected>未绑定</option>"#))
            let unbound = Self.rows(unboundPage.text, table: "user-list", attribute: "data-union-id")
            #expect(unbound.count == users.count - 2 && unbound[root2.unionID] != nil && unbound[multi.unionID] == nil && unbound[root1.unionID] == nil)
            let bound = Self.rows(try await browser.get("/console/enterprises/\(id)/directory?binding=bound").text, table: "user-list",
                                  attribute: "data-union-id")
            #expect(Set(bound.keys) == [multi.unionID, root1.unionID])
            #expect(try await browser.get("/console/enterprises/\(id)/directory?binding=bound&lang=en").text.contains(#"<option value="bound" selected>Bound</option>"#))

            // The OA directory: the same filter, the Feishu user each is bound to.
            let oaAll = Self.rows(try await browser.get("/console/oa").text, table: "oa-user-list", attribute: "data-oa-id")
            #expect(try #require(oaAll["1001"]).contains(#"href="/console/enterprises/\#(id)/users/\#(multi.unionID)""#))
            #expect(try #require(oaAll["1005"]).contains("未绑定"))
            let oaUnbound = Self.rows(try await browser.get("/console/oa?binding=unbound").text, table: "oa-user-list", attribute: "data-oa-id")
            #expect(Set(oaUnbound.keys) == ["1003", "1004", "1005"])
            let oaBound = Self.rows(try await browser.get("/console/oa?binding=bound").text, table: "oa-user-list", attribute: "data-oa-id")
            #expect(Set(oaBound.keys) == ["1001", "1002"])

            // The admin API: `binding=unbound|bound`, each user with their binding; anything else is a 400 naming the field.
            let apiUnbound = try await env.api.get("enterprises/\(id)/users?binding=unbound&limit=200").decode(UserPage.self)
            #expect(apiUnbound.total == users.count - 2 && apiUnbound.users.allSatisfy { $0.binding == nil })
            let apiBound = try await env.api.get("enterprises/\(id)/users?binding=bound").decode(UserPage.self)
            #expect(apiBound.users.compactMap(\.binding?.oaUserID).sorted() == ["1001", "1002"])
            #expect(try await env.api.get("enterprises/\(id)/users?binding=yes").error?.field == "binding")
            let oaPage = try #require(try await env.api.get("oa-directory/users?binding=unbound").json as? [String: Any])
            #expect(oaPage["total"] as? Int == 3)
            let oaBoundPage = try #require(try await env.api.get("oa-directory/users?binding=bound&enterpriseId=\(id)").json as? [String: Any])
            let items = try #require(oaBoundPage["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["oaID"] as? String } == ["1001", "1002"])
            let binding = try #require((items.first?["bindings"] as? [[String: Any]])?.first)
            #expect(binding["unionID"] as? String == multi.unionID && binding["enterpriseId"] as? Int == Int(id))
            #expect(try await env.api.get("oa-directory/users?binding=none").error?.field == "binding")
            #expect(try await env.api.get("oa-directory/users?binding=bound&enterpriseId=9999").status == .notFound)
        }
    }

    @Test func theAssociationSheetPreviewNamesThePeople() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, users) = try await ConsoleBindingTests.scenario(env)
            let root1 = try #require(users["root1"]), deep = try #require(users.values.first { $0.userID != "root1" && $0.userID != "multi" })
            let browser = try await Browser.signIn(env)
            let csv = "union_id,oa_value\n\(root1.unionID),13900000001\n\(deep.unionID),13000000000\n"
            let preview = try await browser.upload("/console/enterprises/\(id)/binding-sheet", fields: [("field", "mobile"), ("action", "preview")],
                                                   file: ("sheet.csv", "text/csv", Data(csv.utf8)))
            #expect(preview.status == .ok, "\(preview)")
            let rows = Self.rows(preview.text, table: "bs-rows", attribute: "data-line")
            let first = try #require(rows["2"]), second = try #require(rows["3"])
            #expect(first.contains(root1.name) && first.contains("根成员一OA") && first.contains("<code class=\"login\">root1</code>"))
            #expect(first.contains(#"href="/console/oa/users/1002""#))
            #expect(second.contains(deep.name) && second.contains(#"<span class="muted">—</span>"#))
        }
    }
}
