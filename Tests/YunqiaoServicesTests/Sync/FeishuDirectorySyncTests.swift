import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import NIOHTTP1
import GRDB
import Foundation
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

@Suite(.timeLimit(.minutes(2)))
struct FeishuDirectorySyncTests {
    @Test func firstSyncMirrorsTheWholeTree() async throws {
        try await SyncEnvironment.with(standardFixture()) { env in
            let report = try await env.run()
            #expect(report.status == .succeeded)
            #expect(report.departments.created == 6)
            #expect(report.users.created == 126)
            let mirror = try await env.mirror()
            #expect(mirror.departments.count == 6)
            #expect(mirror.users.count == 126)

            // The five-level chain keeps its parents.
            let d4 = try await env.openDepartmentID("D4")
            let d3 = try await env.openDepartmentID("D3")
            #expect(mirror.departments[d4]?.parentOpenDepartmentID == d3)
            #expect(mirror.departments[d4]?.departmentID == "D4")
            let d1 = try await env.openDepartmentID("D1")
            #expect(mirror.departments[d1]?.parentOpenDepartmentID == "0")

            // All three ids are kept; a user in three departments keeps all three, primary first.
            let multi = try #require(mirror.users.values.first { $0.userID == "multi" })
            #expect(multi.openID?.hasPrefix("ou_") == true)
            #expect(multi.unionID.hasPrefix("on_"))
            #expect(multi.employeeNo == "E-MULTI")
            let expected = try await [env.openDepartmentID("D1"), env.openDepartmentID("D3"), env.openDepartmentID("D5")]
            #expect(multi.departmentIDs == expected)
            let deep = try #require(mirror.users.values.first { $0.userID == "deep" })
            #expect(deep.leaderOpenID == multi.openID)

            // Root members are there, directly under "0".
            let rootMembers = mirror.users.values.filter { $0.departmentIDs == ["0"] }.compactMap(\.userID).sorted()
            #expect(rootMembers == ["root1", "root2"])

            // The department of 120 needed three pages of find_by_department.
            let d5 = try await env.openDepartmentID("D5")
            #expect(try await env.database.mirror.users(inDepartment: d5, enterpriseId: env.enterprise.id ?? 0).count == 121)
            #expect(report.apiCalls["GET /open-apis/contact/v3/users/find_by_department"] == 1 + 6 + 2)
        }
    }

