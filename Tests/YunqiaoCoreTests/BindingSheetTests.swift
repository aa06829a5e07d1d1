import Testing
import YunqiaoCore

/// The association sheet's reading of rows and its plan: every outcome, normalisation and duplicates.
@Suite struct BindingSheetTests {
    typealias Row = BindingSheet.Row

    static let feishu = ["u1": "张一", "u2": "张二", "u3": "张三", "u4": "张四", "u5": "张五", "u6": "张六"]
    static let oa = [
        BindingSheet.OAUser(oaID: "1001", loginID: "zhang1", name: "张一", mobile: "+86 138-0000-1001", email: "Zhang1@Example.com",
                            employeeNo: "e001"),
        BindingSheet.OAUser(oaID: "1002", loginID: "zhang2", name: "张二", mobile: "13800001002", employeeNo: "E002"),
        BindingSheet.OAUser(oaID: "1003", loginID: "twin-a", name: "双甲", mobile: "13900000000"),
        BindingSheet.OAUser(oaID: "1004", loginID: "twin-b", name: "双乙", mobile: "0086 139 0000 0000"),
        BindingSheet.OAUser(oaID: "1005", loginID: "gone", name: "离职者", mobile: "13700000000", active: false),
        BindingSheet.OAUser(oaID: "1006", loginID: "taken", name: "已绑", mobile: "13600000000"),
        BindingSheet.OAUser(oaID: "1007", loginID: "free", name: "空闲", mobile: "13500000000"),
    ]

    static func plan(_ rows: [Row], _ field: BindingSheet.Field = .mobile, bound: [String: String] = [:]) -> BindingSheet.Plan {
        BindingSheet.plan(rows, field: field, feishu: feishu, oa: oa, bound: bound)
    }

    static func outcomes(_ plan: BindingSheet.Plan) -> [BindingSheet.Outcome] { plan.rows.map(\.outcome) }

    // MARK: reading

