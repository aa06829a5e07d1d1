import Foundation
import GRDB
import Testing
@testable import YunqiaoStore
import YunqiaoCore

/// Tenants and the super-admin role (issue #13, item 20): the migration that makes the first admin of the default
/// tenant the super-admin, the first admin of a fresh database, and the tenant operations with their audit entries.
@Suite struct TenantStoreTests {
    let actor = AuditActor("root")

    @Test func theMigrationMakesTheFirstAdminOfTheDefaultTenantTheSuperAdmin() async throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue, upTo: "v8: outbox leases")
        try await queue.write { db in
            let now = Date()
            // An older tenant first: "default" wins by its name, not by its age.
            try db.execute(sql: "INSERT INTO tenant (id, name, createdAt) VALUES (1, 'other', ?), (2, 'default', ?)", arguments: [now, now])
            try db.execute(sql: """
                INSERT INTO admin (id, tenantId, username, passwordHash, createdAt, updatedAt)
                VALUES (1, 1, 'bob', 'h', ?, ?), (2, 2, 'admin', 'h', ?, ?), (3, 2, 'second', 'h', ?, ?)
                """, arguments: [now, now, now, now, now, now])
            try db.execute(sql: """
                INSERT INTO apiToken (tenantId, name, tokenHash, hint, createdBy, createdAt) VALUES (2, 'ci', 'hash', 'abcd', 'admin', ?)
                """, arguments: [now])
        }
        let database = try YunqiaoDatabase(queue, secrets: .ephemeral())
        #expect(try await database.admins.admin(username: "admin")?.role == "superAdmin")
        #expect(try await database.admins.admin(username: "second")?.role == "admin")
        #expect(try await database.admins.admin(username: "bob")?.role == "admin")
        #expect(try await database.admins.apiTokens(tenantId: 2).map(\.role) == ["admin"])
    }

    @Test func theMigrationTakesTheOldestTenantWithoutADefaultOne() async throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue, upTo: "v8: outbox leases")
        try await queue.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO tenant (id, name, createdAt) VALUES (5, 'acme', ?), (7, 'beta', ?)", arguments: [now, now])
            try db.execute(sql: """
                INSERT INTO admin (id, tenantId, username, passwordHash, createdAt, updatedAt) VALUES (1, 7, 'b', 'h', ?, ?), (2, 5, 'a', 'h', ?, ?)
                """, arguments: [now, now, now, now])
        }
        let database = try YunqiaoDatabase(queue, secrets: .ephemeral())
        #expect(try await database.admins.admin(username: "a")?.isSuperAdmin == true)
        #expect(try await database.admins.admin(username: "b")?.isSuperAdmin == false)
    }

    @Test func theFirstAdminOfAFreshDatabaseIsTheSuperAdmin() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let main = try #require(try await database.integration.tenant(named: "default").id)
        let other = try #require(try await database.integration.tenant(named: "other").id)
        // An admin of another tenant first: not the super-admin.
        #expect(try await database.admins.setAdminPassword(tenantId: other, username: "bob", passwordHash: "h", by: .system).isSuperAdmin == false)
        #expect(try await database.admins.setAdminPassword(tenantId: main, username: "admin", passwordHash: "h", by: .system).isSuperAdmin)
        #expect(try await database.admins.setAdminPassword(tenantId: main, username: "second", passwordHash: "h", by: .system).isSuperAdmin == false)
        // A new password keeps the role.
        #expect(try await database.admins.setAdminPassword(tenantId: main, username: "admin", passwordHash: "h2", by: .system).isSuperAdmin)
        let created = try await database.admins.auditLog(tenantId: main, filter: AuditFilter(action: "admin.create"))
        #expect(created.compactMap(\.after).sorted() == [#"{"role":"admin","username":"second"}"#, #"{"role":"superAdmin","username":"admin"}"#])
    }

    @Test func tenantsAreCreatedRenamedAndGetTheirFirstAdminAuditedInBothTenants() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let main = try #require(try await database.integration.tenant(named: "default").id)
        try await database.admins.setAdminPassword(tenantId: main, username: "admin", passwordHash: "h", by: .system)

        let east = try await database.admins.createTenant(name: " 华东 ", by: actor, actorTenantId: main)
        let eastId = try #require(east.id)
        #expect(east.name == "华东")
        await #expect(throws: YunqiaoError.conflict(field: "name", message: "a tenant named 华东 exists already")) {
            try await database.admins.createTenant(name: "华东", by: actor, actorTenantId: main)
        }
        await #expect(throws: YunqiaoError.invalid(field: "name", message: "required")) {
            try await database.admins.createTenant(name: "  ", by: actor, actorTenantId: main)
        }
        #expect(try await database.admins.renameTenant(id: eastId, name: "华东子公司", by: actor, actorTenantId: main).name == "华东子公司")
        await #expect(throws: YunqiaoError.conflict(field: "name", message: "a tenant named default exists already")) {
            try await database.admins.renameTenant(id: eastId, name: "default", by: actor, actorTenantId: main)
        }
        await #expect(throws: YunqiaoError.notFound("tenant 999")) {
            try await database.admins.renameTenant(id: 999, name: "x", by: actor, actorTenantId: main)
        }

        let first = try await database.admins.createFirstAdmin(tenantId: eastId, username: "east-admin", passwordHash: "h", by: actor,
                                                              actorTenantId: main)
        #expect(first.tenantId == eastId && !first.isSuperAdmin)
        await #expect(throws: YunqiaoError.conflict(field: nil, message: "tenant 华东子公司 has an admin already: east-admin")) {
            try await database.admins.createFirstAdmin(tenantId: eastId, username: "east-2", passwordHash: "h", by: actor, actorTenantId: main)
        }
        let west = try #require(try await database.admins.createTenant(name: "华西", by: actor, actorTenantId: main).id)
        await #expect(throws: YunqiaoError.conflict(field: "username", message: "the user name admin is taken")) {
            try await database.admins.createFirstAdmin(tenantId: west, username: "admin", passwordHash: "h", by: actor, actorTenantId: main)
        }

        let summaries = try await database.admins.tenantSummaries()
        #expect(summaries.map(\.tenant.name) == ["default", "华东子公司", "华西"])
        #expect(summaries.map(\.admins) == [["admin"], ["east-admin"], []])
        #expect(summaries.map(\.holdsSuperAdmin) == [true, false, false])

        // Each change is in the super-admin's log and in the log of the tenant it concerns; never a hash.
        let mine = try await database.admins.auditLog(tenantId: main).filter { $0.actor == "root" }.map(\.action)
        #expect(mine.sorted() == ["admin.create", "tenant.create", "tenant.create", "tenant.rename"])
        let theirs = try await database.admins.auditLog(tenantId: eastId)
        #expect(theirs.map(\.action).sorted() == ["admin.create", "tenant.create", "tenant.rename"])
        #expect(theirs.allSatisfy { ($0.after ?? "").contains("\"h\"") == false })
    }
}
