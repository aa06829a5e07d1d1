import ArgumentParser
import Foundation
import YunqiaoCore

extension Yunqiao.Bench {
    struct PlanOAToFeishu: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan-oa-to-feishu",
            abstract: "Mode 3's planner (OA → Feishu) for N OA users × N Feishu users in 1 000-ish departments: prints the "
                + "time and memory of one plan (target < 1 s and < 250 MB for 100 000 × 100 000).")

        @Option(help: "Users on each side.") var users = 100_000
        @Option(help: "Departments on each side (two levels under the top).") var departments = 1_000

        func run() async throws {
            let generated = Self.generate(users: users, departments: departments)
            let before = peakResidentKilobytes()
            let clock = ContinuousClock()
            let started = clock.now
            let plan = try OAToFeishuPlanner(settings: .standard).plan(generated)
            let seconds = (clock.now - started).timeInterval
            let counts = plan.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let expected = (updates: users / 10, creates: users / 20, disables: users / 20)
            let check = plan.counts["users.update"] == expected.updates && plan.counts["users.create"] == expected.creates
                && plan.counts["users.disable"] == expected.disables
            say("""
                bench plan-oa-to-feishu: \(users) OA users × \(users) Feishu users, \(departments) departments each side
                  time        \(String(format: "%.3f", seconds)) s  (target < 1 s)
                  plan        \(counts)
                  check       \(check ? "as generated" : "UNEXPECTED")
                  peak memory \(String(format: "%.1f", Double(peakResidentKilobytes()) / 1024)) MB (whole process; \
                \(String(format: "%.1f", Double(before) / 1024)) MB after generating both sides; target < 250 MB)
                """)
        }

        /// Both sides: the same tree (a tenth of the departments under the top, the rest below them), users bound one
        /// to one; a tenth changed in the OA (title), a twentieth new in the OA, a twentieth left the OA.
        static func generate(users: Int, departments: Int) -> OAToFeishuInput {
            let firstLevel = max(1, departments / 10)
            var oaDepartments = [OADepartmentRecord(tenantId: 1, oaID: "top", name: "示例集团")]
            var feishuDepartments: [MirrorDepartment] = []
            for index in 0..<departments {
                let parent = index < firstLevel ? nil : index % firstLevel
                oaDepartments.append(OADepartmentRecord(tenantId: 1, oaID: "d\(index)", name: "部门\(index)",
                                                        parentOaID: parent.map { "d\($0)" } ?? "top", sortOrder: index))
                feishuDepartments.append(MirrorDepartment(openDepartmentID: "od-\(index)", name: "部门\(index)",
                                                          parentOpenDepartmentID: parent.map { "od-\($0)" } ?? "0", order: index))
            }
            var oaUsers: [OAUserRecord] = []
            var feishuUsers: [MirrorUser] = []
            var bindings: [String: String] = [:]
            oaUsers.reserveCapacity(users)
            feishuUsers.reserveCapacity(users)
            for index in 0..<users {
                let department = index % departments
                let mobile = String(format: "1390%07d", index)
                var person = OAUserRecord(tenantId: 1, oaID: "u\(index)", loginID: "login\(index)", name: "用户\(index)", mobile: mobile,
                                          email: "user\(index)@example.com", employeeNo: "E\(index)", title: "职员",
                                          departmentOaIDs: ["d\(department)"])
                switch index % 20 {
                case 0, 1: person.title = "经理"  // a tenth changed in the OA
                case 2: person.status = "left"  // a twentieth left
                default: break
                }
                oaUsers.append(person)
                if index % 20 == 3 { continue }  // a twentieth not yet in Feishu
                feishuUsers.append(MirrorUser(unionID: "on_\(index)", openID: "ou_\(index)", userID: "login\(index)", name: "用户\(index)",
                                              email: "user\(index)@example.com", mobile: "+86" + mobile, employeeNo: "E\(index)",
                                              jobTitle: "职员", departmentIDs: ["od-\(department)"]))
                bindings["u\(index)"] = "on_\(index)"
            }
            return OAToFeishuInput(oaDepartments: oaDepartments, oaUsers: oaUsers, feishuDepartments: feishuDepartments,
                                   feishuUsers: feishuUsers, feishuRootName: "示例集团", bindings: bindings, now: Date())
        }
    }
}
