import Foundation
import Testing
import YunqiaoStore
import YunqiaoCore

@Suite struct AdminStoreTests {
    let actor = AuditActor("alice")

    @Test func externalDomainIsNormalisedAuditedAndClearable() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        #expect(try await database.integration.setExternalDomain(tenantId: tenant, " https://bridge.example.com/// ", by: actor) == "https://bridge.example.com")
        #expect(try await database.integration.externalDomain(tenantId: tenant) == "https://bridge.example.com")
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            try await database.integration.setExternalDomain(tenantId: tenant, "https://bridge.example.com/?a=1", by: actor)
        }
        try await database.integration.setExternalDomain(tenantId: tenant, "", by: actor)
        #expect(try await database.integration.externalDomain(tenantId: tenant) == nil)
        let log = try await database.admins.auditLog(tenantId: tenant)
        #expect(log.map(\.action) == ["settings.update", "settings.update"])
        #expect(log.allSatisfy { $0.actor == "alice" })
        #expect(log.last?.after == #"{"externalDomain":"https://bridge.example.com"}"#)
    }

    @Test func appEditWithoutSecretKeepsItAndTheAuditNeverHoldsIt() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant, name: "E", brand: "feishu", baseURL: "https://open.feishu.cn",
                                                                         by: actor)
        let app = try await database.integration.addApp(enterpriseId: try #require(enterprise.id), name: "A", appID: "cli_1",
                                                        appSecret: "super-secret-value-9876", by: actor)
        let edited = try await database.integration.updateApp(tenantId: tenant, id: try #require(app.id), name: "A2", appID: "cli_1", appSecret: nil,
                                                              homepage: .custom("https://oa.example.com/home"), by: actor)
        #expect(try database.integration.secret(of: edited) == "super-secret-value-9876")
        #expect(edited.homepage == .custom("https://oa.example.com/home"))
        let rotated = try await database.integration.updateApp(tenantId: tenant, id: try #require(app.id), name: "A2", appID: "cli_1",
                                                               appSecret: "another-secret-1234", homepage: .none, by: actor)
        #expect(try database.integration.secret(of: rotated) == "another-secret-1234")
        let log = try await database.admins.auditLog(tenantId: tenant)
        let text = log.map { "\($0.before ?? "") \($0.after ?? "")" }.joined()
        #expect(!text.contains("super-secret") && !text.contains("another-secret"))
        #expect(text.contains("9876") && text.contains("1234"))
    }

    @Test func refusedChangesWriteNothingNotEvenAnAuditEntry() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant, name: "E", brand: "feishu", baseURL: "https://open.feishu.cn",
                                                                         by: actor)
        let portal = try await database.integration.createHomepageApp(tenantId: tenant, name: "门户", url: "/spa/portal", by: actor)
        _ = try await database.integration.addApp(enterpriseId: try #require(enterprise.id), name: "审批", appID: "cli_2", appSecret: "s",
                                                  homepage: .oaApp(try #require(portal.id)), by: actor)
        let before = try await database.admins.auditLog(tenantId: tenant).count
        await #expect(throws: YunqiaoDatabase.StoreError.inUse("enterprise E still has apps: 审批 (cli_2); delete them first")) {
            try await database.integration.deleteEnterprise(tenantId: tenant, id: try #require(enterprise.id), by: actor)
        }
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            try await database.integration.deleteHomepageApp(tenantId: tenant, id: try #require(portal.id), by: actor)
        }
        await #expect(throws: YunqiaoDatabase.StoreError.invalid(field: "homepageAppId", message: "no OA homepage app 999")) {
            _ = try await database.integration.addApp(enterpriseId: try #require(enterprise.id), name: "x", appID: "cli_3", appSecret: "s",
                                                      homepage: .oaApp(999), by: actor)
        }
        #expect(try await database.admins.auditLog(tenantId: tenant).count == before)
        #expect(try await database.integration.apps(enterpriseId: try #require(enterprise.id)).count == 1)
    }

    @Test func otherTenantsEntriesAreNotFound() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let a = try #require(try await database.integration.tenant(named: "a").id)
        let b = try #require(try await database.integration.tenant(named: "b").id)
        let enterprise = try await database.integration.createEnterprise(tenantId: a, name: "E", brand: "feishu", baseURL: "https://open.feishu.cn",
                                                                         by: actor)
        await #expect(throws: YunqiaoDatabase.StoreError.notFound("enterprise \(enterprise.id ?? 0)")) {
            _ = try await database.integration.enterprise(tenantId: b, id: try #require(enterprise.id))
        }
    }

    @Test func tokensAreStoredHashedAndStopWorkingWhenRevoked() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let record = try await database.admins.createAPIToken(tenantId: tenant, name: "ci", token: "yq_abcdefgh1234", by: actor)
        #expect(record.tokenHash != "yq_abcdefgh1234" && record.hint == "1234")
        #expect(try await database.admins.useAPIToken("yq_abcdefgh1234")?.id == record.id)
        #expect(try await database.admins.useAPIToken("yq_wrong") == nil)
        try await database.admins.revokeAPIToken(tenantId: tenant, id: try #require(record.id), by: actor)
        #expect(try await database.admins.useAPIToken("yq_abcdefgh1234") == nil)
    }

    @Test func persistedEntriesExpireAndCreateIsExclusive() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let now = Date()
        #expect(try await database.admins.persist(key: "k", value: Data("1".utf8), expiresAt: now.addingTimeInterval(60), onlyIfAbsent: true, now: now))
        #expect(try await !database.admins.persist(key: "k", value: Data("2".utf8), expiresAt: nil, onlyIfAbsent: true, now: now))
        #expect(try await database.admins.persistedValue(key: "k", now: now)?.value == Data("1".utf8))
        #expect(try await database.admins.persistedValue(key: "k", now: now.addingTimeInterval(61)) == nil)
        #expect(try await database.admins.tidyPersisted(now: now.addingTimeInterval(61)) == 1)
    }
}
