import Foundation
import Testing
@testable import YunqiaoCore

/// Mode 3's planner (issue #14, "The run" 2): level + name matching under the mount point, the top-level name rule,
/// users created, followed, disabled, deleted, scope with exclude winning, part-time departments, the threshold.
@Suite struct OAToFeishuPlannerTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func department(_ id: String, _ name: String, parent: String? = nil, order: Int = 0) -> OADepartmentRecord {
        OADepartmentRecord(tenantId: 1, oaID: id, name: name, parentOaID: parent, sortOrder: order)
    }

    static func user(_ id: String, _ name: String, departments: [String], status: String = "active", mobile: String? = nil,
                     email: String? = nil, title: String? = nil) -> OAUserRecord
    {
        // A mobile of its own unless given ("" = none).
        let own = "+86139" + String(repeating: "0", count: max(0, 8 - id.count)) + id
        return OAUserRecord(tenantId: 1, oaID: id, loginID: "login.\(id)", name: name, mobile: mobile ?? own, email: email, employeeNo: "E\(id)",
                     title: title, departmentOaIDs: departments, status: status)
    }

    static func feishu(_ id: String, _ name: String, parent: String = "0") -> MirrorDepartment {
        MirrorDepartment(openDepartmentID: id, name: name, parentOpenDepartmentID: parent)
    }

    static func member(_ union: String, _ name: String, departments: [String], frozen: Bool = false, mobile: String? = nil,
                       employeeNo: String? = nil) -> MirrorUser
    {
        MirrorUser(unionID: union, name: name, mobile: mobile, employeeNo: employeeNo, departmentIDs: departments,
                   status: .init(isFrozen: frozen))
    }

    /// The OA: 示例集团 → 研发中心 (→ 后端组), 销售部 (→ 华东). Feishu: the root 示例集团 with 研发中心 (od-rd →
    /// od-be 后端组) and 市场部 (od-mk).
    static let oaTree = [department("D0", "示例集团"), department("D1", "研发中心", parent: "D0", order: 1),
                         department("D2", "后端组", parent: "D1"), department("D3", "销售部", parent: "D0", order: 2),
                         department("D4", "华东", parent: "D3")]
    static let feishuTree = [feishu("od-rd", "研发中心"), feishu("od-be", "后端组", parent: "od-rd"), feishu("od-mk", "市场部")]

    static func input(oaUsers: [OAUserRecord] = [], feishuUsers: [MirrorUser] = [], bindings: [String: String] = [:],
                      oa: [OADepartmentRecord] = oaTree, feishu: [MirrorDepartment] = feishuTree, rootName: String = "示例集团",
                      links: [String: String] = [:], disabledAt: [String: Date] = [:], previous: Int? = nil) -> OAToFeishuInput
    {
        OAToFeishuInput(oaDepartments: oa, oaUsers: oaUsers, feishuDepartments: feishu, feishuUsers: feishuUsers, feishuRootName: rootName,
                        bindings: bindings, departmentLinks: links, disabledAt: disabledAt, previousActiveOAUsers: previous, now: now)
    }

    static func plan(_ input: OAToFeishuInput, _ change: (inout OAToFeishuSettings) -> Void = { _ in }) throws -> OAToFeishuPlan {
        var settings = OAToFeishuSettings.standard
        change(&settings)
        return try OAToFeishuPlanner(settings: settings).plan(input)
    }

    static func step(_ plan: OAToFeishuPlan, department name: String) -> OAToFeishuPlan.DepartmentStep? {
        plan.departments.first { $0.name == name }
    }

    static func step(_ plan: OAToFeishuPlan, user oaID: String) -> OAToFeishuPlan.UserStep? { plan.users.first { $0.oaID == oaID } }

    @Test func departmentsMatchBySameLevelAndNameTheRestIsCreatedOrDeleted() throws {
        let plan = try Self.plan(Self.input())
        #expect(Self.step(plan, department: "示例集团")?.feishuID == "0")
        #expect(Self.step(plan, department: "研发中心").map { ($0.action, $0.feishuID) } ?? (.create, nil) == (.match, "od-rd"))
        #expect(Self.step(plan, department: "后端组").map { ($0.action, $0.feishuID, $0.parent) } ?? (.create, nil, "") == (.match, "od-be", "od-rd"))
        // 销售部 is new, and 华东 is created under it: parents first, referred to by the pending id.
        let sales = try #require(Self.step(plan, department: "销售部"))
        #expect(sales.action == .create && sales.parent == "0")
        let east = try #require(Self.step(plan, department: "华东"))
        #expect(east.action == .create && east.parent == OAToFeishuPlanner.pending("D3") && east.path == ["示例集团", "销售部", "华东"])
        #expect(plan.departments.firstIndex { $0.name == "销售部" }! < plan.departments.firstIndex { $0.name == "华东" }!)
        // 市场部 is not in the OA: deleted, which parks the plan.
        #expect(Self.step(plan, department: "市场部")?.action == .delete)
        #expect(plan.approvalReasons.map(\.description) == ["the plan deletes 0 users and 1 departments from Feishu"])
    }

    @Test func aSameNameAtAnotherLevelIsNotAMatch() throws {
        // 后端组 directly under the root in Feishu is not the OA's 研发中心 → 后端组.
        let plan = try Self.plan(Self.input(feishu: [Self.feishu("od-rd", "研发中心"), Self.feishu("od-x", "后端组")]))
        #expect(Self.step(plan, department: "后端组")?.action == .create)
        #expect(plan.departments.contains { $0.feishuID == "od-x" && $0.action == .delete })
    }

    @Test func withoutATopDepartmentTheTopLevelNamesMustAgree() throws {
        #expect(throws: OAToFeishuPlanError.topLevelNameDiffers(oa: "示例集团", feishu: "另一家公司")) {
            try Self.plan(Self.input(rootName: "另一家公司"))
        }
        let error = OAToFeishuPlanError.topLevelNameDiffers(oa: "示例集团", feishu: "另一家公司")
        #expect(error.description.contains("示例集团") && error.description.contains("另一家公司"))
        #expect(throws: OAToFeishuPlanError.severalTopLevels(["示例集团", "子公司"])) {
            try Self.plan(Self.input(oa: Self.oaTree + [Self.department("S0", "子公司", order: 1)]))
        }
    }

    @Test func aTopDepartmentMountsTheOATreeUnderIt() throws {
        let feishu = Self.feishuTree + [Self.feishu("od-oa", "OA 组织"), Self.feishu("od-top", "示例集团", parent: "od-oa")]
        let plan = try Self.plan(Self.input(feishu: feishu, rootName: "无关的名字")) { $0.topDepartmentID = "od-oa" }
        #expect(Self.step(plan, department: "示例集团").map { ($0.action, $0.feishuID) } ?? (.create, nil) == (.match, "od-top"))
        let rd = try #require(Self.step(plan, department: "研发中心"))
        #expect(rd.action == .create && rd.parent == "od-top")
        // Outside the mount point nothing is touched: the root's 研发中心 and 市场部 stay.
        #expect(!plan.departments.contains { $0.feishuID == "od-rd" || $0.feishuID == "od-mk" })
        #expect(throws: OAToFeishuPlanError.topDepartmentMissing("od-none")) {
            try Self.plan(Self.input()) { $0.topDepartmentID = "od-none" }
        }
    }

    @Test func anEarlierLinkKeepsARenamedDepartment() throws {
        var oa = Self.oaTree
        oa[1].name = "研发部"
        let plan = try Self.plan(Self.input(oa: oa, links: ["D1": "od-rd"]))
        let rd = try #require(Self.step(plan, department: "研发部"))
        #expect(rd.action == .update && rd.feishuID == "od-rd" && rd.reason.description.contains("研发中心"))
        #expect(Self.step(plan, department: "后端组")?.feishuID == "od-be")
    }

    @Test func boundUsersFollowTheOAAndNewOnesAreCreated() throws {
        let users = [Self.user("1", "张三", departments: ["D2"], mobile: "13800001111", title: "工程师"),
                     Self.user("2", "李四", departments: ["D4"], mobile: "13800002222"),
                     Self.user("3", "王五", departments: ["D1"], mobile: "+86 138-0000-3333")]
        let feishu = [Self.member("on_1", "张三", departments: ["od-rd"], mobile: "+8613800001111", employeeNo: "E1"),
                      Self.member("on_3", "王五", departments: ["od-rd"], mobile: "+8613800003333", employeeNo: "E3")]
        let plan = try Self.plan(Self.input(oaUsers: users, feishuUsers: feishu, bindings: ["1": "on_1", "3": "on_3"]))
        // 张三: the title is new and the department moved; the same mobile in another notation is no change.
        let zhang = try #require(Self.step(plan, user: "1"))
        #expect(zhang.action == .update && zhang.departments == ["od-be"])
        #expect(zhang.changes == [.init(field: .jobTitle, old: nil, new: "工程师")])
        // 王五 is as the OA says: no step at all.
        #expect(Self.step(plan, user: "3") == nil)
        // 李四 is created in the pending 华东, with the account from the login and every mapped field.
        let li = try #require(Self.step(plan, user: "2"))
        #expect(li.action == .create && li.account == "login.2" && li.departments == [OAToFeishuPlanner.pending("D4")])
        #expect(li.changes.map(\.field) == [.name, .mobile, .employeeNo])
        #expect(plan.approvalReasons.count == 1)  // only for 市场部; updates and creates need no approval
    }

    @Test func creatingIsASettingAndNeedsAnAccount() throws {
        let users = [Self.user("2", "李四", departments: ["D4"])]
        #expect(try Self.plan(Self.input(oaUsers: users)) { $0.createUsers = false }.users.map(\.action) == [.skip])
        // The account field has no value for this user: reported, not created.
        let noAccount = try Self.plan(Self.input(oaUsers: users)) { $0.accountField = .email }
        #expect(noAccount.users.map(\.action) == [.skip] && noAccount.users[0].reason.description.contains("email"))
    }

    @Test func leaversAreDisabledAndMovedThenDeletedNDaysLater() throws {
        let users = [Self.user("1", "张三", departments: ["D2"], status: "left"), Self.user("2", "李四", departments: ["D2"], status: "left"),
                     Self.user("3", "王五", departments: ["D2"], status: "left")]
        let feishu = [Self.member("on_1", "张三", departments: ["od-be"]),
                      Self.member("on_2", "李四", departments: ["od-be"], frozen: true),
                      Self.member("on_3", "王五", departments: ["od-be"], frozen: true),
                      Self.member("on_9", "赵九", departments: ["od-be"])]
        let disabled = ["on_2": Self.now.addingTimeInterval(-8 * 86_400), "on_3": Self.now.addingTimeInterval(-6 * 86_400)]
        let bindings = ["1": "on_1", "2": "on_2", "3": "on_3", "9": "on_9"]
        let plan = try Self.plan(Self.input(oaUsers: users, feishuUsers: feishu, bindings: bindings, disabledAt: disabled)) {
            $0.deleteDisabledAfterDays = 7
        }
        let zhang = try #require(Self.step(plan, user: "1"))
        #expect(zhang.action == .disable && zhang.departments == [OAToFeishuPlanner.disabledPending])
        #expect(Self.step(plan, department: "已禁用用户")?.action == .create)
        #expect(Self.step(plan, user: "2")?.action == .delete)
        #expect(Self.step(plan, user: "3") == nil)
        // 赵九 is bound but no longer in the OA at all: a leaver too.
        #expect(Self.step(plan, user: "9")?.action == .disable)

        // Deleting instead; no moving when no department is named.
        let deleting = try Self.plan(Self.input(oaUsers: users, feishuUsers: feishu, bindings: bindings)) { $0.leaverAction = .delete }
        #expect(deleting.users.map(\.action) == [.delete, .delete, .delete, .delete])
        let staying = try Self.plan(Self.input(oaUsers: users, feishuUsers: feishu, bindings: bindings)) { $0.disabledDepartmentName = nil }
        #expect(Self.step(staying, user: "1")?.departments == nil && Self.step(staying, department: "已禁用用户") == nil)
    }

    @Test func theDisabledUsersDepartmentIsKeptAndReused() throws {
        let feishu = Self.feishuTree + [Self.feishu("od-off", "已禁用用户")]
        let users = [Self.user("1", "张三", departments: ["D2"], status: "left")]
        let plan = try Self.plan(Self.input(oaUsers: users, feishuUsers: [Self.member("on_1", "张三", departments: ["od-be"])],
                                            bindings: ["1": "on_1"], feishu: feishu))
        #expect(Self.step(plan, user: "1")?.departments == ["od-off"])
        #expect(!plan.departments.contains { $0.feishuID == "od-off" && $0.action == .delete })
        // With nobody leaving it is not deleted either.
        #expect(!(try Self.plan(Self.input(feishu: feishu))).departments.contains { $0.feishuID == "od-off" && $0.action == .delete })
    }

    @Test func aUserBackInTheOAIsEnabled() throws {
        let plan = try Self.plan(Self.input(oaUsers: [Self.user("1", "张三", departments: ["D2"])],
                                            feishuUsers: [Self.member("on_1", "张三", departments: ["od-off"], frozen: true, employeeNo: "E1")],
                                            bindings: ["1": "on_1"], disabledAt: ["on_1": Self.now]))
        let step = try #require(Self.step(plan, user: "1"))
        #expect(step.action == .enable && step.departments == ["od-be"])
    }

    @Test func scopeIncludesDepartmentsAndUsersAndExcludeWins() throws {
        let users = [Self.user("1", "张三", departments: ["D2"]), Self.user("2", "李四", departments: ["D4"]),
                     Self.user("3", "王五", departments: ["D4"]), Self.user("4", "赵六", departments: ["D2"])]
        let feishu = [Self.member("on_3", "王五", departments: ["od-mk"]), Self.member("on_4", "赵六", departments: ["od-be"], employeeNo: "E4")]
        let plan = try Self.plan(Self.input(oaUsers: users, feishuUsers: feishu, bindings: ["3": "on_3", "4": "on_4"])) {
            $0.includeDepartments = ["D1"]
            $0.includeUsers = ["2", "4"]
            $0.excludeUsers = ["4"]
        }
        #expect(Self.step(plan, user: "1")?.action == .create)  // in 研发中心's subtree
        #expect(Self.step(plan, user: "2")?.action == .create)  // included by name
        #expect(Self.step(plan, user: "3")?.action == .deleteOutOfScope)  // bound, out of scope: deleted (the manual's rule)
        #expect(Self.step(plan, user: "4")?.action == .deleteOutOfScope)  // included and excluded: exclude wins
        // 李四's 华东 (and 销售部 holding it) are written for him although out of the department range.
        #expect(Self.step(plan, user: "2")?.departments == [OAToFeishuPlanner.pending("D4")])
        #expect(Self.step(plan, department: "销售部")?.action == .create)
        #expect(plan.activeOAUsers == 2)
    }

    @Test func partTimeDepartmentsAreASettingAndCappedAt50() throws {
        let extra = (0..<60).map { Self.department("P\($0)", "兼职\($0)", parent: "D0", order: 10 + $0) }
        let user = Self.user("1", "张三", departments: ["D2", "D4"] + extra.map(\.oaID))
        let primaryOnly = try Self.plan(Self.input(oaUsers: [user], oa: Self.oaTree + extra))
        #expect(Self.step(primaryOnly, user: "1")?.departments == ["od-be"])
        let partTime = try Self.plan(Self.input(oaUsers: [user], oa: Self.oaTree + extra)) { $0.includePartTimeDepartments = true }
        let departments = try #require(Self.step(partTime, user: "1")?.departments)
        #expect(departments.count == 50 && departments[0] == "od-be" && departments[1] == OAToFeishuPlanner.pending("D4"))
    }

    @Test func aFallPastTheThresholdParksThePlan() throws {
        let users = (1...80).map { Self.user("\($0)", "用户\($0)", departments: ["D2"]) }
        let feishu = Array(Self.feishuTree.prefix(2))
        let fell = try Self.plan(Self.input(oaUsers: users, feishu: feishu, previous: 100))
        #expect(fell.approvalReasons.map(\.description) == ["the OA's active users fell from 100 to 80 since the last run, past the decrease threshold"])
        #expect(try Self.plan(Self.input(oaUsers: users, feishu: feishu, previous: 85)).approvalReasons.isEmpty)
        #expect(try Self.plan(Self.input(oaUsers: users, feishu: feishu, previous: 100)) { $0.threshold = DecreaseThreshold(maxPercent: nil, maxCount: nil) }
            .approvalReasons.isEmpty)
    }
}

