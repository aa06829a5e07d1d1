import AsyncHTTPClient
import FeishuKit
import Foundation
import OAKit
import Logging
import ServiceLifecycle
import YunqiaoCore

/// Calls the OA's action webhook for every quick-approval click (issue #7; `docs/design/message-push.md`, "Quick
/// approval") and brings the result to the todo and its cards.
///
/// - Each recorded action (``CardActionRecord``) is POSTed to its module's `actionURL` as ``OAActionWebhook`` describes:
///   signed, 5 s deadline, the same body on every attempt (the OA dedupes by `actionId`).
/// - 2xx: the todo becomes approved or rejected (``MessageRepository/changeTodo(tenantId:source:todoId:state:by:at:)``),
///   which queues the update of every card of the todo; ``todoChanged`` wakes the worker that sends them.
/// - No answer or 5xx: another attempt after a back-off, at most `retry.maxAttempts` (``Configuration/retry``) in all.
/// - 4xx, the attempts used up, or no webhook configured: the action failed. Its card is set back to the pending style
///   with a note saying why (PATCH of the card), so the user can try again or handle it in the OA.
///
/// A `Service` on a ``WorkerLoop``: it looks for due actions when woken (a click was recorded) and every
/// ``Configuration/poll``; on graceful shutdown it finishes the attempts under way and stops. An action claimed by a
/// process that died is called again when its lease (``OutboxLease``) runs out; the OA dedupes by `actionId`.
public struct CardActionWorker: Service, Sendable {
    public struct Configuration: Sendable {
        /// The deadline of one webhook call.
        public var timeout: Duration
        /// Attempts per action, the first one included, and the pauses between them (``RetryPolicy``).
        public var retry: RetryPolicy
        /// How often due actions are looked for without a wake-up (retries become due this way).
        public var poll: Duration
        /// Actions called at the same time.
        public var batch: Int
        /// The language of the cards and toasts of quick approval (the delivery worker's language).
        public var language: MessageLanguage

