import Testing
import YunqiaoCore

@Suite struct PushRulesTests {
    func target(_ app: Int64, _ type: PushMessageType = .card, quick: Bool = false, enterprise: Int64 = 1) -> PushTarget {
        PushTarget(enterpriseID: enterprise, appID: app, type: type, quickApproval: quick)
    }

    @Test func aRuleMatchesItsOwnSourceOnly() {
        let rules = [PushRule(id: 1, name: "日报", source: "daily-report", targets: [target(10, .text)])]
        #expect(PushRules.match(source: "daily-report", rules: rules) == [target(10, .text)])
        #expect(PushRules.match(source: "approval", rules: rules).isEmpty)
        #expect(PushRules.match(source: "Daily-Report", rules: rules).isEmpty, "sources are compared exactly")
    }

    @Test func anAllSourcesRuleMatchesEveryModule() {
        let rules = [PushRule(id: 1, name: "全部", source: PushRules.allSources, targets: [target(10)])]
        for source in ["daily-report", "approval", "attendance"] {
            #expect(PushRules.match(source: source, rules: rules) == [target(10)])
        }
    }

    @Test func severalRulesAndTargetsMatchTogether() {
        let rules = [
            PushRule(id: 1, name: "审批", source: "approval", targets: [target(10, .todo, quick: true), target(20, .text, enterprise: 2)]),
            PushRule(id: 2, name: "全部", source: "*", targets: [target(30, .rich)]),
            PushRule(id: 3, name: "日报", source: "daily-report", targets: [target(40)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules)
            == [target(10, .todo, quick: true), target(20, .text, enterprise: 2), target(30, .rich)])
        #expect(PushRules.match(source: "daily-report", rules: rules) == [target(30, .rich), target(40)])
    }

    @Test func disabledRulesDoNotMatch() {
        let rules = [
            PushRule(id: 1, name: "审批", source: "approval", enabled: false, targets: [target(10)]),
            PushRule(id: 2, name: "全部", source: "*", enabled: false, targets: [target(20)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules).isEmpty)
    }

    @Test func eachAppGetsTheMessageOnceAndTheFirstRuleByIDWins() {
        // Given out of order: rule 2 (by id, the first) decides app 10's type, whatever the order of the list.
        let rules = [
            PushRule(id: 5, name: "全部", source: "*", targets: [target(10, .text), target(20, .rich)]),
            PushRule(id: 2, name: "审批", source: "approval", targets: [target(10, .todo, quick: true)]),
            PushRule(id: 9, name: "审批 2", source: "approval", targets: [target(20, .card), target(30)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules) == [target(10, .todo, quick: true), target(20, .rich), target(30)])
        // A disabled first rule leaves the app to the next one.
        var disabled = rules
        disabled[1].enabled = false
        #expect(PushRules.match(source: "approval", rules: disabled) == [target(10, .text), target(20, .rich), target(30)])
    }

    @Test func twoTargetsOfOneAppInOneRuleKeepTheFirst() {
        let rules = [PushRule(id: 1, name: "审批", source: "approval", targets: [target(10, .card), target(10, .text)])]
        #expect(PushRules.match(source: "approval", rules: rules) == [target(10, .card)])
    }

    @Test func noRulesNoTargets() {
        #expect(PushRules.match(source: "approval", rules: []).isEmpty)
        #expect(PushRules.match(source: "approval", rules: [PushRule(id: 1, name: "空", source: "*", targets: [])]).isEmpty)
    }
}