    @Test func headersInAnyOrderAndSpellingBlankRowsLeftOut() throws {
        let cells = [
            ["备注", "OA关联值", " UNION_ID "],
            ["x", " 13800001001 ", "u1"],
            [],
            ["", "", ""],
            ["only a note"],
            ["", "", "u2"],
        ]
        #expect(try BindingSheet.rows(cells) == [
            Row(line: 2, unionID: "u1", value: "13800001001"), Row(line: 6, unionID: "u2", value: ""),
        ])
        // The exported headers read back, and full-width parentheses or the English name alone are accepted too.
        #expect(try BindingSheet.rows([BindingSheet.columns.map(\.header), ["u9", "", "", "", "", "", "", "", "v"]])
            == [Row(line: 2, unionID: "u9", value: "v")])
        #expect(try BindingSheet.rows([["union_id", "OA 关联值（oa_value）"], ["u1", "a"]]).count == 1)
        #expect(try BindingSheet.rows([["unionid", "oa_value"], ["u1", "a"]]).count == 1)
    }

    @Test func missingOrRepeatedColumnsAreNamed() {
        #expect(throws: BindingSheet.HeaderError(message: "missing column OA 关联值 (oa_value)")) {
            try BindingSheet.rows([["union_id", "姓名 (name)"], ["u1", "x"]])
        }
        #expect(throws: BindingSheet.HeaderError(message: "missing column union_id")) { try BindingSheet.rows([["oa_value"]]) }
        #expect(throws: BindingSheet.HeaderError(message: "column union_id appears more than once")) {
            try BindingSheet.rows([["union_id", "oa_value", "UNION_ID"]])
        }
        #expect(throws: BindingSheet.HeaderError.self) { try BindingSheet.rows([]) }
        #expect(throws: BindingSheet.HeaderError.self) { try BindingSheet.rows([["", ""], ["u1", "x"]]) }
    }

    @Test func exportRowCellsFollowTheColumns() {
        let row = BindingSheet.ExportRow(unionID: "u1", name: "张一", departments: ["研发部", "总部"], mobile: "+86 13800001001",
                                         userID: "zy", boundLoginID: "zhang1")
        #expect(row.cells == ["u1", "张一", "研发部; 总部", "+86 13800001001", "", "", "zy", "zhang1", ""])
        #expect(row.cells.count == BindingSheet.columns.count)
        #expect(BindingSheet.columns.map(\.key) == ["union_id", "name", "departments", "mobile", "email", "employee_no", "user_id",
                                                   "bound_oa_login_id", "oa_value"])
        #expect(BindingSheet.columns.last?.header == "OA 关联值 (oa_value)")
    }

    // MARK: planning

    @Test(arguments: [
        (BindingSheet.Field.mobile, "+86 138 0000 1001"), (.mobile, "0086-138-0000-1001"), (.mobile, "13800001001"),
        (.email, " ZHANG1@example.COM "), (.employeeNo, "E001"), (.loginID, " zhang1 "), (.oaID, "1001"),
    ])
    func valuesAreNormalisedLikeAutoBind(_ field: BindingSheet.Field, _ value: String) {
        let plan = Self.plan([Row(line: 2, unionID: "u1", value: value)], field)
        #expect(Self.outcomes(plan) == [.bound], "\(plan.rows)")
        #expect(plan.bindings.map(\.oaUserID) == ["1001"])
        #expect(plan.rows.first?.message == "to the OA user zhang1 (张一)")
    }

    @Test func everyOutcome() {
        let rows = [
            Row(line: 2, unionID: "u1", value: "138 0000 1001"),  // bound
            Row(line: 3, unionID: "u2", value: ""),  // skipped
            Row(line: 4, unionID: "u3", value: "13000000000"),  // no OA user
            Row(line: 5, unionID: "u4", value: "+8613900000000"),  // two OA users
            Row(line: 6, unionID: "nobody", value: "13800001002"),  // unknown union_id
            Row(line: 7, unionID: "", value: "13800001002"),  // no union_id
            Row(line: 8, unionID: "u5", value: "13700000000"),  // left
            Row(line: 9, unionID: "u6", value: "not-a-phone"),  // not a number
        ]
        let plan = Self.plan(rows)
        #expect(Self.outcomes(plan) == [.bound, .skipped, .notFound, .conflict, .invalid, .invalid, .invalid, .invalid])
        #expect(plan.rows.map(\.message) == [
            "to the OA user zhang1 (张一)", "no value", "no OA user has this value",
            "several OA users have this value: twin-a (双甲), twin-b (双乙)",
            "this union_id is not a live user of the enterprise's Feishu directory", "no union_id",
            "the OA user with this value has left: gone (离职者)", "not a mobile number",
        ])
        #expect(plan.rows[6].oaUserID == "1005" && plan.rows[3].oaUserID == nil)
        var counts = BindingSheet.Counts()
        counts.rows = 8
        counts.bound = 1
        counts.skipped = 1
        counts.notFound = 1
        counts.conflict = 1
        counts.invalid = 4
        #expect(plan.counts == counts)
        #expect(plan.bindings.map(\.unionID) == ["u1"])
    }

    @Test func alreadyBoundSaysToWhom() {
        let rows = [
            Row(line: 2, unionID: "u1", value: "13800001001"),  // u1 ⇄ 1001 already: the same binding
            Row(line: 3, unionID: "u2", value: "13500000000"),  // u2 is bound to 1006 already
            Row(line: 4, unionID: "u3", value: "13600000000"),  // 1006 is bound to u2
        ]
        let plan = Self.plan(rows, bound: ["u1": "1001", "u2": "1006"])
        #expect(Self.outcomes(plan) == [.alreadyBound, .alreadyBound, .alreadyBound])
        #expect(plan.rows.map(\.message) == [
            "this Feishu user is bound to this OA user already: zhang1 (张一)",
            "this Feishu user is already bound to the OA user taken (已绑)",
            "the OA user taken (已绑) is already bound to the Feishu user 张二 (u2)",
        ])
        #expect(plan.bindings.isEmpty)
    }

    @Test func twoRowsNamingOneOAUserOrOneUnionIDOnTwoRowsBindNobody() {
        let rows = [
            Row(line: 2, unionID: "u1", value: "13500000000"),
            Row(line: 3, unionID: "u2", value: "+86 135 0000 0000"),  // the same OA user as line 2
            Row(line: 4, unionID: "u3", value: "zhang1"),
            Row(line: 5, unionID: "u3", value: "zhang2"),  // u3 twice
            Row(line: 6, unionID: "u3", value: ""),  // a third, empty row of u3 is only skipped
            Row(line: 7, unionID: "u4", value: "zhang2"),
        ]
        let mobile = Self.plan(Array(rows.prefix(2)))
        #expect(Self.outcomes(mobile) == [.conflict, .conflict])
        #expect(mobile.rows.first?.message == "lines 2, 3 name the same OA user free (空闲)")
        let logins = Self.plan(Array(rows.dropFirst(2)), .loginID)
        #expect(Self.outcomes(logins) == [.conflict, .conflict, .skipped, .bound])
        #expect(logins.rows.first?.message == "the same union_id is on lines 4, 5")
        #expect(logins.bindings.map { "\($0.unionID)→\($0.oaUserID)" } == ["u4→1002"])
    }

    @Test func aLeftUserDoesNotMakeAnActiveOneAmbiguous() {
        var oa = Self.oa
        oa.append(BindingSheet.OAUser(oaID: "2001", loginID: "old-zhang1", name: "张一（旧）", mobile: "13800001001", active: false))
        let plan = BindingSheet.plan([Row(line: 2, unionID: "u1", value: "13800001001")], field: .mobile, feishu: Self.feishu, oa: oa,
                                     bound: [:])
        #expect(plan.bindings.map(\.oaUserID) == ["1001"])
    }

    @Test func everyRowNamesItsPeople() {
        let plan = Self.plan([
            Row(line: 2, unionID: "u1", value: "13800001001"),
            Row(line: 3, unionID: "u2", value: "13100000000"),
            Row(line: 4, unionID: "u3", value: "13500000000"),
            Row(line: 5, unionID: "nobody", value: "13500000000"),
        ])
        #expect(plan.rows.map(\.outcome) == [.bound, .notFound, .bound, .invalid])
        #expect(plan.rows.map(\.feishuName) == ["张一", "张二", "张三", nil])
        #expect(plan.rows.map(\.oaName) == ["张一", nil, "空闲", nil])
        #expect(plan.rows.map(\.oaLoginID) == ["zhang1", nil, "free", nil])
    }

    @Test func fieldsNormaliseWithAutoBindsRules() {
        #expect(BindingSheet.Field.mobile.normalize("138 0000 1001") == BindingField.mobile.normalize("+86-13800001001"))
        #expect(BindingSheet.Field.email.normalize(" A@B.cn ") == "a@b.cn")
        #expect(BindingSheet.Field.employeeNo.normalize("e01") == "E01")
        #expect(BindingSheet.Field.loginID.normalize(" Zhang ") == "Zhang")
        #expect(BindingSheet.Field.oaID.normalize("  ") == nil)
        #expect(BindingSheet.Field.allCases.map(\.rawValue) == ["loginID", "mobile", "email", "employeeNo", "oaID"])
    }
}
