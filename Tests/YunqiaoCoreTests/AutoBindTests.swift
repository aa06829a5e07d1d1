import Testing
@testable import YunqiaoCore

@Suite struct AutoBindTests {
    @Test(arguments: [
        ("+86 138-0000-1008", "+8613800001008"), ("0086 13800001008", "+8613800001008"), ("8613800001008", "+8613800001008"),
        ("13800001008", "+8613800001008"), (" (138) 0000 1008 ", "+8613800001008"), ("+1 415 555 0100", "+14155550100"),
    ])
    func mobilesAreComparedWithTheirCountryCode(_ input: String, _ expected: String) {
        #expect(BindingField.mobile.normalize(input) == expected)
    }

    @Test func emptyAndNonsenseValuesNeverMatch() {
        #expect(BindingField.mobile.normalize("  ") == nil)
        #expect(BindingField.mobile.normalize("n/a") == nil)
        #expect(BindingField.email.normalize(" Zhang.San@Example.COM ") == "zhang.san@example.com")
        #expect(BindingField.employeeNo.normalize(" e1001 ") == "E1001")
        #expect(BindingField.userID.normalize(nil) == nil)
    }

    private func user(_ key: String, _ values: [BindingField: String]) -> BindingCandidate { BindingCandidate(key: key, values: values) }

    @Test func precedenceDecidesAndLowerFieldsAreOnlyTriedWithoutAValue() {
        let feishu = [
            user("f1", [.employeeNo: "E1", .mobile: "13800000001"]),  // employee no. decides: oa1
            user("f2", [.mobile: "+86 138 0000 0002"]),  // no employee no. → mobile: oa2
            user("f3", [.employeeNo: "E404", .email: "C@x.cn"]),  // E404 unknown → email: oa3
            user("f4", [.email: "nobody@x.cn"]),
        ]
        let oa = [
            user("oa1", [.employeeNo: "e1", .mobile: "13800000009"]),
            user("oa2", [.mobile: "13800000002"]),
            user("oa3", [.email: "c@x.cn"]),
            user("oa9", [.mobile: "13800000001"]),
        ]
        let plan = AutoBinder.plan(feishu: feishu, oa: oa, bound: [:], fields: [.employeeNo, .mobile, .email])
        #expect(plan.matches == [
            .init(feishuKey: "f1", oaKey: "oa1", field: .employeeNo), .init(feishuKey: "f2", oaKey: "oa2", field: .mobile),
            .init(feishuKey: "f3", oaKey: "oa3", field: .email),
        ])
        #expect(plan.conflicts.isEmpty)
        #expect(plan.unmatched == 1)
    }

    @Test func everyConflictKindGoesToTheQueueAndNothingIsGuessed() {
        let feishu = [
            user("f-ambiguous", [.mobile: "13800000001", .email: "a@x.cn"]),
            user("f-taken", [.email: "taken@x.cn"]),
            user("f-twin-1", [.employeeNo: "E7"]),
            user("f-twin-2", [.employeeNo: "e7"]),
            user("f-already", [.email: "free@x.cn"]),
        ]
        let oa = [
            user("oa-a", [.mobile: "+8613800000001"]), user("oa-b", [.mobile: "138 0000 0001"]), user("oa-email", [.email: "a@x.cn"]),
            user("oa-taken", [.email: "TAKEN@x.cn"]), user("oa-7", [.employeeNo: "E7"]), user("oa-free", [.email: "free@x.cn"]),
        ]
        let plan = AutoBinder.plan(feishu: feishu, oa: oa, bound: ["f-other": "oa-taken", "f-already": "oa-x"],
                                   fields: [.employeeNo, .mobile, .email])
        #expect(plan.matches.isEmpty)
        #expect(Set(plan.conflicts) == [
            BindingConflict(kind: .ambiguous, feishuKey: "f-ambiguous", field: .mobile, value: "+8613800000001", oaKeys: ["oa-a", "oa-b"]),
            BindingConflict(kind: .alreadyBound, feishuKey: "f-taken", field: .email, value: "taken@x.cn", oaKeys: ["oa-taken"]),
            BindingConflict(kind: .contested, feishuKey: "f-twin-1", field: .employeeNo, value: "E7", oaKeys: ["oa-7"]),
            BindingConflict(kind: .contested, feishuKey: "f-twin-2", field: .employeeNo, value: "E7", oaKeys: ["oa-7"]),
        ])
        #expect(plan.unmatched == 0)
    }

    @Test func onlyTheChosenFieldsAreUsed() {
        let plan = AutoBinder.plan(feishu: [user("f", [.email: "a@x.cn"])], oa: [user("o", [.email: "a@x.cn"])], bound: [:],
                                   fields: [.mobile])
        #expect(plan.matches.isEmpty && plan.unmatched == 1)
    }
}

/// The byte path of mobile normalisation says what the character path says, for every ASCII form.
@Suite struct MobileNormalisationTests {
    @Test(arguments: ["+86 138-0000-1008", "0086 13800001008", "8613800001008", "13800001008", "+1 415 555 0100", "(010) 6552.1234",
                      "138 0000 1008x", "", "   ", "+", "00", "abc", "+86 (138) 0000-1008", "１３８００００１００８"])
    func bytesAgreeWithCharacters(_ raw: String) {
        #expect(BindingField.normalizeMobile(raw) == BindingField.normalizeAnyMobile(raw), "\(raw)")
    }
}
