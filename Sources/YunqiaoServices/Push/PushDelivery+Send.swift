import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import YunqiaoCore

/// One job: render, send (or update the card), record the outcome.
extension PushDelivery {
    func perform(_ job: Job) async {
        switch job {
        case .delivery(let delivery):
            let outcome = await send(delivery)
            await record(delivery: delivery, outcome)
        case .cardUpdate(let card):
            let outcome = await update(card)
            await record(card: card, outcome)
        }
        finished(job)
    }

    // MARK: messages

    private func send(_ job: DeliveryJob) async -> DeliveryOutcome {
        do {
            guard let unionID = job.unionID else { return .dead(error: "not bound: no union id") }
            let message = try await message(job.messageId)
            let client = try await client(tenantId: job.tenantId, appId: job.appId)
            var notes: [String] = []
            var imageKey: String?
            if job.type == .rich, let image = message.image {
                switch await images.key(messageId: job.messageId, appId: job.appId, load: { try await self.upload(image.url, tenantId: job.tenantId, with: client) }) {
                case .success(let key): imageKey = key
                case .failure(let problem): notes.append("image left out: \(problem.description)")
                }
            }
            let state = message.todo == nil || job.type != .todo ? nil : (job.todoState ?? .pending)
            let rendered = MessageRenderer.render(message, as: job.type, deliveryID: String(job.id), quickApproval: job.quickApproval,
                                                  todoState: state ?? .pending, imageKey: imageKey, language: configuration.language)
            if rendered.shortened { notes.append("shortened to fit Feishu's size limit") }
            let sent = try await client.sendMessage(to: unionID, idType: .unionID, type: MessageType(rawValue: rendered.msgType) ?? .text,
                                                    content: rendered.content, uuid: job.uuid, recipientLimiter: recipientLimiter)
            return .sent(feishuMessageID: sent.messageID, renderedState: state, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        } catch {
            return failed(error, attempts: job.attempts)
        }
    }

    // MARK: card updates

    private func update(_ job: CardUpdateJob) async -> CardUpdateOutcome {
        do {
            let message = try await message(job.messageId)
            let client = try await client(tenantId: job.tenantId, appId: job.appId)
            let now = configuration.now()
            if let messageID = job.feishuMessageID, let sentAt = job.sentAt, now.timeIntervalSince(sentAt) < configuration.cardUpdateWindow {
                let card = MessageRenderer.render(message, as: .todo, deliveryID: String(job.deliveryId), quickApproval: job.quickApproval,
                                                  todoState: job.todoState, language: configuration.language)
                do {
                    try await client.updateCard(messageID: messageID, card: card.content)
                    return .done(mode: "patch", noticeMessageID: nil)
                } catch let error as FeishuAPIError where error.code == FeishuAPIError.cardUpdateWindowClosed {
                    // Feishu counts the 14 days its own way: a text then, as for an older card.
                    logger.debug("push: card update window closed at Feishu", metadata: ["push.delivery": "\(job.deliveryId)"])
                }
            }
            guard let unionID = job.unionID else { return .dead(error: "not bound: no union id") }
            let notice = MessageRenderer.handledNotice(message, state: job.todoState, language: configuration.language)
            let sent = try await client.sendMessage(to: unionID, idType: .unionID, type: .text, content: notice.content,
                                                    uuid: Self.noticeUUID(job.deliveryUUID), recipientLimiter: recipientLimiter)
            return .done(mode: "notice", noticeMessageID: sent.messageID)
        } catch {
            switch failed(error, attempts: job.attempts) {
            case .retry(let at, let text): return .retry(at: at, error: text)
            case .dead(let text): return .dead(error: text)
            case .sent, .released: return .released
            }
        }
    }

    /// The `uuid` of the "handled" text of a delivery: derived from the delivery's, so a repeat is answered with the
    /// first text.
    static func noticeUUID(_ deliveryUUID: String) -> String { String(deliveryUUID.prefix(FeishuIMLimits.uuidMaxLength - 2)) + "-h" }

    // MARK: outcomes

    /// A failed attempt: retry after a back-off while the error is retryable and attempts remain, else dead.
    private func failed(_ error: any Error, attempts: Int) -> DeliveryOutcome {
        // Cancelled (the service group gave up waiting at shutdown): not an attempt; the next start sends it.
        if error is CancellationError || Task.isCancelled { return .released }
        let (retryable, text) = Self.describe(error)
        let attempt = attempts + 1
        guard retryable else { return .dead(error: text) }
        guard let next = configuration.retry.nextAttempt(afterAttempt: attempt, retryable: true, now: configuration.now()) else {
            return .dead(error: "gave up after \(attempt) attempts: \(text)")
        }
        return .retry(at: next, error: text)
    }

    /// Whether a failure may pass by itself, and how to show it (Feishu's code and message, never a secret).
    static func describe(_ error: any Error) -> (retryable: Bool, text: String) {
        switch error {
        case let error as FeishuAPIError:
            return (error.isRetryable, error.description)
        case let error as FeishuClientError:
            switch error {
            case .retriesExhausted: return (true, error.description)
            case .unexpectedResponse(let status, _, _): return (status >= 500 || status == 429, error.description)
            case .tokenRefused, .decoding: return (false, error.description)
            }
        case let error as PushDeliveryError:
            return (false, error.description)
        case is HTTPClientError, is IOError, is ChannelError:
            return (true, "network: \(error)")
        default:
            return (false, "\(error)")
        }
    }

    private func record(delivery job: DeliveryJob, _ outcome: DeliveryOutcome) async {
        var metadata: Logger.Metadata = ["push.delivery": "\(job.id)", "push.message": "\(job.messageId)", "push.app": "\(job.appId)"]
        let result: String
        switch outcome {
        case .sent(let id, _, _):
            result = "sent"
            metadata["feishu.message_id"] = "\(id)"
            logger.debug("push: sent", metadata: metadata)
        case .retry(let at, let error):
            result = "retry"
            metadata["push.error"] = "\(error)"
            metadata["push.next_attempt"] = "\(at)"
            logger.info("push: attempt failed, will retry", metadata: metadata)
        case .dead(let error):
            result = "dead"
            metadata["push.error"] = "\(error)"
            logger.warning("push: delivery is a dead letter", metadata: metadata)
        case .released:
            result = "released"
        }
        Counter(label: "yunqiao_push_deliveries_total", dimensions: [("result", result)]).increment()
        // Cancelled at shutdown: the store cannot be written now, and the lease runs out anyway.
        if case .released = outcome, Task.isCancelled { return }
        do {
            try await database.outbox.finishDeliveries([(job.id, outcome)], lease: lease, at: configuration.now())
        } catch {
            // The lease runs out and the delivery is sent again with the same uuid: nothing is duplicated.
            logger.error("push: cannot record a delivery", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        if case .dead = outcome { apps.remove(job.appId) }
    }

    private func record(card job: CardUpdateJob, _ outcome: CardUpdateOutcome) async {
        var metadata: Logger.Metadata = ["push.delivery": "\(job.deliveryId)", "push.card_update": "\(job.id)"]
        let result: String
        switch outcome {
        case .done(let mode, _): result = mode
        case .retry(_, let error):
            result = "retry"
            metadata["push.error"] = "\(error)"
            logger.info("push: card update failed, will retry", metadata: metadata)
        case .dead(let error):
            result = "dead"
            metadata["push.error"] = "\(error)"
            logger.warning("push: card update is a dead letter", metadata: metadata)
        case .released: result = "released"
        }
        Counter(label: "yunqiao_push_card_updates_total", dimensions: [("result", result)]).increment()
        if case .released = outcome, Task.isCancelled { return }
        do {
            try await database.outbox.finishCardUpdates([(job.id, outcome)], lease: lease, at: configuration.now())
        } catch {
            logger.error("push: cannot record a card update", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    // MARK: what a send needs

    /// The accepted message (cached: a message to a thousand recipients is read once).
    private func message(_ id: Int64) async throws -> PushMessage {
        if let cached = messages.get(id) { return cached }
        guard let record = try await database.outbox.pushMessages(ids: [id])[id] else { throw PushDeliveryError.messageMissing(id) }
        let message: PushMessage
        do { message = try record.message() } catch { throw PushDeliveryError.unreadableMessage(id) }
        messages.set(id, message)
        return message
    }

    /// The app's shared client (looked up again after a minute, so edited credentials take effect).
    private func client(tenantId: Int64, appId: Int64) async throws -> FeishuClient {
        let now = configuration.now()
        if let cached = apps.get(appId), now.timeIntervalSince(cached.fetched) < 60 { return cached.client }
        let (app, enterprise) = try await database.integration.app(tenantId: tenantId, id: appId)
        let client: FeishuClient
        do { client = try await clients.client(enterprise: enterprise, app: app, database: database) } catch {
            throw PushDeliveryError.secretUnreadable(app: app.name)
        }
        apps.set(appId, (client, now))
        return client
    }

    /// Downloads the message's image (``ImageDownload``: public addresses or the tenant's allowed hosts, bounded in
    /// size and time) and uploads it for the app.
    private func upload(_ url: String, tenantId: Int64, with client: FeishuClient) async throws -> String {
        let allowed = try await database.integration.imageHosts(tenantId: tenantId)
        let download = ImageDownload(timeout: configuration.imageTimeout, maxBytes: configuration.imageMaxBytes, logger: logger)
        let image = try await download.fetch(url, allowedHosts: Set(allowed))
        return try await client.uploadImage(image.data, filename: image.filename)
    }
}

/// Failures of the worker itself (not of Feishu): a delivery is dead with them.
enum PushDeliveryError: Error, CustomStringConvertible {
    case messageMissing(Int64)
    case unreadableMessage(Int64)
    case secretUnreadable(app: String)

    var description: String {
        switch self {
        case .messageMissing(let id): "message \(id) is missing"
        case .unreadableMessage(let id): "message \(id) cannot be read"
        case .secretUnreadable(let app): "the secret of app \(app) cannot be opened (was the secret key changed?)"
        }
    }
}

/// Why a message's image could not be used.
struct PushImageProblem: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// The image key of each (message, app), uploaded once: concurrent sends of one message wait for the first upload.
actor PushImageKeys {
    private enum Entry {
        case loading([CheckedContinuation<Result<String, PushImageProblem>, Never>])
        case done(Result<String, PushImageProblem>)
    }

    private struct Key: Hashable {
        var messageId: Int64
        var appId: Int64
    }

    private var entries: [Key: Entry] = [:]
    private var order: [Key] = []
    private let capacity = 1_000

    func key(messageId: Int64, appId: Int64, load: @Sendable () async throws -> String) async -> Result<String, PushImageProblem> {
        let key = Key(messageId: messageId, appId: appId)
        switch entries[key] {
        case .done(let result)?: return result
        case .loading?:
            return await withCheckedContinuation { continuation in
                if case .loading(let waiters)? = entries[key] {
                    entries[key] = .loading(waiters + [continuation])
                } else if case .done(let result)? = entries[key] {
                    continuation.resume(returning: result)
                }
            }
        case nil:
            entries[key] = .loading([])
            order.append(key)
            let result: Result<String, PushImageProblem>
            do { result = .success(try await load()) } catch let problem as PushImageProblem { result = .failure(problem) } catch {
                result = .failure(PushImageProblem(description: Self.describe(error)))
            }
            if case .loading(let waiters)? = entries[key] { waiters.forEach { $0.resume(returning: result) } }
            entries[key] = .done(result)
            while order.count > capacity { entries[order.removeFirst()] = nil }
            return result
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as FeishuAPIError: "uploading it failed: \(error.description)"
        case let error as FeishuClientError: "uploading it failed: \(error.description)"
        case is HTTPClientError: "it could not be downloaded"
        default: "it could not be used"
        }
    }
}
