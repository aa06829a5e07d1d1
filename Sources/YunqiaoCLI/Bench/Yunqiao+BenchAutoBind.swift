import ArgumentParser
import Foundation
import Logging
import YunqiaoCore
import YunqiaoStore
import YunqiaoServices

extension Yunqiao.Bench {
    struct AutoBind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auto-bind",
            abstract: "Auto-bind N Feishu users against N OA users (employee no. > mobile > email) in a SQLite file; "
                + "prints the time of the whole pass (read both directories, plan, write bindings and conflicts).")

        @Option(help: "Users on each side.") var users = 100_000
        @Option(help: "SQLite file for the run (removed first).") var database = "yunqiao-bench-autobind.sqlite"

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .error)
            for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            let store = try YunqiaoDatabase.open(path: database)
            let tenant = try await store.integration.tenant().id ?? 0
            let enterprise = try await store.integration.createEnterprise(tenantId: tenant, name: "bench", brand: "feishu",
                                                                          baseURL: "https://open.feishu.cn")
            let enterpriseId = enterprise.id ?? 0
            // Feishu side: a fifth match by employee no., a third by mobile (no employee no.), a fifth by email only,
            // 5 % share a mobile with two OA users (ambiguous), the rest have nothing the OA knows.
            var plan = SyncPlan()
            var oa: [OAUserRecord] = []
            for index in 0..<users {
                let mobile = String(format: "1380%07d", index)
                let kind = index % 20
                var feishu = MirrorUser(unionID: "on_\(index)", openID: "ou_\(index)", userID: "fs\(index)", name: "用户\(index)",
                                        departmentIDs: ["0"])
                var person = OAUserRecord(tenantId: tenant, oaID: "oa\(index)", loginID: "login\(index)", name: "用户\(index)",
                                          departmentOaIDs: ["1"])
                switch kind {
                case 0..<4:
                    feishu.employeeNo = "E\(index)"
                    feishu.mobile = "+86" + mobile
                    person.employeeNo = "e\(index)"
                case 4..<11:
                    feishu.mobile = "+86" + mobile
                    person.mobile = mobile
                case 11..<15:
                    feishu.email = "User\(index)@Example.com"
                    person.email = "user\(index)@example.com"
                case 15:
                    feishu.mobile = "+86" + mobile
                    person.mobile = mobile
                    oa.append(OAUserRecord(tenantId: tenant, oaID: "oa\(index)-twin", loginID: "login\(index)-twin", name: "同号",
                                           mobile: "+86 " + mobile, departmentOaIDs: ["1"]))
                default:
                    feishu.email = "nobody\(index)@feishu.example"
                    person.email = "other\(index)@oa.example"
                }
                plan.users.created.append(feishu)
                oa.append(person)
            }
            try await store.mirror.apply(plan, enterpriseId: enterpriseId)
            try await store.oaDirectory.upsertOAUsers(oa)
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await store.bindings.autoBind(tenantId: tenant, enterpriseId: enterpriseId, fields: [.employeeNo, .mobile, .email],
                                                           by: .cli)
            let elapsed = clock.now - started
            let seconds = elapsed.timeInterval
            let expected = (bound: users / 20 * 15, conflicts: users / 20)
            say("""
                auto-bind: \(users) Feishu users × \(oa.count) OA users (fields employeeNo > mobile > email)
                  time        \(String(format: "%.2f", seconds)) s  (target < 5 s)  — \(Int(Double(users) / max(seconds, 0.001))) Feishu users/s
                  bound       \(result.bound)  (employeeNo \(result.byField[.employeeNo] ?? 0), mobile \(result.byField[.mobile] ?? 0), email \(result.byField[.email] ?? 0))
                  conflicts   \(result.conflicts)  (ambiguous mobiles)
                  unmatched   \(result.unmatched)
                  check       \(result.bound == expected.bound && result.conflicts == expected.conflicts ? "as generated" : "UNEXPECTED")
                  peak memory \(String(format: "%.1f", Double(peakResidentKilobytes()) / 1024)) MB (whole process, both directories generated in it)
                """)
            for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        }
    }
}
