import Testing
import YunqiaoCore

@Suite struct SyncPlannerTests {
    let root = MirrorDepartment(openDepartmentID: "od-a", name: "A", parentOpenDepartmentID: "0")
    let child = MirrorDepartment(openDepartmentID: "od-b", name: "B", parentOpenDepartmentID: "od-a")
    let alice = MirrorUser(unionID: "on_a", openID: "ou_a", name: "Alice", departmentIDs: ["od-a"])
    let bob = MirrorUser(unionID: "on_b", openID: "ou_b", name: "Bob", departmentIDs: ["od-b"])

    @Test func emptyMirrorCreatesEverything() {
        let plan = SyncPlanner.plan(mirror: DirectoryMirror(), snapshot: DirectorySnapshot(departments: [root, child], users: [alice]),
                                    verdict: VanishedVerdict())
        #expect(plan.departments.created.count == 2)
        #expect(plan.users.created == [alice])
        #expect(plan.departments.updated.isEmpty && plan.users.deleted.isEmpty)
    }

    @Test func identicalSnapshotPlansNothing() {
        let mirror = DirectoryMirror(departments: ["od-a": root, "od-b": child], users: ["on_a": alice])
        let plan = SyncPlanner.plan(mirror: mirror, snapshot: DirectorySnapshot(departments: [root, child], users: [alice]),
                                    verdict: VanishedVerdict())
        #expect(plan.isEmpty)
    }

    @Test func movesAreUpdatesFlaggedAsMoved() {
        var movedChild = child
        movedChild.parentOpenDepartmentID = "0"
        var partTime = alice
        partTime.departmentIDs = ["od-a", "od-b"]
        var movedAlice = alice
        movedAlice.departmentIDs = ["od-b", "od-a"]  // same set, other primary: an update, not a move
        var renamedBob = bob
        renamedBob.departmentIDs = ["od-a"]
        let mirror = DirectoryMirror(departments: ["od-a": root, "od-b": child], users: ["on_a": partTime, "on_b": bob])
        let plan = SyncPlanner.plan(mirror: mirror,
                                    snapshot: DirectorySnapshot(departments: [root, movedChild], users: [movedAlice, renamedBob]),
                                    verdict: VanishedVerdict())
        #expect(plan.departments.updated == [movedChild])
        #expect(plan.departments.moved == ["od-b"])
        #expect(plan.users.updated.count == 2)
        #expect(plan.users.moved == ["on_b"])
    }

    @Test func vanishedEntriesAreDeletedOnlyWhenTheSourceSaysSo() {
        let mirror = DirectoryMirror(departments: ["od-a": root, "od-b": child], users: ["on_a": alice, "on_b": bob])
        let snapshot = DirectorySnapshot(departments: [root], users: [])
        #expect(SyncPlanner.vanished(mirror: mirror, snapshot: snapshot) == VanishedEntries(departments: ["od-b"], users: ["on_a", "on_b"]))
        let plan = SyncPlanner.plan(mirror: mirror, snapshot: snapshot, verdict: VanishedVerdict(deletedUsers: ["on_b"]))
        #expect(plan.users.deleted == ["on_b"])
        #expect(plan.users.outOfScope == ["on_a"])
        #expect(plan.departments.outOfScope == ["od-b"])
        #expect(plan.departments.deleted.isEmpty)
    }

    @Test func reportCountsFollowThePlan() {
        var plan = SyncPlan()
        plan.users.created = [alice]
        plan.users.deleted = ["on_x"]
        plan.departments.moved = ["od-b"]
        var report = SyncReport()
        report.record(plan, seenDepartments: 2, seenUsers: 1)
        #expect(report.users.created == 1 && report.users.deleted == 1 && report.users.seen == 1)
        #expect(report.departments.moved == 1 && report.departments.seen == 2)
        #expect(report.summary.contains("users: seen 1, created 1"))
    }
}
