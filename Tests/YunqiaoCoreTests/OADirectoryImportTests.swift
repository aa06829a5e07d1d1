import Testing
import YunqiaoCore

struct OADirectoryImportTests {
    typealias Import = OADirectoryImport

    /// The errors a validation reports (none when it passes).
    static func errors(_ body: () throws -> Void) -> [Import.RowError] {
        do {
            try body()
            return []
        } catch let failure as Import.Failure {
            return failure.errors
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    @Test func goodDepartmentsFile() throws {
        let rows = [
            ["OA_ID", "Name", "parent_oa_id", "subcompany", "order"],
            ["D1", "总部", "", "S1", "1"],
            ["D2", "研发部", "D1", "S1", ""],
            ["", "", "", "", ""],  // blank lines are skipped
            [" D3 ", "测试组", "D2", "", "-2"],
        ]
        let departments = try Import.departments(rows)
        #expect(departments == [
            Import.Department(oaID: "D1", name: "总部", parentOaID: nil, subcompany: "S1", order: 1, line: 2),
            Import.Department(oaID: "D2", name: "研发部", parentOaID: "D1", subcompany: "S1", order: 0, line: 3),
            Import.Department(oaID: "D3", name: "测试组", parentOaID: "D2", subcompany: nil, order: -2, line: 5),
        ])
    }

