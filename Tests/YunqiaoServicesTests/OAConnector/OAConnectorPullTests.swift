import AsyncHTTPClient
import Foundation
import Logging
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The OA pull connector against the test OA: paging, replace semantics, all-or-nothing, faults, the schedule.
@Suite(.timeLimit(.minutes(1)))
struct OAConnectorPullTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A store with tenant `default` (and `other`), the connector of `default` pointing at `oa`, and a puller that
    /// asks `pageSize` items per page.
    struct Setup: Sendable {
        let database: YunqiaoDatabase
        let tenantId: Int64
        let otherTenantId: Int64
        let puller: OAConnectorPuller

        /// Starts and finishes a manual run.
        func pull() async throws -> OAConnectorRunRecord {
            let (run, started) = try await database.oaConnectors.startOAConnectorRun(tenantId: tenantId, source: .manual, by: AuditActor("admin"))
            #expect(started)
            return await puller.finish(run)
        }

        func users() async throws -> [String: OAUserRecord] {
            Dictionary(uniqueKeysWithValues: try await database.oaDirectory.oaUsers(tenantId: tenantId, limit: 500).users.map { ($0.oaID, $0) })
        }

        func departments() async throws -> [String: OADepartmentRecord] {
            Dictionary(uniqueKeysWithValues: try await database.oaDirectory.oaDepartments(tenantId: tenantId).map { ($0.oaID, $0) })
        }
    }

    static func setUp(_ oa: RunningTestOA, pageSize: Int = 2, timeout: Duration = .seconds(10), maxResponseBytes: Int = 1 << 20,
                      secret: String = TestOAState.secret) async throws -> Setup
    {
        let database = try YunqiaoDatabase.inMemory()
        let tenantId = try #require(try await database.integration.tenant(named: "default").id)
        let otherTenantId = try #require(try await database.integration.tenant(named: "other").id)
        try await database.oaConnectors.saveOAConnector(tenantId: tenantId, OAConnectorSettings(baseURL: oa.baseURL, secret: secret, enabled: true,
                                                                                                intervalMinutes: 5, loginCheck: "embedded"),
                                           by: AuditActor("admin"))
        let limits = OAConnectorPuller.Limits(pageSize: pageSize, maxPages: 50, timeout: timeout, maxResponseBytes: maxResponseBytes)
        return Setup(database: database, tenantId: tenantId, otherTenantId: otherTenantId,
                     puller: OAConnectorPuller(database: database, httpClient: .shared, limits: limits, logger: logger))
    }

    @Test func fullPullOverSeveralPages() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa, pageSize: 2)
            let run = try await setup.pull()
            #expect(run.status == .succeeded, "\(run.error ?? "")")
            // 4 departments in 2 pages, 5 users in 3 pages.
            #expect(run.pagesFetched == 5)
            #expect(run.departmentsFetched == 4 && run.usersFetched == 5)
            #expect(run.createdCount == 9 && run.updatedCount == 0 && run.leftCount == 0 && run.deletedCount == 0)
            #expect(run.finishedAt != nil && run.error == nil)
            let users = await oa.state.requests(to: "/oa/users")
            #expect(users == ["GET /oa/users?page_size=2", "GET /oa/users?page_size=2&page_token=p2", "GET /oa/users?page_size=2&page_token=p4"])

            let departments = try await setup.departments()
            #expect(departments["D2"]?.parentOaID == "D1" && departments["D1"]?.parentOaID == nil)
            #expect(departments["D1"]?.sortOrder == 1 && departments["D4"]?.subcompanyOaID == "S1")
            let stored = try await setup.users()
            #expect(stored.count == 5)
            #expect(stored["1001"]?.loginID == "zhangsan" && stored["1001"]?.email == "zhangsan@example.com")
            #expect(stored["1001"]?.mobile == "13800001001" && stored["1001"]?.employeeNo == "E1001" && stored["1001"]?.title == "工程师")
            #expect(stored["1002"]?.departmentOaIDs == #"["D3","D4"]"#)
            #expect(stored["1005"]?.status == "left" && stored["1003"]?.status == "active")

            // The import is audited under the connector; a second pull changes nothing.
            let audit = try await setup.database.admins.auditLog(tenantId: setup.tenantId, filter: AuditFilter(action: "oaDirectory.import"))
            #expect(audit.first?.actor == "oa-connector")
            let again = try await setup.pull()
            #expect(again.status == .succeeded && again.unchangedCount == 9 && again.createdCount == 0 && again.updatedCount == 0)
            // The other tenant has nothing.
            #expect(try await setup.database.oaDirectory.oaDepartments(tenantId: setup.otherTenantId).isEmpty)
        }
    }

    /// The OA answers only part of its users (a broken page, a timeout dressed as an empty page): past the threshold
    /// the pull applies nothing, says so, and parks the change; an admin who applies it gets exactly that change.
    @Test func aPartialAnswerIsParkedAndNobodyLeavesUntilAnAdminApplies() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            #expect(try await setup.pull().status == .succeeded)
            await oa.state.set(departments: TestOAState.standardDepartments, users: [TestOAState.standardUsers[0]])
            let run = try await setup.pull()
            #expect(run.status == .parked, "\(run.error ?? "")")
            #expect(run.error?.contains("3 of 4 users would leave") == true, "\(run.error ?? "")")
            #expect(run.leftCount == 0)
            #expect(try await setup.users().values.filter { $0.status == "active" }.count == 4)
            let parked = try #require(try await setup.database.oaDirectory.parkedChanges(tenantId: setup.tenantId, limit: 10).first)
            #expect(parked.state == .pending && parked.source == .pull && parked.leavingUsers == 3 && parked.activeUsers == 4)

            // A second partial pull replaces the parked change rather than piling up.
            #expect(try await setup.pull().status == .parked)
            let changes = try await setup.database.oaDirectory.parkedChanges(tenantId: setup.tenantId, limit: 10)
            #expect(changes.map(\.state) == [.pending, .superseded])

            let applied = try await setup.database.oaDirectory.applyParkedChange(tenantId: setup.tenantId, id: try #require(changes[0].id),
                                                                                 by: AuditActor("admin"), at: Date())
            #expect(applied.left == 3 && applied.parked == nil)
            #expect(try await setup.users().values.filter { $0.status == "active" }.count == 1)
            let audit = try await setup.database.admins.auditLog(tenantId: setup.tenantId, filter: AuditFilter(action: "oaDirectory.parked"))
            #expect(audit.map(\.action).sorted() == ["oaDirectory.parked", "oaDirectory.parked", "oaDirectory.parked.apply"])
        }
    }

    @Test func replaceMarksMissingUsersLeftAndDeletesMissingDepartments() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            #expect(try await setup.pull().status == .succeeded)
            // A password set in the bridge survives pulls.
            try await setup.database.oaDirectory.setOAUserPassword(tenantId: setup.tenantId, oaID: "1003", passwordHash: "hash", by: AuditActor("admin"))

            // 王五 (1003) and 平台组 (D3) disappear; 李四 moves to D2; 赵六 is renamed. One user of five and one department
            // of four leaving is 20 % / 25 %: the admin of this small OA allows 25 % (the default 10 % would park it).
            try await setup.database.oaDirectory.setDecreaseThreshold(tenantId: setup.tenantId, DecreaseThreshold(maxPercent: 25, maxCount: 500),
                                                                     by: AuditActor("admin"))
            let departments = TestOAState.standardDepartments
            await oa.state.set(departments: [departments[0], departments[1], departments[3]],
                               users: [
                                   TestOAState.standardUsers[0],
                                   TestOAState.user("1002", "lisi", "李四", "D2"),
                                   TestOAState.user("1004", "zhaoliu", "赵六六", "D1"),
                                   TestOAState.standardUsers[4],
                               ])
            let run = try await setup.pull()
            #expect(run.status == .succeeded, "\(run.error ?? "")")
            #expect(run.leftCount == 1 && run.deletedCount == 1)
            #expect(run.updatedCount == 2 && run.unchangedCount == 5 && run.createdCount == 0)
            let users = try await setup.users()
            #expect(users["1003"]?.status == "left" && users["1003"]?.passwordHash == "hash")
            #expect(users["1002"]?.departmentOaIDs == #"["D2"]"# && users["1004"]?.name == "赵六六")
            #expect(try await setup.departments()["D3"] == nil)
        }
    }

    @Test func aBadItemFailsTheRunAndAppliesNothing() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            #expect(try await setup.pull().status == .succeeded)
            let before = try await setup.users()

            await oa.state.set(departments: TestOAState.standardDepartments + [TestOAState.department("D9", "孤儿", parent: "D404")],
                               users: TestOAState.standardUsers.map { $0.replacingOccurrences(of: "赵六", with: "赵六（改）") } + [
                                   TestOAState.user("1006", "sunba", "孙八", "D1", email: "sunba@"),
                                   #"{"oa_id":"1007","login_id":"zhoujiu","name":{"first":"九"},"department_oa_id":"D1"}"#,
                                   TestOAState.user("1008", "wushi", "吴十", "D404"),
                               ])
            let run = try await setup.pull()
            #expect(run.status == .failed)
            let errors = run.decodedItemErrors
            #expect(errors.contains(OAConnectorItemError(list: "departments", index: 4, field: "parent_oa_id",
                                                         message: #"unknown department "D404""#)))
            #expect(errors.contains(OAConnectorItemError(list: "users", index: 5, field: "email", message: #"not an email address: "sunba@""#)))
            #expect(errors.contains(OAConnectorItemError(list: "users", index: 6, field: "name", message: "must be a string")))
            #expect(errors.contains(OAConnectorItemError(list: "users", index: 7, field: "department_oa_id", message: #"unknown department "D404""#)))
            #expect(errors.first?.list == "departments")
            #expect(run.error?.hasPrefix("4 items have errors; nothing was applied. First: departments[4].parent_oa_id") == true,
                    "\(run.error ?? "")")
            // Nothing applied: not the rename, not the new users.
            #expect(try await setup.users() == before)
        }
    }

    @Test(arguments: [
        ("users", 2, "users page 2 (GET /users): the OA answered HTTP 500; nothing was applied"),
        ("departments", 1, "departments page 1 (GET /departments): the OA answered HTTP 500; nothing was applied"),
    ])
    func aFailedPageFailsTheRunAndAppliesNothing(list: String, page: Int, message: String) async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            #expect(try await setup.pull().status == .succeeded)
            let before = try await setup.users()
            await oa.state.set(users: TestOAState.standardUsers.map { $0.replacingOccurrences(of: "张三", with: "张三丰") })
            await oa.state.set(failPage: (list, page, 500))
            let run = try await setup.pull()
            #expect(run.status == .failed)
            #expect(run.error == message)
            #expect(try await setup.users() == before)

            // Malformed JSON is a failed page too.
            await oa.state.set(failPage: nil)
            await oa.state.set(malformedPage: (list, page))
            let malformed = try await setup.pull()
            #expect(malformed.status == .failed)
            #expect(malformed.error?.contains("\(list) page \(page)") == true && malformed.error?.contains("not the contract's JSON") == true,
                    "\(malformed.error ?? "")")
            #expect(try await setup.users() == before)
        }
    }

    @Test func aWrongSecretFailsWithAClearMessage() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa, secret: "not-the-secret")
            let run = try await setup.pull()
            #expect(run.status == .failed)
            #expect(run.error == "departments page 1 (GET /departments): the OA refused the connector secret (HTTP 401): "
                + "check the secret on both sides; nothing was applied")
            #expect(try await setup.users().isEmpty)
        }
    }

    @Test func pagingThatLoopsOrLosesItsTokenIsAnError() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            await oa.state.set(loopingToken: true)
            let looping = try await setup.pull()
            #expect(looping.status == .failed)
            #expect(looping.error == #"departments page 2: page_token "t1" was already used (the OA's paging loops); nothing was applied"#)
            await oa.state.set(missingToken: true)
            let lost = try await setup.pull()
            #expect(lost.status == .failed)
            #expect(lost.error == "departments page 1: has_more is true but page_token is missing; nothing was applied")
            #expect(try await setup.departments().isEmpty)
        }
    }

    @Test func aSlowOrHugeAnswerFails() async throws {
        try await RunningTestOA.with { oa in
            let slow = try await Self.setUp(oa, timeout: .milliseconds(100))
            await oa.state.set(delay: .seconds(30))
            let started = ContinuousClock.now
            let run = try await slow.pull()
            // Cut at the deadline, not after the OA's answer (30 s): with 20 s of room for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(run.status == .failed)
            #expect(run.error == "departments page 1 (GET /departments): no answer from 127.0.0.1 within 100 ms; nothing was applied")

            await oa.state.set(delay: .zero)
            let small = try await Self.setUp(oa, pageSize: 100, maxResponseBytes: 128)
            let huge = try await small.pull()
            #expect(huge.status == .failed)
            #expect(huge.error?.contains("the answer is larger than") == true, "\(huge.error ?? "")")
        }
    }

    @Test func theScheduleRunsEnabledConnectorsAndSurvivesFailures() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            // The other tenant's connector is disabled: never pulled by the schedule.
            try await setup.database.oaConnectors.saveOAConnector(tenantId: setup.otherTenantId,
                                                                  OAConnectorSettings(baseURL: oa.baseURL, secret: "x", enabled: false, intervalMinutes: 5,
                                                                                      loginCheck: "embedded"),
                                                     by: AuditActor("bob"))
            // First the OA fails: the runs fail, the schedule goes on and pulls once the OA is back.
            await oa.state.set(failPage: ("departments", 1, 503))
            // 5 minutes of 10 ms: due every 50 ms, looked for every 10 ms.
            let scheduler = OAConnectorScheduler(puller: setup.puller, timing: .init(tick: .milliseconds(10), minute: .milliseconds(10)),
                                                 clock: ContinuousClock(), logger: Self.logger)
            try await withRunningService(scheduler) {
                try await eventually("a failed scheduled run") {
                    try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.tenantId).contains { $0.status == .failed }
                }
                await oa.state.set(failPage: nil)
                try await eventually("two succeeded scheduled runs") {
                    try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.tenantId).filter { $0.status == .succeeded }.count >= 2
                }
            }
            let runs = try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.tenantId)
            #expect(runs.allSatisfy { $0.source == .schedule && $0.startedBy == "schedule" })
            // One at a time, at least an interval apart.
            let starts = runs.map(\.startedAt).sorted()
            for (earlier, later) in zip(starts, starts.dropFirst()) { #expect(later.timeIntervalSince(earlier) >= 0.049) }
            #expect(try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.otherTenantId).isEmpty)
            #expect(try await setup.users().count == 5)
            // Stopped on shutdown: no run is left running and none starts any more.
            #expect(runs.allSatisfy { $0.status != .running })
            let count = runs.count
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.tenantId).count == count)
        }
    }

    @Test func runNowWhileRunningAnswersTheRunningRunAndShutdownLetsItFinish() async throws {
        try await RunningTestOA.with { oa in
            let setup = try await Self.setUp(oa)
            await oa.state.set(delay: .milliseconds(150))
            let scheduler = OAConnectorScheduler(puller: setup.puller, logger: Self.logger)
            let first = try await withRunningService(scheduler) {
                let first = try await scheduler.runNow(tenantId: setup.tenantId, by: AuditActor("admin"))
                let second = try await scheduler.runNow(tenantId: setup.tenantId, by: AuditActor("admin"))
                #expect(first.started && !second.started)
                #expect(first.run.id == second.run.id)
                #expect(await scheduler.runningTenants == [setup.tenantId])
                return first.run
            }
            // The graceful shutdown waited for the pull.
            let firstId = try #require(first.id)
            let finished = try #require(try await setup.database.oaConnectors.oaConnectorRun(tenantId: setup.tenantId, id: firstId))
            #expect(finished.status == .succeeded, "\(finished.error ?? "")")
            #expect(try await setup.database.oaConnectors.oaConnectorRuns(tenantId: setup.tenantId).count == 1)
            let audit = try await setup.database.admins.auditLog(tenantId: setup.tenantId, filter: AuditFilter(action: "oaConnector.run"))
            #expect(audit.count == 1 && audit.first?.actor == "admin")
        }
    }
}
