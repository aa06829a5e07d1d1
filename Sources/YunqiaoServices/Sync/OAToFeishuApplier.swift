import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// Applies a mode-3 plan to Feishu item by item, in ``OAToFeishuPlan/applyOrder`` (departments parents first, then
/// users, then department deletes), journaling each item with what it leaves in the bridge (a department link, a
/// binding, a disable time) in one transaction.
///
/// Resumable: items already in the journal are not sent again; creates carry `client_token` = run and position, so a
/// create Feishu applied just before a crash answers the same department or user when sent again, and a delete that
/// finds its target already gone counts as done. Feishu's refusals (mobile exists, seat limit, sibling name…) fail
/// their item with Feishu's code and message; the run goes on. Items that need a department whose creation failed
/// fail too, naming it.
struct OAToFeishuApplier {
    let database: any BridgeStore
    let client: FeishuClient
    let run: OAToFeishuRunRecord
    let plan: OAToFeishuPlan
    let logger: Logger

    /// Items written at once: Feishu's 50/s per API is reached with round trips up to 160 ms (as the client's permits).
    static let usersInFlight = 8

    /// Applies what the journal does not hold yet and answers the whole run's report. Departments go level by level
    /// (a parent before its children), several at once within a level; then users, several at once; department deletes
    /// last, one at a time, deepest first.
    func apply() async throws -> OAToFeishuReport {
        guard let runId = run.id else { return OAToFeishuReport() }
        let order = plan.applyOrder
        var journal = try await database.oaToFeishu.oaToFeishuSteps(runId: runId)
        var created: [String: String] = [:]
        for (position, item) in order.enumerated() {
            if case .department(let index) = item, let step = journal[position], step.done, let id = step.feishuID {
                created[pendingID(plan.departments[index])] = id
            }
        }
        let todo = order.enumerated().filter { journal[$0.offset] == nil }
        let users = todo.filter { if case .user = $0.element { true } else { false } }
        let (departments, deletes) = (todo.filter { if case .department(let index) = $0.element { plan.departments[index].action != .delete } else { false } },
                                      todo.filter { if case .department(let index) = $0.element { plan.departments[index].action == .delete } else { false } })
        // Departments level by level (a level's parents exist once the level above is done), several at once.
        let levels = Dictionary(grouping: departments) { entry -> Int in
            if case .department(let index) = entry.element { return plan.departments[index].path.count }
            return 0
        }
        for level in levels.keys.sorted() {
            let resolved = created
            for record in try await applyConcurrently(levels[level] ?? [], runId: runId, created: resolved) {
                journal[record.position] = record
                if case .department(let index) = order[record.position], record.done, let id = record.feishuID {
                    created[pendingID(plan.departments[index])] = id
                }
            }
        }
        for record in try await applyConcurrently(users, runId: runId, created: created) { journal[record.position] = record }
        for (position, item) in deletes {
            journal[position] = try await applyOne(item, position: position, runId: runId, created: created)
        }
        return report(order, journal)
    }

    /// Sends `items` with at most ``usersInFlight`` in flight; answers their journal entries.
    func applyConcurrently(_ items: [(offset: Int, element: OAToFeishuPlan.Item)], runId: Int64, created: [String: String]) async throws
        -> [OAToFeishuStepRecord]
    {
        try await withThrowingTaskGroup(of: OAToFeishuStepRecord.self) { group in
            var pending = items[...]
            var records: [OAToFeishuStepRecord] = []
            func next() {
                guard let (position, item) = pending.popFirst() else { return }
                group.addTask { try await applyOne(item, position: position, runId: runId, created: created) }
            }
            for _ in 0..<Self.usersInFlight { next() }
            while let record = try await group.next() {
                records.append(record)
                next()
            }
            return records
        }
    }

    /// Sends one item and journals it with what it leaves; a refusal is journaled as the item's failure.
    func applyOne(_ item: OAToFeishuPlan.Item, position: Int, runId: Int64, created: [String: String]) async throws -> OAToFeishuStepRecord {
        try Task.checkCancellation()
        let record: OAToFeishuStepRecord
        let effect: OAToFeishuEffect
        do {
            let (feishuID, left) = try await execute(item, position: position, runId: runId, created: created)
            record = OAToFeishuStepRecord(runId: runId, position: position, done: true, feishuID: feishuID, at: Date())
            effect = left
        } catch let error as CancellationError {
            throw error
        } catch {
            record = OAToFeishuStepRecord(runId: runId, position: position, done: false, error: Self.describe(error), at: Date())
            effect = .none
            logger.warning("OA → Feishu item failed", metadata: ["position": "\(position)", "error": "\(error)"])
        }
        try await database.oaToFeishu.recordOAToFeishuStep(record, enterpriseId: run.enterpriseId, effect: effect)
        return record
    }

