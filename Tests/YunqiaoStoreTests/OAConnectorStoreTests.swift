import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

@Suite struct OAConnectorStoreTests {
    let actor = AuditActor("alice")

    func settings(baseURL: String = "https://oa.example.com/api/", secret: String? = "connector-secret-1234", enabled: Bool = true,
                  interval: Int = 30, loginCheck: String = "external") -> OAConnectorSettings
    {
        OAConnectorSettings(baseURL: baseURL, secret: secret, enabled: enabled, intervalMinutes: interval, loginCheck: loginCheck)
    }

    @Test func settingsAreValidatedFieldByField() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let cases: [(OAConnectorSettings, String)] = [
            (settings(baseURL: "oa.example.com"), "baseURL"),
            (settings(baseURL: "https://oa.example.com/#x"), "baseURL"),
            (settings(secret: nil), "secret"),
            (settings(secret: "  "), "secret"),
            (settings(secret: "a\nb"), "secret"),
            (settings(secret: String(repeating: "x", count: 513)), "secret"),
            (settings(interval: 4), "intervalMinutes"),
            (settings(interval: 1441), "intervalMinutes"),
            (settings(loginCheck: "ldap"), "loginCheck"),
        ]
        for (input, field) in cases {
            do {
                try await database.oaConnectors.saveOAConnector(tenantId: tenant, input, by: actor)
                Issue.record("accepted a wrong \(field)")
            } catch let YunqiaoDatabase.StoreError.invalid(found, _) {
                #expect(found == field)
            }
        }
        #expect(try await database.oaConnectors.oaConnector(tenantId: tenant) == nil)
        #expect(try await database.admins.auditLog(tenantId: tenant).isEmpty)
    }

    @Test func theSecretIsSealedKeptOnEditAndMaskedInTheAudit() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let created = try await database.oaConnectors.saveOAConnector(tenantId: tenant, settings(), by: actor)
        #expect(created.baseURL == "https://oa.example.com/api" && created.loginCheck == .external && created.updatedBy == "alice")
        #expect(!created.sealedSecret.contains("connector-secret"))
        #expect(try database.oaConnectors.secret(of: created) == "connector-secret-1234" && database.oaConnectors.secretMask(of: created) == "••••••••1234")

        // The same settings again: nothing written.
        _ = try await database.oaConnectors.saveOAConnector(tenantId: tenant, settings(secret: nil), by: AuditActor("bob"))
        #expect(try await database.admins.auditLog(tenantId: tenant).count == 1)

        let edited = try await database.oaConnectors.saveOAConnector(tenantId: tenant, settings(secret: "", interval: 1440, loginCheck: "embedded"), by: actor)
        #expect(try database.oaConnectors.secret(of: edited) == "connector-secret-1234" && edited.intervalMinutes == 1440)
        let rotated = try await database.oaConnectors.saveOAConnector(tenantId: tenant, settings(secret: "rotated-secret-5678", interval: 5), by: actor)
        #expect(try database.oaConnectors.secret(of: rotated) == "rotated-secret-5678")

        let log = try await database.admins.auditLog(tenantId: tenant)
        #expect(log.map(\.action) == ["oaConnector.update", "oaConnector.update", "oaConnector.create"])
        #expect(log[0].before?.contains("••••••••1234") == true && log[0].after?.contains("••••••••5678") == true)
        let text = log.map { "\($0.before ?? "") \($0.after ?? "")" }.joined()
        #expect(!text.contains("connector-secret") && !text.contains("rotated-secret"))
    }

    @Test func oneRunningRunPerTenant() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let other = try #require(try await database.integration.tenant(named: "other").id)
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            try await database.oaConnectors.startOAConnectorRun(tenantId: tenant, source: .manual, by: actor)
        }
        try await database.oaConnectors.saveOAConnector(tenantId: tenant, settings(), by: actor)
        try await database.oaConnectors.saveOAConnector(tenantId: other, settings(enabled: false), by: actor)
        #expect(try await database.oaConnectors.enabledOAConnectors().map(\.tenantId) == [tenant])
        #expect(try await database.oaConnectors.lastOAConnectorRunStart(tenantId: tenant) == nil)

        let (first, started) = try await database.oaConnectors.startOAConnectorRun(tenantId: tenant, source: .schedule, by: AuditActor("schedule"))
        #expect(started && first.status == .running)
        let (again, startedAgain) = try await database.oaConnectors.startOAConnectorRun(tenantId: tenant, source: .manual, by: actor)
        #expect(!startedAgain && again.id == first.id)
        let (theirs, theirsStarted) = try await database.oaConnectors.startOAConnectorRun(tenantId: other, source: .manual, by: actor)
        #expect(theirsStarted && theirs.id != first.id)
        // Only the manual start that started is audited.
        #expect(try await database.admins.auditLog(tenantId: tenant, filter: AuditFilter(action: "oaConnector.run")).isEmpty)
        #expect(try await database.admins.auditLog(tenantId: other, filter: AuditFilter(action: "oaConnector.run")).count == 1)

        var outcome = OAConnectorRunOutcome(status: .failed)
        outcome.pagesFetched = 3
        outcome.error = "30 items have errors"
        outcome.itemErrors = (0..<30).map { OAConnectorItemError(list: "users", index: $0, field: "email", message: "not an email address") }
        let finished = try await database.oaConnectors.finishOAConnectorRun(first, outcome)
        #expect(finished.status == .failed && finished.finishedAt != nil && finished.pagesFetched == 3)
        let firstId = try #require(first.id)
        let stored = try #require(try await database.oaConnectors.oaConnectorRun(tenantId: tenant, id: firstId))
        #expect(stored.decodedItemErrors.count == OAConnectorRepository.itemErrorLimit)
        #expect(stored.decodedItemErrors.first?.description == "users[0].email: not an email address")
        #expect(try await database.oaConnectors.oaConnectorRun(tenantId: other, id: firstId) == nil)
        let last = try #require(try await database.oaConnectors.lastOAConnectorRunStart(tenantId: tenant))
        #expect(abs(last.timeIntervalSince(first.startedAt)) < 0.002)

        // A new run may start now; runs left running by a dead process are failed at startup.
        #expect(try await database.oaConnectors.startOAConnectorRun(tenantId: tenant, source: .manual, by: actor).started)
        #expect(try await database.oaConnectors.failAbandonedOAConnectorRuns() == 2)
        #expect(try await database.oaConnectors.oaConnectorRuns(tenantId: tenant).map(\.status) == [.failed, .failed])
        #expect(try await database.oaConnectors.oaConnectorRuns(tenantId: tenant).first?.error == "the server stopped during the run")
    }
}
