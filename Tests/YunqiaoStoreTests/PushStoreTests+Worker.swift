import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

/// The push worker's side of the store: leased claims, releases, card updates and holds; todo states.
extension PushStoreTests {
    // MARK: worker

    @Test func claimsAreLeasedOnceTakenOverWhenTheLeaseRunsOutAndOutcomesRecorded() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        let accepted = try await f.accept(Self.message("wf-2", todo: .init(id: "wf-2")))
        let now = Date()
        let jobs = try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease)
        #expect(jobs.count == 2)
        #expect(jobs.allSatisfy { $0.todoState == .pending && $0.type == .todo && $0.unionID != nil && $0.attempts == 0 })
        // Held: neither this worker nor another one gets them again while the lease holds …
        let other = OutboxLease(owner: "worker-2", duration: 60)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).isEmpty)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now.addingTimeInterval(59), lease: other).isEmpty)
        // … a renewed lease holds longer …
        #expect(try await f.database.outbox.renewOutboxLeases(f.lease, now: now.addingTimeInterval(30)) == 2)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now.addingTimeInterval(61), lease: other).isEmpty)
        // … and once it ran out (the worker died), another worker takes them over (a delivery counts failed attempts only).
        let later = now.addingTimeInterval(91)
        let again = try await f.database.outbox.claimDueDeliveries(limit: 10, now: later, lease: other)
        #expect(again.map(\.id) == jobs.map(\.id) && again.allSatisfy { $0.attempts == 0 })
        // What the first worker records now is dropped: the deliveries are the second one's.
        try await f.database.outbox.finishDeliveries([(jobs[0].id, .dead(error: "too late"))], lease: f.lease, at: later)
        #expect(try await f.database.messages.messageDetail(tenantId: f.tenant, id: accepted.id).deliveries.allSatisfy { $0.delivery.state == "pending" })

        let retryAt = later.addingTimeInterval(30)
        try await f.database.outbox.finishDeliveries([(again[0].id, .retry(at: retryAt, error: "Feishu error 230020: too fast")),
                                               (again[1].id, .sent(feishuMessageID: "om_1", renderedState: .pending, note: nil))],
                                              lease: other, at: later)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: later, lease: other).isEmpty)
        #expect(try await f.database.outbox.nextPushDue().map { abs($0.timeIntervalSince(retryAt)) < 0.01 } == true)
        let retried = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: retryAt, lease: other).first)
        #expect(retried.attempts == 1)
        try await f.database.outbox.finishDeliveries([(retried.id, .dead(error: "code 230013"))], lease: other, at: retryAt)

        let detail = try await f.database.messages.messageDetail(tenantId: f.tenant, id: accepted.id)
        #expect(detail.deliveries.map(\.delivery.state) == ["dead", "sent"])
        #expect(detail.deliveries[0].delivery.attempts == 2 && detail.deliveries[0].delivery.lastError == "code 230013")
        #expect(detail.deliveries[1].delivery.feishuMessageID == "om_1" && detail.deliveries[1].delivery.sentAt != nil)
        #expect(detail.deliveries.allSatisfy { $0.delivery.leaseOwner == nil && $0.delivery.leaseExpiresAt == nil })
    }

    @Test func aReleasedClaimIsDueAgainAsItWas() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text")])
        _ = try await f.accept(Self.message("rel", to: ["u1"]))
        let now = Date()
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(job.id, .released)], lease: f.lease, at: now)
        let again = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).first)
        #expect(again.id == job.id && again.attempts == 0)
    }

    /// The card-action queue is the same outbox: an action whose worker died mid-call is called again once the lease ran
    /// out, and counts that started attempt; the dead worker's late outcome is dropped.
    @Test func aCardActionOfADeadWorkerIsTakenOverWhenItsLeaseRunsOut() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo", quickApproval: true)])
        _ = try await f.accept(Self.message("wf-9", to: ["u1"], todo: .init(id: "wf-9", actions: ["approve", "reject"])))
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(job.id, .sent(feishuMessageID: "om_9", renderedState: .pending, note: nil))],
                                                     lease: f.lease, at: Date())
        let click = CardClick(appId: f.a1, deliveryId: job.id, todoId: "wf-9", action: .approve, unionID: job.unionID, openID: "ou_1",
                              userID: nil, messageID: "om_9", eventID: "ev-1")
        guard case .accepted(let recorded, _) = try await f.database.cardActions.recordCardClick(click) else {
            Issue.record("the click was not accepted")
            return
        }
        let now = Date()
        let dead = OutboxLease(owner: "dead-worker", duration: 35)
        let first = try await f.database.outbox.claimDueCardActions(limit: 10, now: now, lease: dead)
        #expect(first.map(\.action.actionId) == [recorded.actionId] && first.first?.action.attempts == 1)
        #expect(try await f.database.cardActions.cardAction(recorded.actionId)?.leaseOwner == "dead-worker")
        // Held while the lease runs: no second call of the OA.
        #expect(try await f.database.outbox.claimDueCardActions(limit: 10, now: now.addingTimeInterval(34), lease: f.lease).isEmpty)
        // Then the next worker calls again (the OA dedupes by actionId): a second started attempt.
        let again = try await f.database.outbox.claimDueCardActions(limit: 10, now: now.addingTimeInterval(36), lease: f.lease)
        #expect(again.map(\.action.actionId) == [recorded.actionId] && again.first?.action.attempts == 2)
        #expect(try await f.database.outbox.finishCardAction(recorded.actionId, .failed, result: "late", lease: dead) == false)
        #expect(try await f.database.outbox.finishCardAction(recorded.actionId, .done, result: "HTTP 200", lease: f.lease))
        let done = try #require(try await f.database.cardActions.cardAction(recorded.actionId))
        #expect(done.actionState == .done && done.result == "HTTP 200" && done.leaseOwner == nil && done.finishedAt != nil)
    }

    @Test func aCardSentWhileItsTodoChangedGetsAnUpdate() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        _ = try await f.accept(Self.message("wf-3", to: ["u1"], todo: .init(id: "wf-3")))
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        // The todo is handled while the card is on its way (rendered pending): no sent card yet, so no update queued …
        let change = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-3", state: .done, by: "张三", at: Date())
        #expect(change.changed && change.cardUpdates == 0)
        // … until the send is recorded: then one.
        try await f.database.outbox.finishDeliveries([(job.id, .sent(feishuMessageID: "om_3", renderedState: .pending, note: nil))], lease: f.lease, at: Date())
        let cards = try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease)
        #expect(cards.map(\.deliveryId) == [job.id])
        #expect(cards.first?.todoState == .done && cards.first?.feishuMessageID == "om_3")
    }

    /// A failed quick approval puts the pending style back outside the queue; a todo made final meanwhile must get its
    /// final style after that PATCH, never before it.
    @Test func aHeldCardLetsItsFinalUpdateGoOnlyAfterTheHold() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        _ = try await f.accept(Self.message("wf-5", to: ["u1"], todo: .init(id: "wf-5")))
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(job.id, .sent(feishuMessageID: "om_5", renderedState: .pending, note: nil))], lease: f.lease, at: Date())

        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease))
        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease) == false, "one hold at a time")
        let change = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-5", state: .approved, by: "李经理", at: Date())
        #expect(change.cardUpdates == 1)
        #expect(try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease).isEmpty, "the final style waits for the hold")
        try await f.database.outbox.releaseCard(deliveryId: job.id, lease: f.lease)
        let cards = try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease)
        #expect(cards.map(\.deliveryId) == [job.id] && cards.first?.todoState == .approved)
        // A final todo's card is not put back to pending at all.
        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease) == false)

        // A hold with nothing queued leaves nothing behind.
        _ = try await f.accept(Self.message("wf-6", to: ["u1"], todo: .init(id: "wf-6")))
        let other = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(other.id, .sent(feishuMessageID: "om_6", renderedState: .pending, note: nil))], lease: f.lease, at: Date())
        #expect(try await f.database.outbox.holdCard(deliveryId: other.id, lease: f.lease))
        try await f.database.outbox.releaseCard(deliveryId: other.id, lease: f.lease)
        #expect(try await f.database.outbox.holdCard(deliveryId: other.id, lease: f.lease), "released: can be held again")
        try await f.database.outbox.releaseCard(deliveryId: other.id, lease: f.lease)
        #expect(try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease).isEmpty)
    }

    // MARK: todos

    @Test func aFinalTodoStateIsFinal() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo"), .init(enterpriseId: f.e1, appId: f.a2, type: "card")])
        _ = try await f.accept(Self.message("wf-4", todo: .init(id: "wf-4")))
        let jobs = try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease)
        try await f.database.outbox.finishDeliveries(jobs.map { ($0.id, .sent(feishuMessageID: "om_\($0.id)", renderedState: .pending, note: nil)) },
                                              lease: f.lease, at: Date())

        await #expect(throws: TodoChangeError.notFound(source: "approval", todoId: "nope")) {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "nope", state: .done, by: "x", at: Date())
        }
        #expect(await Self.field {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .pending, by: "x", at: Date())
        } == "state")
        #expect(await Self.field {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: " ", at: Date())
        } == "by")
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let approved = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: "李经理", at: at)
        // Only the todo cards (A1, two recipients) are updated, not A2's plain cards.
        #expect(approved.changed && approved.cardUpdates == 2)
        #expect(approved.todo.actor == "李经理" && approved.todo.at == at)
        let same = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: "someone", at: Date())
        #expect(!same.changed && same.cardUpdates == 0 && same.todo.actor == "李经理")
        await #expect(throws: TodoChangeError.self) {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .rejected, by: "x", at: Date())
        }
        // Another tenant does not see the todo.
        let other = try #require(try await f.database.integration.tenant(named: "other").id)
        await #expect(throws: TodoChangeError.notFound(source: "approval", todoId: "wf-4")) {
            _ = try await f.database.messages.changeTodo(tenantId: other, source: "approval", todoId: "wf-4", state: .approved, by: "x", at: Date())
        }
    }
}