    @Test func goodUsersFileInAnyColumnOrder() throws {
        let rows = [
            ["name", "login_id", "oa_id", "department_oa_id", "part_time_department_oa_ids", "email", "mobile", "status", "extra"],
            ["张三", "zhangsan", "U1", "D1", "D2; D3,D1", "zs@example.com", "13800000000", "", "ignored"],
            ["李四", "lisi", "U2", "D2", "", "", "", "LEFT", ""],
        ]
        let users = try Import.users(rows, departments: ["D1", "D2", "D3"])
        #expect(users == [
            Import.User(oaID: "U1", loginID: "zhangsan", name: "张三", mobile: "13800000000", email: "zs@example.com",
                        departmentOaIDs: ["D1", "D2", "D3"], status: "active", line: 2),
            Import.User(oaID: "U2", loginID: "lisi", name: "李四", departmentOaIDs: ["D2"], status: "left", line: 3),
        ])
    }

    @Test func chineseHeaders() throws {
        let departments = try Import.departments([["编号", "部门名称", "上级部门编号", "分部", "排序"], ["D1", "总部", "", "", "3"]])
        #expect(departments.map(\.order) == [3])
        let users = try Import.users([
            ["编号", "登录名", "姓名", "手机", "邮箱", "工号", "职务", "部门编号", "兼职部门编号", "状态"],
            ["U1", "zs", "张三", "138", "zs@example.com", "E01", "经理", "D1", "D2", "离职"],
        ], departments: ["D1", "D2"])
        #expect(users == [Import.User(oaID: "U1", loginID: "zs", name: "张三", mobile: "138", email: "zs@example.com", employeeNo: "E01",
                                      title: "经理", departmentOaIDs: ["D1", "D2"], status: "left", line: 2)])
    }

    @Test func headerProblems() {
        #expect(Self.errors { _ = try Import.departments([]) } == [Import.RowError(line: 1, column: nil, message: "the header row is missing")])
        #expect(Self.errors { _ = try Import.users([["oa_id", "name", "名称"]], departments: []) }.map(\.column)
            == ["login_id", "department_oa_id"])
        #expect(Self.errors { _ = try Import.departments([["oa_id", "name", "编号"]]) }
            == [Import.RowError(line: 1, column: "oa_id", message: "the column appears twice")])
    }

    @Test func everyDepartmentErrorWithItsLine() {
        let rows = [
            ["oa_id", "name", "parent_oa_id", "order"],
            ["D1", "总部", "", "1"],
            ["", "无编号", "", ""],  // 3: missing oa_id
            ["D1", "重复", "", ""],  // 4: duplicate
            ["D4", "", "NOPE", "x"],  // 5: missing name, bad order (the parent is checked on valid rows only)
            ["D6", "坏上级", "NOPE", ""],  // 6: unknown parent
            ["D7", "环A", "D8", ""],  // 7, 8: cycle
            ["D8", "环B", "D7", ""],
            ["D9", "自己", "D9", ""],  // 9: own parent
        ]
        let errors = Self.errors { _ = try Import.departments(rows) }
        #expect(errors.map(\.line) == [3, 4, 5, 5, 6, 7, 8, 9])
        #expect(errors.map(\.column) == ["oa_id", "oa_id", "name", "order", "parent_oa_id", "parent_oa_id", "parent_oa_id", "parent_oa_id"])
        #expect(errors[1].message == "duplicate oa_id \"D1\" (first on line 2)")
        #expect(errors[3].message == "must be an integer, not \"x\"")
        #expect(errors[4].message == "unknown department \"NOPE\"")
        #expect(errors[5].message == "parent cycle: D7 → D8 → D7")
        #expect(errors[7].message == "parent cycle: D9 → D9")
    }

    @Test func parentsMayBeStoredDepartmentsAndCyclesSpanThem() throws {
        // D2 is stored under D1; the file moves D1 under D2.
        let existing: [String: String?] = ["D1": nil, "D2": "D1"]
        let errors = Self.errors { _ = try Import.departments([["oa_id", "name", "parent_oa_id"], ["D1", "总部", "D2"]], existing: existing) }
        #expect(errors == [Import.RowError(line: 2, column: "parent_oa_id", message: "parent cycle: D1 → D2 → D1")])
        let departments = try Import.departments([["oa_id", "name", "parent_oa_id"], ["D3", "新部门", "D2"]], existing: existing)
        #expect(departments.map(\.oaID) == ["D3"])
    }

    @Test func everyUserErrorWithItsLine() {
        let rows = [
            ["oa_id", "login_id", "name", "email", "department_oa_id", "part_time_department_oa_ids", "status"],
            ["U1", "zs", "张三", "zs@example.com", "D1", "", ""],
            ["U2", "", "李四", "", "D1", "", ""],  // 3: missing login_id
            ["U1", "zs", "重复", "", "D1", "", ""],  // 4: duplicate oa_id and login_id
            ["U5", "ww", "王五", "not-an-email", "D1", "", ""],  // 5: bad email
            ["U6", "zl", "赵六", "", "D9", "D1;X", ""],  // 6: unknown departments
            ["U7", "sq", "孙七", "", "D1", "", "retired"],  // 7: bad status
            ["U8", "taken", "周八", "", "D1", "", ""],  // 8: login of a stored user
        ]
        let errors = Self.errors { _ = try Import.users(rows, departments: ["D1"], existingLogins: ["taken": "U99"]) }
        #expect(errors.map(\.line) == [3, 4, 4, 5, 6, 6, 7, 8])
        #expect(errors.map(\.column) == ["login_id", "oa_id", "login_id", "email", "department_oa_id", "part_time_department_oa_ids",
                                         "status", "login_id"])
        #expect(errors[2].message == "duplicate login_id \"zs\" (first on line 2)")
        #expect(errors[3].message == "not an email address: \"not-an-email\"")
        #expect(errors[5].message == "unknown department \"X\"")
        #expect(errors[6].message == "must be active or left, not \"retired\"")
        #expect(errors[7].message == "login_id \"taken\" belongs to OA user \"U99\"")
    }

    @Test func aStoredUserKeepsItsOwnLogin() throws {
        let users = try Import.users([["oa_id", "login_id", "name", "department_oa_id"], ["U1", "zs", "张三", "D1"]],
                                     departments: ["D1"], existingLogins: ["zs": "U1"])
        #expect(users.count == 1)
    }

    @Test func nothingIsReturnedWhenAnyRowIsBad() {
        var result: [Import.User]?
        var failure: Import.Failure?
        do {
            result = try Import.users([
                ["oa_id", "login_id", "name", "department_oa_id"],
                ["U1", "a", "A", "D1"], ["U2", "b", "B", "D1"], ["U3", "c", "C", "missing"],
            ], departments: ["D1"])
        } catch {
            failure = error
        }
        #expect(result == nil)
        #expect(failure?.lineCount == 1)
        #expect(failure?.errors.first?.line == 4)
    }

    @Test func emailShapes() {
        for good in ["a@b.cn", "first.last+tag@mail.example.com"] { #expect(Import.isEmail(good), "\(good)") }
        for bad in ["a", "@b.cn", "a@b", "a@@b.cn", "a b@c.cn", "a@b..cn", "a@.cn"] { #expect(!Import.isEmail(bad), "\(bad)") }
    }
}
