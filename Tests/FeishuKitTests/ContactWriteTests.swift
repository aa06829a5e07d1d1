import AsyncHTTPClient
import FeishuEmulator
import Foundation
import Logging
import Testing
import YunqiaoCore

@testable import FeishuKit

/// FeishuKit's contact writes against the emulator (issue #14, "Apply"): idempotent creates by `client_token`,
/// Feishu's refusals as `FeishuAPIError`s with their code, and the 1-per-second rule for department and frozen
/// changes kept by the client (the emulator, with its limits on, refuses a second such patch in one second).
@Suite(.timeLimit(.minutes(1)))
struct ContactWriteTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func client(_ emulator: RunningEmulator) -> FeishuClient {
        let app = EmulatorConfiguration.defaultApp
        return FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                            httpClient: .shared, retry: RetryPolicy(maxAttempts: 1), logger: quiet)
    }

    static func code(_ body: () async throws -> Void) async -> Int? {
        do { try await body() } catch let error as FeishuAPIError { return error.code } catch { return -1 }
        return nil
    }

    @Test func departmentsAreCreatedOnceRenamedMovedAndDeletedWhenEmpty() async throws {
        try await Emulator.withRunning(EmulatorConfiguration()) { emulator in
            let feishu = Self.client(emulator)
            let token = UUID().uuidString
            let parent = try await feishu.createDepartment(name: "云桥测试部", parent: "0", clientToken: token)
            let again = try await feishu.createDepartment(name: "云桥测试部", parent: "0", clientToken: token)
            #expect(again.openDepartmentID == parent.openDepartmentID)
            let child = try await feishu.createDepartment(name: "子部门", parent: parent.openDepartmentID, clientToken: UUID().uuidString)
            #expect(child.parentDepartmentID == parent.openDepartmentID)
            // A sibling of the same name is refused with Feishu's code.
            #expect(await Self.code { _ = try await feishu.createDepartment(name: "子部门", parent: parent.openDepartmentID,
                                                                             clientToken: UUID().uuidString) } == 40153)
            let renamed = try await feishu.patchDepartment(child.openDepartmentID, name: "改名的子部门", parent: "0")
            #expect(renamed.name == "改名的子部门" && renamed.parentDepartmentID == "0")
            // With a member it cannot go.
            let member = try await feishu.createUser(.init(name: "测试成员", mobile: "+8613912340001",
                                                           departmentIDs: [parent.openDepartmentID]), clientToken: UUID().uuidString)
            #expect(await Self.code { try await feishu.deleteDepartment(parent.openDepartmentID) } == 40159)
            try await feishu.deleteUser(try #require(member.openID))
            try await feishu.deleteDepartment(parent.openDepartmentID)
            try await feishu.deleteDepartment(child.openDepartmentID)
            #expect(await Self.code { _ = try await feishu.department(parent.openDepartmentID) } != nil)
        }
    }

    @Test func usersAreCreatedOnceChangedFrozenAndDeleted() async throws {
        try await Emulator.withRunning(EmulatorConfiguration()) { emulator in
            let feishu = Self.client(emulator)
            let token = UUID().uuidString
            let fields = FeishuClient.UserFields(name: "王测试", mobile: "+8613912340002", email: "wang.test@example.com",
                                                 employeeNo: "T0002", jobTitle: "工程师", departmentIDs: ["0"], userID: "wang.test")
            let user = try await feishu.createUser(fields, clientToken: token)
            let again = try await feishu.createUser(fields, clientToken: token)
            #expect(again.openID == user.openID && user.userID == "wang.test" && user.jobTitle == "工程师")
            // The same mobile under another token is Feishu's "mobile exists".
            var sameMobile = fields
            sameMobile.userID = "wang.other"
            sameMobile.email = nil
            #expect(await Self.code { _ = try await feishu.createUser(sameMobile, clientToken: UUID().uuidString) } == 40101)
            let openID = try #require(user.openID)
            let changed = try await feishu.patchUser(openID, .init(jobTitle: "架构师"))
            #expect(changed.jobTitle == "架构师" && changed.name == "王测试")
            let frozen = try await feishu.patchUser(openID, .init(isFrozen: true))
            #expect(frozen.status?.isFrozen == true)
            try await feishu.deleteUser(openID)
            #expect(try await feishu.user(openID).status?.isResigned == true)
        }
    }

    @Test func departmentAndFrozenChangesKeepOnePerSecond() async throws {
        try await Emulator.withRunning(EmulatorConfiguration()) { emulator in
            // Two attempts: under a loaded machine a request may reach the emulator late, into the next one's window;
            // the pacing is what is checked (at most one such refusal, every patch done), not the machine's scheduler.
            let app = EmulatorConfiguration.defaultApp
            let feishu = FeishuClient(baseURL: emulator.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                                      httpClient: .shared, retry: RetryPolicy(maxAttempts: 2), logger: Self.quiet)
            var ids: [String] = []
            for index in 0..<3 {
                let user = try await feishu.createUser(.init(name: "限速\(index)", mobile: "+861391234010\(index)", departmentIDs: ["0"]),
                                                       clientToken: UUID().uuidString)
                ids.append(try #require(user.openID))
            }
            // Three moves at once: the client spaces them one per second, so the emulator (limits on) refuses at most one
            // that arrived late.
            try await withThrowingTaskGroup(of: FeishuUser.self) { group in
                for id in ids { group.addTask { try await feishu.patchUser(id, .init(isFrozen: true)) } }
                for try await user in group { #expect(user.status?.isFrozen == true) }
            }
            let limited = await emulator.state.snapshot()["counters"]?["rate_limited"]?[FeishuRequestName.userPatch]?.intValue ?? 0
            #expect(limited <= 1)
        }
    }
}

/// The emulator's name of the user patch API.
private enum FeishuRequestName {
    static let userPatch = "PATCH /open-apis/contact/v3/users/:user_id"
}
