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
        // The rule of the module itself comes first, then the rules of every module.
        #expect(PushRules.match(source: "daily-report", rules: rules) == [target(40), target(30, .rich)])
    }

    @Test func disabledRulesDoNotMatch() {
        let rules = [
            PushRule(id: 1, name: "审批", source: "approval", enabled: false, targets: [target(10)]),
            PushRule(id: 2, name: "全部", source: "*", enabled: false, targets: [target(20)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules).isEmpty)
    }

    @Test func eachAppGetsTheMessageOnceAndTheFirstRuleByIDWins() {
        // Given out of order: rule 2 (by id, the first of the module's rules) decides app 10's type, whatever the order of the list.
        let rules = [
            PushRule(id: 9, name: "审批 2", source: "approval", targets: [target(10, .card), target(30)]),
            PushRule(id: 2, name: "审批", source: "approval", targets: [target(10, .todo, quick: true), target(20, .rich)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules) == [target(10, .todo, quick: true), target(20, .rich), target(30)])
        // A disabled first rule leaves the app to the next one.
        var disabled = rules
        disabled[1].enabled = false
        #expect(PushRules.match(source: "approval", rules: disabled) == [target(10, .card), target(30)])
    }

    @Test func aRuleForTheModuleWinsOverAnEarlierAllSourcesRule() {
        // The "*" rule was made first (a smaller id): the module's own rule still decides how its messages reach app 10.
        let rules = [
            PushRule(id: 1, name: "全部", source: "*", targets: [target(10, .text), target(20, .rich)]),
            PushRule(id: 2, name: "审批", source: "approval", targets: [target(10, .todo, quick: true)]),
            PushRule(id: 3, name: "审批 2", source: "approval", targets: [target(20, .card), target(30)]),
        ]
        #expect(PushRules.match(source: "approval", rules: rules) == [target(10, .todo, quick: true), target(20, .card), target(30)])
        #expect(PushRules.matches(source: "approval", rules: rules).map(\.ruleID) == [2, 3, 3])
        // Other modules keep the "*" rule's targets.
        #expect(PushRules.match(source: "daily-report", rules: rules) == [target(10, .text), target(20, .rich)])
        // The module's rule switched off: the "*" rule takes the app again.
        var disabled = rules
        disabled[1].enabled = false
        #expect(PushRules.matches(source: "approval", rules: disabled).map { [$0.ruleID, $0.target.appID] } == [[3, 20], [3, 30], [1, 10]])
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