extension OAToFeishuPlannerTests {
    /// The root chosen as the top department: several OA top-level departments become the root's sub-departments.
    @Test func theRootAsTopDepartmentTakesSeveralTopLevels() throws {
        let oa = [Self.department("R", "研发中心"), Self.department("S", "销售部", order: 1)]
        let plan = try Self.plan(Self.input(oa: oa, rootName: "无关")) { $0.topDepartmentID = "0" }
        #expect(Self.step(plan, department: "研发中心").map { ($0.action, $0.feishuID) } ?? (.create, nil) == (.match, "od-rd"))
        #expect(Self.step(plan, department: "销售部").map { ($0.action, $0.parent) } ?? (.match, "") == (.create, "0"))
    }
}

extension OAToFeishuPlannerTests {
    /// Feishu needs a name and a mobile to create a user, and takes the mobile with its country code.
    @Test func aCreateNeedsAMobileAndSendsItWithTheCountryCode() throws {
        let users = [Self.user("1", "张三", departments: ["D2"], mobile: "138-0000-1111"), Self.user("2", "李四", departments: ["D2"], mobile: "")]
        let plan = try Self.plan(Self.input(oaUsers: users))
        #expect(Self.step(plan, user: "1")?.changes.first { $0.field == .mobile }?.new == "+8613800001111")
        let li = try #require(Self.step(plan, user: "2"))
        #expect(li.action == .skip && li.reason.description.contains("mobile"))
    }
}