    @Test func secondRunWithNoChangeWritesNothing() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 10)) { env in
            _ = try await env.run()
            let lastWrite = "SELECT max(updatedAt) FROM (SELECT updatedAt FROM feishuUser UNION ALL SELECT updatedAt FROM feishuDepartment)"
            let before = try await env.database.reader.read { db in try String.fetchOne(db, sql: lastWrite) }
            try await Task.sleep(for: .milliseconds(20))
            let second = try await env.run()
            #expect(second.status == .succeeded)
            #expect(second.departments.created + second.departments.updated + second.departments.deleted == 0)
            #expect(second.users.created + second.users.updated + second.users.deleted == 0)
            #expect(second.users.seen == 16)
            let runs = try await env.database.mirror.syncRuns(enterpriseId: env.enterprise.id ?? 0)
            #expect(runs.count == 2)
            #expect(runs.first?.decodedReport == second)
            let after = try await env.database.reader.read { db in try String.fetchOne(db, sql: lastWrite) }
            #expect(before != nil)
            #expect(after == before)
        }
    }

    @Test func movesRenamesAndDeletionsReachTheMirror() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 5)) { env in
            _ = try await env.run()
            let mover = try await env.openID("mover")
            let leaver = try await env.openID("leaver")
            let d2 = try await env.openDepartmentID("D2")
            let d6 = try await env.openDepartmentID("D6")
            let users = "/open-apis/contact/v3/users"
            try await env.write(.PATCH, "\(users)/\(mover)", api: "PATCH \(users)/:user_id", body: #"{"department_ids":["\#(d6)"]}"#)
            try await env.write(.DELETE, "\(users)/\(leaver)", api: "DELETE \(users)/:user_id")
            let departments = "/open-apis/contact/v3/departments"
            try await env.write(.PATCH, "\(departments)/\(d2)", api: "PATCH \(departments)/:department_id", body: #"{"name":"研发与创新中心"}"#)

            let report = try await env.run()
            #expect(report.status == .succeeded)
            #expect(report.users.moved == 1)
            #expect(report.users.deleted == 1)
            #expect(report.departments.updated == 1)
            #expect(report.departments.moved == 0)

            let mirror = try await env.mirror()
            #expect(mirror.users.values.first { $0.openID == mover }?.departmentIDs == [d6])
            #expect(mirror.users.values.first { $0.openID == leaver } == nil)
            #expect(mirror.departments[d2]?.name == "研发与创新中心")
            // The leaver is marked deleted with a time, not dropped.
            let deleted = try await env.database.mirror.deletedAt(enterpriseId: env.enterprise.id ?? 0)
            #expect(deleted.users.count == 1)
        }
    }

    @Test func departmentMovedAndDeleted() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 0)) { env in
            _ = try await env.run()
            let d4 = try await env.openDepartmentID("D4")
            let d6 = try await env.openDepartmentID("D6")
            let d5 = try await env.openDepartmentID("D5")
            let departments = "/open-apis/contact/v3/departments"
            try await env.write(.PATCH, "\(departments)/\(d4)", api: "PATCH \(departments)/:department_id",
                                body: #"{"parent_department_id":"\#(d5)"}"#)
            try await env.write(.DELETE, "\(departments)/\(d6)", api: "DELETE \(departments)/:department_id")
            let report = try await env.run()
            #expect(report.departments.moved == 1)
            #expect(report.departments.deleted == 1)
            let mirror = try await env.mirror()
            #expect(mirror.departments[d4]?.parentOpenDepartmentID == d5)
            #expect(mirror.departments[d6] == nil)
        }
    }

    @Test func injected429sAnd5xxStillGiveTheRightMirror() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 60)) { env in
            var faults = EmulatorFaults()
            faults.errorRate = 0.3
            faults.errorKind = .mixed
            faults.rateLimitBurst = 2
            await env.emulator.state.setFaults(faults)
            let report = try await env.run()
            #expect(report.status == .succeeded)
            #expect(report.api.rateLimitWaits >= 2)
            #expect(report.api.retries > 2)
            let mirror = try await env.mirror()
            #expect(mirror.users.count == 66)
            #expect(mirror.departments.count == 6)
            let counters = await env.emulator.state.snapshot()["counters"]
            #expect((counters?["faults"]?.objectValue?.values.compactMap(\.intValue).reduce(0, +) ?? 0) > 0)
        }
    }

    @Test func tokenExpiredMidRunIsRefreshed() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 60), latency: .milliseconds(15)) { env in
            let report = try await withThrowingTaskGroup(of: SyncReport?.self) { group in
                group.addTask { try await env.run() }
                group.addTask {
                    while await env.emulator.state.totalCalls < 4 { try await Task.sleep(for: .milliseconds(5)) }
                    await env.emulator.state.expireAllTokens()
                    return nil
                }
                var result: SyncReport?
                for try await value in group { if let value { result = value } }
                return try #require(result)
            }
            #expect(report.status == .succeeded)
            #expect(report.api.tokenRefreshes >= 1)
            #expect(try await env.mirror().users.count == 66)
        }
    }

    @Test func missingOptionalFieldsDoNotFailThePage() async throws {
        let app = EmulatorConfiguration.App(appID: "cli_noscope", appSecret: "s",
                                            withheldFields: ["status", "mobile", "email", "user_id", "employee_no", "job_title"])
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3), apps: [app, SyncEnvironment.app]) { env in
            let report = try await env.run()
            #expect(report.status == .succeeded)
            let mirror = try await env.mirror()
            #expect(mirror.users.count == 9)
            #expect(mirror.users.values.allSatisfy { $0.status == nil && $0.mobile == nil && $0.userID == nil })
        }
    }

    @Test func limitedScopeReadsOnlyItsScope() async throws {
        let limited = EmulatorConfiguration.App(appID: "cli_limited", appSecret: "s", scope: .limited(departments: ["D5"], users: ["root1"]))
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 2), apps: [limited, SyncEnvironment.app]) { env in
            let report = try await env.run()
            #expect(report.status == .succeeded)
            let mirror = try await env.mirror()
            // D5 and its child D6; users of D5 (two big*, multi) and root1 from the scope's user list.
            #expect(mirror.departments.count == 2)
            #expect(Set(mirror.users.values.compactMap(\.userID)) == ["big0", "big1", "multi", "root1"])
        }
    }

    @Test func scopeShrinkKeepsWhatLeftTheScope() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 2)) { env in
            _ = try await env.run()
            #expect(try await env.mirror().users.count == 8)
            // The admin narrows the app's contact scope to D5: the rest is reported as out of scope and kept.
            await env.emulator.state.setScope(appID: SyncEnvironment.app.appID, .limited(departments: ["D5"], users: []))
            let report = try await env.run()
            #expect(report.status == .succeeded)
            #expect(report.users.outOfScope == 5)
            #expect(report.users.deleted == 0)
            #expect(report.departments.outOfScope == 4)
            #expect(report.departments.deleted == 0)
            let mirror = try await env.mirror()
            #expect(mirror.users.count == 8)
            #expect(mirror.departments.count == 6)
        }
    }

    @Test func failedRunLeavesTheMirrorIntact() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 5)) { env in
            _ = try await env.run()
            let before = try await env.mirror()
            var faults = EmulatorFaults()
            faults.errorRate = 1
            faults.errorKind = .internalCode
            faults.errorAPIs = ["GET /open-apis/contact/v3/users/find_by_department"]
            await env.emulator.state.setFaults(faults)
            let sync = FeishuDirectorySync(database: env.database, httpClient: .shared,
                                           retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
                                           logger: env.sync.logger)
            let report = try await sync.run(enterprise: env.enterprise)
            #expect(report.status == .failed)
            #expect(report.error?.contains("find_by_department") == true)
            let after = try await env.mirror()
            #expect(after.users == before.users)
            #expect(after.departments == before.departments)
            let runs = try await env.database.mirror.syncRuns(enterpriseId: env.enterprise.id ?? 0)
            #expect(runs.first?.status == "failed")
        }
    }

    @Test func wrongSecretFailsWithAClearReason() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 0)) { env in
            let tenant = try await env.database.integration.tenant()
            let other = try await env.database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "密钥错误", brand: "feishu",
                                                                            baseURL: env.emulator.baseURL)
            _ = try await env.database.integration.addApp(enterpriseId: other.id ?? 0, name: "x", appID: SyncEnvironment.app.appID, appSecret: "wrong")
            let report = try await env.sync.run(enterprise: other)
            #expect(report.status == .failed)
            #expect(report.error?.contains("10003") == true)
            #expect(try await env.database.mirror.directory(enterpriseId: other.id ?? 0).users.isEmpty)
        }
    }
}
