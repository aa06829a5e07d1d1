import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The OA-facing directory push with per-tenant OA keys.
@Suite struct OAPushAPITests {
    struct Key: Decodable { var id: Int64; var name: String; var hint: String; var key: String? }
    struct Applied: Decodable { var applied: Bool; var created: Int; var updated: Int }
    struct Rejected: Decodable {
        struct Item: Decodable { var list: String; var index: Int; var column: String?; var message: String }
        var applied: Bool
        var items: [Item]
    }

    @Test func keysAreShownOnceAndPushesApplyAllOrNothing() async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("oa-keys", #"{"name":"泛微 OA"}"#)
            #expect(created.status == .created)
            let key = try created.decode(Key.self)
            let secret = try #require(key.key)
            #expect(secret.hasPrefix("yqoa_") && key.hint == "••••" + secret.suffix(4))
            let listing = try await env.api.get("oa-keys")
            let listed = try listing.items(Key.self)
            #expect(listed.count == 1 && listed[0].key == nil && !listing.text.contains(secret))

            let oa = APICaller(client: env.client, credentials: .token(secret))
            // An admin token is not an OA key, and an OA key is not an admin token.
            #expect(try await env.api.post("/api/v1/directory", "{}").status == .unauthorized)
            #expect(try await oa.get("me").status == .unauthorized)

            let bad = try await oa.post("/api/v1/directory", """
                {"departments":[{"oa_id":"1","name":"总部"},{"oa_id":"2","name":"研发","parent_oa_id":"9"}],
                 "users":[{"oa_id":"u1","login_id":"zhang","name":"张三","department_oa_id":"1","email":"not-an-email"},
                          {"oa_id":"u2","login_id":"li","name":"李四","department_oa_id":"1"}]}
                """)
            #expect(bad.status == .badRequest, "\(bad)")
            let rejected = try bad.decode(Rejected.self)
            #expect(!rejected.applied)
            #expect(rejected.items.contains { $0.list == "departments" && $0.index == 1 && $0.column == "parent_oa_id" })
            #expect(rejected.items.contains { $0.list == "users" && $0.index == 0 && $0.column == "email" })
            #expect(try await env.database.oaDirectory.oaUserCount(tenantId: env.tenantId) == 0)

            let good = try await oa.post("/api/v1/directory", """
                {"departments":[{"oa_id":"1","name":"总部"},{"oa_id":"2","name":"研发","parent_oa_id":"1"}],
                 "users":[{"oa_id":"u1","login_id":"zhang","name":"张三","department_oa_id":"2","mobile":"13800000001"},
                          {"oa_id":"u2","login_id":"li","name":"李四","department_oa_id":"1","part_time_department_oa_ids":"2"}]}
                """)
            #expect(good.status == .ok, "\(good)")
            #expect(try good.decode(Applied.self).applied)
            #expect(try await env.database.oaDirectory.oaUserCount(tenantId: env.tenantId) == 2)
            #expect(try await env.database.oaDirectory.oaUserCount(tenantId: env.otherTenantId) == 0)
            let audit = try await env.api.get("audit?actor=oa:泛微%20OA").items(AuditEntry.self)
            #expect(!audit.isEmpty)

            #expect(try await env.api.delete("oa-keys/\(key.id)").status == .noContent)
            #expect(try await oa.post("/api/v1/directory", #"{"users":[]}"#).status == .unauthorized)
        }
    }
}