        /// - Parameter retry: 5 attempts; 1 s, 2 s, 4 s … at most 60 s between them.
        public init(timeout: Duration = .seconds(5), retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60)),
                    poll: Duration = .seconds(1), batch: Int = 16, language: MessageLanguage = .zhCN)
        {
            self.language = language
            self.timeout = timeout
            self.retry = retry
            self.poll = poll
            self.batch = batch
        }

        /// How long a claimed action is this worker's: an attempt's deadline and room for recording it.
        var lease: TimeInterval { timeout.timeInterval + 30 }
    }

    let database: any BridgeStore
    let clients: FeishuClients
    let webhook: OAActionWebhook
    public let configuration: Configuration
    let logger: Logger
    /// Called after a todo changed (its card updates are queued).
    let todoChanged: @Sendable () -> Void
    let loop: WorkerLoop
    let lease: OutboxLease

    public init(database: any BridgeStore, clients: FeishuClients, httpClient: HTTPClient, configuration: Configuration = Configuration(),
                logger: Logger, todoChanged: @escaping @Sendable () -> Void = {})
    {
        self.database = database
        self.clients = clients
        self.webhook = OAActionWebhook(httpClient: httpClient, timeout: configuration.timeout)
        self.configuration = configuration
        self.logger = logger
        self.todoChanged = todoChanged
        self.lease = OutboxLease(owner: OutboxLease.processOwner(), duration: configuration.lease)
        self.loop = WorkerLoop(name: "quick approval", every: configuration.poll, logger: logger)
    }

    /// Look for due actions now (a click was just recorded).
    public func wake() { loop.wake() }

    public func run() async throws {
        await loop.run { _ in
            await processDue()
            return WorkerLoop.Tick()
        }
    }

    /// Calls every due action, a batch at a time, until none is due. An action whose attempt this worker could not
    /// record stays claimed until its lease runs out.
    func processDue() async {
        while !Task.isCancelled {
            let jobs: [CardActionJob]
            do {
                jobs = try await database.outbox.claimDueCardActions(limit: configuration.batch, now: Date(), lease: lease)
            } catch {
                logger.error("quick approval: cannot read due actions", metadata: ["error": "\(error)"])
                return
            }
            if jobs.isEmpty { return }
            await withDiscardingTaskGroup { group in
                for job in jobs { group.addTask { await process(job) } }
            }
        }
    }

    /// One attempt of one action, and what follows from it.
    func process(_ job: CardActionJob) async {
        let action = job.action
        var metadata: Logger.Metadata = ["card_action.id": "\(action.actionId)", "card_action.attempt": "\(action.attempts)"]
        do {
            guard let url = job.actionURL, !url.isEmpty else {
                let module = job.moduleName.map { "\($0) (\(action.source))" } ?? action.source
                try await fail(job, result: "OA module \(module) has no action webhook (actionURL): quick approval cannot reach the OA",
                               note: ("OA 模块未配置快捷审批回调地址", "the OA module has no quick-approval webhook"))
                return
            }
            guard let secret = job.actionSecret else {
                try await fail(job, result: "OA module \(action.source) has no action secret to sign the webhook with",
                               note: ("OA 模块未配置快捷审批密钥", "the OA module has no quick-approval secret"))
                return
            }
            metadata["oa.host"] = "\(URL(string: url)?.host ?? "?")"
            let body = try OAActionWebhook.body(Self.payload(action))
            switch await webhook.send(url: url, secret: secret, body: body) {
            case .accepted(let status):
                try await accepted(job, status: status)
                logger.info("quick approval: the OA accepted the action", metadata: metadata)
            case .refused(let status, let reason):
                logger.warning("quick approval: the OA refused the action",
                               metadata: metadata.merging(["http.status": "\(status)"]) { $1 })
                try await fail(job, result: "the OA refused it: HTTP \(status)" + (reason.map { ": \($0)" } ?? ""),
                               note: reason.map { ("OA：\($0)", "OA: \($0)") }
                                   ?? ("OA 拒绝了该操作（HTTP \(status)）", "the OA refused it (HTTP \(status))"))
            case .failed(let error):
                let maxAttempts = configuration.retry.maxAttempts
                if let next = configuration.retry.nextAttempt(afterAttempt: action.attempts, retryable: true, now: Date()) {
                    logger.info("quick approval: the OA could not be reached, will try again",
                                metadata: metadata.merging(["error": "\(error)", "retry.at": "\(next)"]) { $1 })
                    try await database.outbox.retryCardAction(action.actionId, at: next, result: "\(error) (attempt \(action.attempts) of \(maxAttempts))",
                                                              lease: lease, now: Date())
                } else {
                    logger.warning("quick approval: the OA could not be reached, giving up",
                                   metadata: metadata.merging(["error": "\(error)"]) { $1 })
                    try await fail(job, result: "\(error) (attempt \(action.attempts) of \(maxAttempts), giving up)",
                                   note: ("OA 暂时无法处理", "the OA cannot handle it now"))
                }
            }
        } catch {
            // The store failed: the claim expires and the action is tried again (the OA dedupes by actionId).
            logger.error("quick approval: cannot record the action's outcome", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// The OA did it: the todo becomes approved or rejected and its cards are updated.
    private func accepted(_ job: CardActionJob, status: UInt) async throws {
        let action = job.action
        let state: TodoState = action.todoAction == .approve ? .approved : .rejected
        var result = "HTTP \(status)"
        do {
            let change = try await database.messages.changeTodo(tenantId: action.tenantId, source: action.source, todoId: action.todoId, state: state,
                                                                by: action.operatorOaUserID, at: Date())
            if change.changed { todoChanged() }
        } catch let error as TodoChangeError {
            // The OA accepted, yet the todo was handled meanwhile (another state through the OA API): that one stays.
            result += "; the todo was not changed: \(error)"
        }
        try await database.outbox.finishCardAction(action.actionId, .done, result: result, lease: lease, now: Date())
    }

    /// The action failed: recorded, and the card goes back to the pending style with `note` (unless the todo was
    /// handled meanwhile: its own card update shows that).
    private func fail(_ job: CardActionJob, result: String, note: (zh: String, en: String)) async throws {
        let action = job.action
        try await database.outbox.finishCardAction(action.actionId, .failed, result: result, lease: lease, now: Date())
        if action.isFromApprovalCenter {
            // The Approval Center shows the task pending again after a newer push; the card (if any) is left as it is.
            if try await database.approvalCenter.touchApprovalInstances(tenantId: action.tenantId, source: action.source, todoId: action.todoId,
                                                                         at: Date()) > 0 { todoChanged() }
            return
        }
        let cardError = await restoreCard(job, note: note)
        if let cardError {
            logger.warning("quick approval: the card could not be set back to pending",
                           metadata: ["card_action.id": "\(action.actionId)", "error": "\(cardError)"])
        }
        try await database.outbox.setCardActionCardError(action.actionId, cardError, now: Date())
    }

    /// PATCHes the card to the pending style with a note; answers why it could not (nil: done or not needed).
    private func restoreCard(_ job: CardActionJob, note: (zh: String, en: String)) async -> String? {
        guard let message = job.message else { return "the message is gone" }
        guard let messageID = job.feishuMessageID, let deliveryId = job.action.deliveryId else { return "the card has no Feishu message id" }
        do {
            // Held against the card-update queue: a todo made final meanwhile gets its final style after this PATCH.
            guard try await database.outbox.holdCard(deliveryId: deliveryId, lease: lease, at: Date()) else { return nil }
        } catch {
            return "\(error)"
        }
        let failure = await patchPending(job, message: message, messageID: messageID, deliveryId: deliveryId, note: note)
        do { try await database.outbox.releaseCard(deliveryId: deliveryId, lease: lease) } catch {
            logger.error("quick approval: the card's hold could not be released", metadata: ["delivery.id": "\(deliveryId)", "error": "\(error)"])
        }
        todoChanged()  // a card update queued while the card was held is due now
        return failure
    }

    private func patchPending(_ job: CardActionJob, message: PushMessage, messageID: String, deliveryId: Int64,
                              note: (zh: String, en: String)) async -> String?
    {
        do {
            let rendered = MessageRenderer.render(message, as: .todo, deliveryID: String(deliveryId), quickApproval: job.quickApproval,
                                                  todoState: .pending, language: configuration.language)
            let text = configuration.language == .zhCN ? "快捷审批未完成：\(note.zh)。请重试，或在 OA 中处理。"
                : "Quick approval did not go through: \(note.en). Try again, or handle it in the OA."
            let (app, enterprise) = try await database.integration.app(id: job.appId)
            let client = try await clients.client(enterprise: enterprise, app: app, database: database)
            try await client.updateCard(messageID: messageID, card: CardNote.adding(text, to: rendered.content))
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func payload(_ action: CardActionRecord) -> OAActionWebhook.Payload {
        OAActionWebhook.Payload(actionId: action.actionId, source: action.source, todoId: action.todoId, action: action.action,
                                operator: .init(oaUserID: action.operatorOaUserID, unionID: action.operatorUnionID, name: action.operatorName),
                                at: Self.timestamp(action.createdAt))
    }

    /// ISO 8601 in UTC with seconds (`2026-11-26T08:00:00Z`).
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}

/// A note added to a rendered card (a todo card whose quick approval failed).
enum CardNote {
    /// `content` with a `note` element holding `text` before its last element (the todo's status); unchanged when it is
    /// not a card with elements.
    static func adding(_ text: String, to content: String) -> String {
        guard var card = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String: Any],
              var elements = card["elements"] as? [Any]
        else { return content }
        let note: [String: Any] = ["tag": "note", "elements": [["tag": "plain_text", "content": text]]]
        elements.insert(note, at: max(elements.count - 1, 0))
        card["elements"] = elements
        guard let data = try? JSONSerialization.data(withJSONObject: card, options: [.sortedKeys, .withoutEscapingSlashes]) else { return content }
        return String(decoding: data, as: UTF8.self)
    }
}
