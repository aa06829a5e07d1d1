import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoStore
@testable import YunqiaoServices

/// The directory syncs' schedules against the emulator (issue #14, 定时设置): a due schedule fires once per slot,
/// also after a restart and with two schedulers looking; mode 1 starts a sync run; mode 3 plans a run that the runner
/// applies; a run under way or parked makes the next firing skip.
@Suite(.timeLimit(.minutes(2)))
struct SyncSchedulerTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Parts {
        let coordinator: SyncCoordinator
        let runner: OAToFeishuRunner
        let scheduler: SyncScheduler
    }

    static func parts(_ env: SyncEnvironment) -> Parts {
        let clients = FeishuClients(httpClient: .shared, retry: SyncEnvironment.fastRetry, logger: logger)
        let coordinator = SyncCoordinator(sync: FeishuDirectorySync(database: env.database, clients: clients, logger: logger))
        let runner = OAToFeishuRunner(sync: OAToFeishuSync(database: env.database, clients: clients, logger: logger), logger: logger)
        return Parts(coordinator: coordinator, runner: runner,
                     scheduler: SyncScheduler(database: env.database, coordinator: coordinator, oaToFeishu: runner, tick: .milliseconds(20),
                                              logger: logger))
    }

    static func schedule(_ env: SyncEnvironment, _ direction: SyncDirection) async throws -> SyncScheduleRecord {
        let tenantId = try await env.database.integration.tenant().id ?? 0
        return try #require(try await env.database.schedules.syncSchedules(tenantId: tenantId, enterpriseId: env.enterprise.id ?? 0)[direction])
    }

    static func waitFor(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<300 where !(try await condition()) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await condition())
    }

    @Test func aDueScheduleFiresOncePerSlotAlsoAfterARestart() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let tenantId = try await env.database.integration.tenant().id ?? 0
            let enterpriseId = env.enterprise.id ?? 0
            let saved = Date(timeIntervalSinceNow: -7200)
            try await env.database.schedules.setSyncSchedule(tenantId: tenantId, enterpriseId: enterpriseId, direction: .fromFeishu,
                                                             SyncSchedule(enabled: true, everyMinutes: 60, cron: nil), by: .cli, at: saved)
            let parts = Self.parts(env)
            let coordinator = Task { try await parts.coordinator.run() }
            defer { coordinator.cancel() }

            await parts.scheduler.fireDue(now: saved.addingTimeInterval(59 * 60))
            #expect(try await Self.schedule(env, .fromFeishu).fires == 0)
            let slot = saved.addingTimeInterval(61 * 60)
            await parts.scheduler.fireDue(now: slot)
            var fired = try await Self.schedule(env, .fromFeishu)
            #expect(fired.fires == 1)
            #expect(fired.lastOutcome == .started)
            let runId = try #require(fired.lastRunId)
            try await Self.waitFor { try await env.database.mirror.syncRuns(enterpriseId: enterpriseId, limit: 5).first { $0.id == runId }?.status == "succeeded" }

            // The same slot again, and a second process (a restart) looking a minute later: nothing more.
            await parts.scheduler.fireDue(now: slot)
            let restarted = Self.parts(env)
            await restarted.scheduler.fireDue(now: slot.addingTimeInterval(60))
            fired = try await Self.schedule(env, .fromFeishu)
            #expect(fired.fires == 1)
            // (The store keeps milliseconds.)
            #expect(abs((fired.nextFire ?? .distantPast).timeIntervalSince(slot.addingTimeInterval(3600))) < 0.01)
            #expect(try await env.database.mirror.syncRuns(enterpriseId: enterpriseId, limit: 10).count == 1)

            // Two schedulers looking at the next slot together: one firing.
            let next = slot.addingTimeInterval(3601)
            async let first: Void = parts.scheduler.fireDue(now: next)
            async let second: Void = restarted.scheduler.fireDue(now: next)
            _ = await (first, second)
            #expect(try await Self.schedule(env, .fromFeishu).fires == 2)
        }
    }

    @Test func aScheduledRunToFeishuIsAppliedAndAParkedRunMakesTheNextSkip() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await OAToFeishuSyncTests.prepareMounted(env)
            let saved = Date(timeIntervalSinceNow: -3600)
            try await env.database.schedules.setSyncSchedule(tenantId: tenantId, enterpriseId: enterpriseId, direction: .toFeishu,
                                                             SyncSchedule(enabled: true, everyMinutes: nil, cron: "*/5 * * * *"), by: .cli, at: saved)
            let parts = Self.parts(env)
            let services = [Task { try await parts.coordinator.run() }, Task { try await parts.runner.run() },
                            Task { try await parts.scheduler.run() }]
            defer { services.forEach { $0.cancel() } }

            await parts.scheduler.fireDue(now: Date())
            try await Self.waitFor { try await Self.schedule(env, .toFeishu).lastOutcome == .started }
            let runId = try #require(try await Self.schedule(env, .toFeishu).lastRunId)
            try await Self.waitFor { try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: runId).status == .applied }
            #expect(try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: runId).createdBy == "schedule")
            #expect(try await env.admin.user("lisi", userIDType: .userID).name == "李四")

            // A run waiting for approval: the next slot starts nothing and says why.
            let applied = try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: runId)
            let parked = try await env.database.oaToFeishu.createOAToFeishuRun(
                OAToFeishuRunRecord(tenantId: tenantId, enterpriseId: enterpriseId, status: .parked, plan: applied.plan, createdBy: "cli",
                                    createdAt: Date()), by: .cli)
            await parts.scheduler.fireDue(now: Date().addingTimeInterval(600))
            let skipped = try await Self.schedule(env, .toFeishu)
            #expect(skipped.fires == 2)
            #expect(skipped.lastOutcome == .skipped)
            #expect(skipped.lastNote?.description == "OA → Feishu run \(parked.id ?? 0) awaits approval")
            #expect(try await env.database.oaToFeishu.oaToFeishuRuns(enterpriseId: enterpriseId, limit: 10).count == 2)
        }
    }

    @Test func aReadOnlyEnterpriseFailsItsScheduledRunToFeishuSayingWhy() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await OAToFeishuSyncTests.prepare(env, writable: false)
            try await env.database.schedules.setSyncSchedule(tenantId: tenantId, enterpriseId: enterpriseId, direction: .toFeishu,
                                                             SyncSchedule(enabled: true, everyMinutes: 5, cron: nil), by: .cli,
                                                             at: Date(timeIntervalSinceNow: -600))
            let parts = Self.parts(env)
            let scheduler = Task { try await parts.scheduler.run() }
            defer { scheduler.cancel() }
            await parts.scheduler.fireDue(now: Date())
            try await Self.waitFor { try await Self.schedule(env, .toFeishu).lastOutcome == .failed }
            #expect(try await Self.schedule(env, .toFeishu).lastNote?.key.hasPrefix("the interface permission is read-only") == true)
            #expect(try await env.database.oaToFeishu.oaToFeishuRuns(enterpriseId: enterpriseId, limit: 10).isEmpty)
        }
    }
}