    /// The pending id a created department is referred to by (`oa:<id>`, or the disabled users' department).
    func pendingID(_ step: OAToFeishuPlan.DepartmentStep) -> String {
        step.oaID.map(OAToFeishuPlanner.pending) ?? OAToFeishuPlanner.disabledPending
    }

    struct Unresolved: Error, CustomStringConvertible {
        var department: String
        var description: String { "its department \(department) could not be created" }
    }

    func resolve(_ id: String, _ created: [String: String]) throws -> String {
        guard id.hasPrefix("oa:") else { return id }
        guard let feishu = created[id] else { throw Unresolved(department: String(id.dropFirst(3))) }
        return feishu
    }

    func token(_ runId: Int64, _ position: Int) -> String { "yq-\(runId)-\(position)" }

    func execute(_ item: OAToFeishuPlan.Item, position: Int, runId: Int64, created: [String: String]) async throws
        -> (String?, OAToFeishuEffect)
    {
        switch item {
        case .department(let index):
            let step = plan.departments[index]
            switch step.action {
            case .create:
                let department = try await client.createDepartment(name: step.name, parent: try resolve(step.parent, created),
                                                                   clientToken: token(runId, position))
                return (department.openDepartmentID, step.oaID.map { .link(oaID: $0, openDepartmentID: department.openDepartmentID) } ?? .none)
            case .update:
                let id = step.feishuID ?? ""
                _ = try await client.patchDepartment(id, name: step.name, parent: try resolve(step.parent, created))
                return (id, step.oaID.map { .link(oaID: $0, openDepartmentID: id) } ?? .none)
            case .delete:
                let id = step.feishuID ?? ""
                do { try await client.deleteDepartment(id) } catch let error as FeishuAPIError {
                    // Sent again after a crash: gone already is done.
                    if let existing = try? await client.department(id), !existing.isDeleted { throw error }
                }
                return (id, .none)
            case .match:
                return (step.feishuID, .none)
            }
        case .user(let index):
            let step = plan.users[index]
            let departments = try step.departments.map { try $0.map { try resolve($0, created) } }
            var fields = FeishuClient.UserFields(departmentIDs: departments)
            for change in step.changes { fields.set(change.field, change.new) }
            let openID = step.openID ?? ""
            switch step.action {
            case .create:
                fields.userID = step.account
                let user = try await client.createUser(fields, clientToken: token(runId, position))
                let mirror = FeishuDirectoryReader.mirror(user)
                return (user.openID, step.oaID.map { .bind(oaUserID: $0, user: mirror) } ?? .none)
            case .update:
                _ = try await client.patchUser(openID, fields)
                return (openID, .none)
            case .enable:
                fields.isFrozen = false
                _ = try await client.patchUser(openID, fields)
                return (openID, .enabled(unionID: step.unionID ?? ""))
            case .disable:
                fields.isFrozen = true
                _ = try await client.patchUser(openID, fields)
                return (openID, .disabled(unionID: step.unionID ?? ""))
            case .delete, .deleteOutOfScope:
                do { try await client.deleteUser(openID) } catch let error as FeishuAPIError {
                    guard (try? await client.user(openID))?.status?.isResigned == true else { throw error }
                }
                return (openID, .deleted(oaUserID: step.oaID, unionID: step.unionID ?? ""))
            case .skip:
                return (nil, .none)
            }
        }
    }

    /// A failure in a few words: Feishu's code and message, or what stopped the item.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as FeishuAPIError: "Feishu \(error.code): \(error.msg)"
        default: "\(error)"
        }
    }

    func report(_ order: [OAToFeishuPlan.Item], _ journal: [Int: OAToFeishuStepRecord]) -> OAToFeishuReport {
        var report = OAToFeishuReport()
        for (position, item) in order.enumerated() {
            guard let step = journal[position] else { continue }
            let (action, name) = switch item {
            case .department(let index): ("departments." + plan.departments[index].action.rawValue, plan.departments[index].name)
            case .user(let index): ("users." + plan.users[index].action.rawValue, plan.users[index].name)
            }
            if step.done {
                report.applied[action, default: 0] += 1
            } else {
                report.failed[action, default: 0] += 1
                report.failures.append(.init(position: position, action: action, name: name,
                                             message: LocalizedText(verbatim: step.error ?? "")))
            }
        }
        return report
    }
}

extension FeishuClient.UserFields {
    /// Sets the Feishu field a mapping names.
    mutating func set(_ field: FeishuUserField, _ value: String?) {
        switch field {
        case .name: name = value
        case .enName: enName = value
        case .mobile: mobile = value
        case .email: email = value
        case .employeeNo: employeeNo = value
        case .jobTitle: jobTitle = value
        }
    }
}
