import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import GRDB
import Logging
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Contact events end to end (issue #15): the emulator pushes every change of the org to the bridge's event URL,
/// encrypted and signed; the bridge stores each event once and applies it to the mirror, newest state winning.
@Suite(.timeLimit(.minutes(2)))
struct DirectoryEventTests {
    @Test func everyKindOfContactEventReachesTheMirrorWithoutAReadOfTheOrganisation() async throws {
        try await EventEnvironment.with { env in
            let callsBefore = await env.emulator.state.totalCalls
            let d2 = try await env.openDepartmentID("D2")
            // A department created, renamed, then a user created in it, changed, moved, and finally leaving.
            let created = try await env.admin.createDepartment(name: "事件部", parent: d2, clientToken: "dept-1")
            _ = try await env.admin.patchDepartment(created.openDepartmentID, name: "事件一部")
            let user = try await env.admin.createUser(FeishuClient.UserFields(
                name: "新同事", mobile: "+8613911112222", email: "new@example.com", departmentIDs: [created.openDepartmentID],
                userID: "newbie", employeeType: 1), clientToken: "user-1")
            let openID = try required(user.openID)
            let unionID = try required(user.unionID)
            _ = try await env.admin.patchUser(openID, FeishuClient.UserFields(jobTitle: "工程师"))
            let mover = try await env.user("mover")
            _ = try await env.admin.patchUser(try required(mover.openID), FeishuClient.UserFields(departmentIDs: [created.openDepartmentID, d2]))
            let leaver = try await env.user("leaver")
            try await env.admin.deleteUser(try required(leaver.openID))
            let empty = try await env.openDepartmentID("D6")
            try await env.admin.deleteDepartment(empty)
            let writes = await env.emulator.state.totalCalls - callsBefore
            try await env.settle()

            let mirror = try await env.mirror()
            #expect(mirror.departments[created.openDepartmentID]?.name == "事件一部")
            #expect(mirror.departments[created.openDepartmentID]?.parentOpenDepartmentID == d2)
            #expect(mirror.departments[empty] == nil, "the deleted department is marked deleted")
            let newcomer = try required(mirror.users[unionID])
            #expect(newcomer.name == "新同事" && newcomer.jobTitle == "工程师" && newcomer.userID == "newbie")
            #expect(newcomer.departmentIDs == [created.openDepartmentID] && newcomer.openID == openID)
            #expect(mirror.users[try required(mover.unionID)]?.departmentIDs == [created.openDepartmentID, d2])
            #expect(mirror.users[try required(leaver.unionID)] == nil, "the leaver is marked deleted")
            let deleted = try await env.database.mirror.mirrorUser(enterpriseId: env.enterpriseId, id: try required(leaver.unionID))
            #expect(deleted?.deletedAt != nil)
            // Events carry the whole entry: the bridge asked Feishu nothing (the only calls are the admin's writes and
            // their tokens).
            #expect(await env.emulator.state.totalCalls - callsBefore == writes, "no API call by the bridge")

            // A full read finds nothing the events missed.
            let report = try await FeishuDirectorySync(database: env.database, httpClient: .shared, retry: SyncEnvironment.fastRetry,
                                                       logger: .init(label: "q") { _ in SwiftLogNoOpLogHandler() }).run(enterprise: env.enterprise)
            #expect(report.departments.created + report.departments.updated + report.departments.deleted == 0, "\(report)")
            #expect(report.users.created + report.users.updated + report.users.deleted == 0, "\(report)")
            let summary = try await env.database.directoryEvents.channelSummary(appId: env.appId)
            #expect(summary.received == 7 && summary.failed == 0 && summary.lastChannel == "http", "\(summary)")
        }
    }

    @Test func lateAndRepeatedEventsNeverOverwriteANewerState() async throws {
        try await EventEnvironment.with { env in
            // Every event pushed twice: the second copy is answered and not stored again.
            _ = await env.emulator.state.admin("PATCH", "/_emulator/faults", body: ["event_duplicate_rate": 1])
            let root1 = try await env.user("root1")
            let openID = try required(root1.openID), unionID = try required(root1.unionID)
            for title in ["一", "二", "三"] { _ = try await env.admin.patchUser(openID, FeishuClient.UserFields(jobTitle: "职位\(title)")) }
            try await env.settle()
            #expect(try await env.mirror().users[unionID]?.jobTitle == "职位三")
            let counters = await env.pushCounters()
            #expect(counters["duplicated"] == 3 && counters["delivered"] == 6, "\(counters)")
            #expect(try await env.database.directoryEvents.channelSummary(appId: env.appId).received == 3)

            // An older event arriving after the newer one (as a re-push does) changes nothing.
            let stale = try Self.userEvent(env, unionID: unionID, openID: openID, name: "根成员一", jobTitle: "过时职位",
                                           createTime: Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
            let answer = try await Self.push(env, stale)
            #expect(answer.status == 200, "\(answer)")
            try await env.settle()
            #expect(try await env.mirror().users[unionID]?.jobTitle == "职位三")
            let outcomes = try await env.database.reader.read { db in
                try String.fetchAll(db, sql: "SELECT outcome FROM feishuEvent ORDER BY id")
            }
            #expect(outcomes.last == "applied 0, stale 1, parked 0", "\(outcomes)")
        }
    }

    @Test func forgedEventsAreRefusedAndRecordNothing() async throws {
        try await EventEnvironment.with { env in
            let root1 = try await env.user("root1")
            let event = try Self.userEvent(env, unionID: try required(root1.unionID), openID: try required(root1.openID), name: "冒名",
                                           jobTitle: "伪造", createTime: Int64(Date().timeIntervalSince1970 * 1000))
            let plain = Data(event.serialized.utf8)
            let encrypted = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(plain, encryptKey: EventEnvironment.encryptKey))]).serialized.utf8)
            let now = String(Int(Date().timeIntervalSince1970))
            func headers(_ body: Data, timestamp: String = now, key: String = EventEnvironment.encryptKey) -> HTTPFields {
                let signature = CallbackCrypto.signature(timestamp: timestamp, nonce: "n1", encryptKey: key, body: body)
                return [.contentType: "application/json", HTTPField.Name("X-Lark-Request-Timestamp")!: timestamp,
                        HTTPField.Name("X-Lark-Request-Nonce")!: "n1", HTTPField.Name("X-Lark-Signature")!: signature]
            }
            let path = "/feishu/apps/\(env.appId)/events"
            // Unsigned plaintext while the app has an Encrypt Key; a wrong key; an hour-old timestamp; another app id.
            #expect(try await env.post(path, plain).status == 401)
            #expect(try await env.post(path, encrypted, headers(encrypted, key: "wrong")).status == 401)
            let old = String(Int(Date().timeIntervalSince1970) - 3600)
            #expect(try await env.post(path, encrypted, headers(encrypted, timestamp: old)).status == 401)
            #expect(try await env.post("/feishu/apps/9999/events", encrypted, headers(encrypted)).status == 401)
            // A wrong Verification Token inside a correctly signed body.
            var forged = event
            if case .object(var fields) = forged, case .object(var header)? = fields["header"] {
                header["token"] = "not-the-token"
                fields["header"] = .object(header)
                forged = .object(fields)
            }
            let forgedBody = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(Data(forged.serialized.utf8),
                                                                                            encryptKey: EventEnvironment.encryptKey))]).serialized.utf8)
            #expect(try await env.post(path, forgedBody, headers(forgedBody)).status == 401)
            // Nested too deep, too big.
            let deep = Data((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)
            #expect(try await env.post(path, deep, [.contentType: "application/json"]).status == 400)
            let big = Data(repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024)
            #expect(try await env.post(path, big, [.contentType: "application/json"]).status == 413)
            #expect(try await env.database.directoryEvents.channelSummary(appId: env.appId).received == 0, "nothing recorded")
            #expect(try await env.mirror().users[try required(root1.unionID)]?.jobTitle == nil)
            // The right signature is taken.
            #expect(try await env.post(path, encrypted, headers(encrypted)).status == 200)
            #expect(try await env.database.directoryEvents.channelSummary(appId: env.appId).received == 1)
        }
    }

    @Test func usersLeavingTheScopeAreParkedForTheAdministratorNotDeleted() async throws {
        try await EventEnvironment.with { env in
            let before = try await env.mirror()
            let root1 = try required(try await env.user("root1").unionID)
            // The app now sees the sales centre (D5, D6 and their members) only.
            await env.emulator.state.setScope(appID: EventEnvironment.appID, .limited(departments: ["D5"], users: []))
            try await env.settle()
            let after = try await env.mirror()
            #expect(after.users.count == before.users.count, "nobody is deleted silently")
            let parked = try await env.database.directoryEvents.scopeRemovals(enterpriseId: env.enterpriseId, pendingOnly: true)
            #expect(parked.contains { $0.kind == .user && $0.key == root1 && $0.name == "根成员一" })
            #expect(parked.contains { $0.kind == .department && $0.name == "研发中心" })
            #expect(!parked.contains { $0.name == "销售中心" })

            // The administrator removes one user and keeps the rest.
            let one = try required(parked.first { $0.key == root1 })
            let removed = try await env.database.directoryEvents.decideScopeRemovals(enterpriseId: env.enterpriseId, ids: [one.id], remove: true,
                                                                                     by: "admin", at: Date())
            #expect(removed.map(\.decision) == ["remove"])
            let rest = parked.filter { $0.id != one.id }.map(\.id)
            _ = try await env.database.directoryEvents.decideScopeRemovals(enterpriseId: env.enterpriseId, ids: rest, remove: false, by: "admin", at: Date())
            let mirror = try await env.mirror()
            #expect(mirror.users[root1] == nil && mirror.users.count == before.users.count - 1)
            #expect(try await env.database.directoryEvents.scopeRemovals(enterpriseId: env.enterpriseId, pendingOnly: true).isEmpty)
        }
    }

    @Test func theAdminAPIListsAndDecidesScopeRemovalsAndShowsTheChannel() async throws {
        try await EventEnvironment.with { env in
            #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#).status == .ok)
            await env.emulator.state.setScope(appID: EventEnvironment.appID, .limited(departments: ["D5"], users: []))
            try await env.settle()
            let channel = try await env.api.get("apps/\(env.appId)/events")
            #expect(channel.status == .ok, "\(channel)")
            let shown = JSON.parse(channel.text) ?? .null
            #expect(shown["eventURL"] == .string("https://bridge.example.com/feishu/apps/\(env.appId)/events"))
            #expect(shown["received"] == 1 && shown["lastChannel"] == "http", "\(shown)")
            let app = try await env.api.get("apps/\(env.appId)").decode(AppView.self)
            #expect(app.eventURL == "https://bridge.example.com/feishu/apps/\(env.appId)/events")

            let listed = try await env.api.get("enterprises/\(env.enterpriseId)/scope-removals")
            let items = try #require(JSON.parse(listed.text)?["items"]?.arrayValue)
            #expect(!items.isEmpty && items.allSatisfy { $0["decision"] == nil }, "\(listed)")
            let ids = items.compactMap { $0["id"]?.intValue }
            let bad = try await env.api.post("enterprises/\(env.enterpriseId)/scope-removals/decide", #"{"ids":[\#(ids[0])],"decision":"drop"}"#)
            #expect(bad.status == .badRequest && bad.error?.field == "decision", "\(bad)")
            let none = try await env.api.post("enterprises/\(env.enterpriseId)/scope-removals/decide", #"{"ids":[],"decision":"keep"}"#)
            #expect(none.status == .badRequest && none.error?.field == "ids", "\(none)")
            let kept = try await env.api.post("enterprises/\(env.enterpriseId)/scope-removals/decide",
                                              #"{"ids":[\#(ids.map(String.init).joined(separator: ","))],"decision":"keep"}"#)
            #expect(kept.status == .ok, "\(kept)")
            #expect(try #require(JSON.parse(kept.text)?["items"]?.arrayValue).count == ids.count)
            #expect(try JSON.parse(await env.api.get("enterprises/\(env.enterpriseId)/scope-removals").text)?["items"] == [])
            let audit = try await env.api.get("audit?action=directory.scopeRemoval")
            #expect(audit.text.contains("\"decision\":\"keep\""), "\(audit)")
            // Another enterprise's id is not found.
            #expect(try await env.api.get("enterprises/999/scope-removals").status == .notFound)
        }
    }

    @Test func anAnswerSlowerThanTheDeadlineIsPushedAgainAndDedupedByTheBridge() async throws {
        try await EventEnvironment.with { env in
            // Every answer counts as too slow (the platform's deadline is 3 s): the emulator pushes the event again.
            _ = await env.emulator.state.admin("PUT", "/_emulator/events/settings", body: ["deadline_ms": 1])
            let root2 = try await env.user("root2")
            _ = try await env.admin.patchUser(try required(root2.openID), FeishuClient.UserFields(jobTitle: "重推"))
            try await eventually("the push was judged failed twice") { (await env.pushCounters())["failed_attempts"]?.intValue ?? 0 >= 2 }
            _ = await env.emulator.state.admin("PUT", "/_emulator/events/settings", body: ["deadline_ms": 3000])
            try await env.settle()
            #expect(try await env.mirror().users[try required(root2.unionID)]?.jobTitle == "重推")
            #expect(try await env.database.directoryEvents.channelSummary(appId: env.appId).received == 1, "the re-pushes are deduped")
        }
    }

    @Test func theURLChallengeIsAnsweredAndAWrongURLIsRefusedByTheEmulator() async throws {
        try await EventEnvironment.with(subscribe: false) { env in
            let wrong = await env.emulator.state.admin("PUT", "/_emulator/apps/\(EventEnvironment.appID)/events",
                                                       body: ["url": .string("\(env.bridgeURL)/feishu/apps/9999/events")])
            #expect(wrong.status == 400, "\(String(describing: wrong.json))")
            let right = await env.emulator.state.admin("PUT", "/_emulator/apps/\(EventEnvironment.appID)/events", body: ["url": .string(env.eventURL)])
            #expect(right.status == 200, "\(String(describing: right.json))")
        }
    }

    // MARK: helpers

    static func userEvent(_ env: EventEnvironment, unionID: String, openID: String, name: String, jobTitle: String, createTime: Int64) throws -> JSON {
        [
            "schema": "2.0",
            "header": ["event_id": .string(UUID().uuidString), "event_type": "contact.user.updated_v3", "create_time": .string(String(createTime)),
                       "token": .string(EventEnvironment.verificationToken), "app_id": .string(EventEnvironment.appID), "tenant_key": "tk"],
            "event": ["object": ["union_id": .string(unionID), "open_id": .string(openID), "user_id": "root1", "name": .string(name),
                                 "job_title": .string(jobTitle), "department_ids": ["0"], "status": ["is_resigned": false]],
                      "old_object": ["job_title": "x"]],
        ]
    }

    /// POSTs an event as Feishu does: encrypted and signed with the app's Encrypt Key.
    static func push(_ env: EventEnvironment, _ event: JSON) async throws -> (status: Int, text: String) {
        let encrypted = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(Data(event.serialized.utf8),
                                                                                       encryptKey: EventEnvironment.encryptKey))]).serialized.utf8)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = CallbackCrypto.signature(timestamp: timestamp, nonce: "n2", encryptKey: EventEnvironment.encryptKey, body: encrypted)
        return try await env.post("/feishu/apps/\(env.appId)/events", encrypted, [
            .contentType: "application/json", HTTPField.Name("X-Lark-Request-Timestamp")!: timestamp,
            HTTPField.Name("X-Lark-Request-Nonce")!: "n2", HTTPField.Name("X-Lark-Signature")!: signature,
        ])
    }
}
