import Foundation

/// Contact events out of the emulator (issue #15; `feishu-api.md` §3.7, §6): every change of the org — through the
/// contact API, or an operator's change of an app's scope — becomes the matching events for each app with an event
/// request URL, wrapped in the v2.0 envelope and pushed by ``EventPush``.
///
/// The operator's side door for events:
/// - `GET|PUT|PATCH /_emulator/apps/{app_id}/events {url, verify}`: the app's event request URL (`null` stops the
///   pushes). Like the platform, setting a URL first sends the `url_verification` challenge (encrypted when the app has
///   an Encrypt Key) and refuses a URL that does not answer it, unless `verify` is false. The keys are the app's
///   (`/_emulator/apps/{app_id}/callback`).
/// - `PUT /_emulator/apps/{app_id}/scope {"all": true} | {departments: [department_id…], users: [user_id…]}`: the
///   app's contact scope; the change is pushed as `contact.scope.updated_v3`.
/// - `GET /_emulator/events?app_id=`: counters per app (published, delivered, failed attempts, given up, dropped,
///   duplicated) and the last deliveries; `PUT /_emulator/events/settings {retry_schedule_ms: [...], deadline_ms}`:
///   the platform's re-push schedule (15 s, 5 min, 1 h, 6 h) and answer deadline (3 s), shorter for tests.
/// - `GET /_emulator/long-connections`: the long connection's settings and open connections;
///   `PUT /_emulator/long-connections/settings {ping_interval, reconnect_interval, reconnect_nonce, reconnect_count,
///   fragment_bytes, refuse}` (seconds; `refuse` 403 or 514 refuses handshakes); `POST /_emulator/long-connections/close
///   {app_id}` closes an app's connections (or all), as the platform may.
/// - An app with a long connection open gets its events there (plaintext, one random connection, the ack is the answer).
/// - Faults `event_drop_rate` and `event_duplicate_rate` (`/_emulator/faults`) lose or repeat events.
extension EmulatorState {
    /// Makes and queues the events of the org's changes since the last call. Called after every API call and side-door
    /// request, so each change is pushed once.
    func publishContactEvents() {
        let changes = contact.org.drainChanges()
        guard !changes.isEmpty else { return }
        let apps = subscribedApps
        guard !apps.isEmpty else { return }
        for pending in contact.events(for: changes, apps: apps) { publish(pending) }
    }

    /// Apps with an event request URL, in id order.
    private var subscribedApps: [EmulatorConfiguration.App] {
        admin.apps.keys.sorted().compactMap { admin.apps[$0]?.config }.filter { $0.eventURL != nil || longConnections.isConnected($0.appID) }
    }

    /// Wraps one event in its envelope (`feishu-api.md` §6.6) and queues it, unless the drop fault takes it.
    func publish(_ pending: PendingEvent) {
        guard let config = admin.apps[pending.appID]?.config, config.eventURL != nil || longConnections.isConnected(config.appID) else { return }
        let url = config.eventURL
        let eventID = contact.org.newHex(32)
        // Strictly increasing, so two changes of one entry never share a time.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        lastEventTime = max(now, lastEventTime + 1)
        let envelope: JSON = [
            "schema": "2.0",
            "header": ["event_id": .string(eventID), "event_type": .string(pending.type), "create_time": .string(String(lastEventTime)),
                       "token": .string(config.verificationToken ?? IMState.derivedVerificationToken(config)),
                       "app_id": .string(config.appID), "tenant_key": .string(contact.org.tenantKey)],
            "event": pending.event,
        ]
        var copies = 1
        if admin.faults.eventDropRate > 0, Double(admin.faultRandom.next() % 1_000_000) / 1_000_000 < admin.faults.eventDropRate { copies = 0 }
        if copies == 1, admin.faults.eventDuplicateRate > 0, Double(admin.faultRandom.next() % 1_000_000) / 1_000_000 < admin.faults.eventDuplicateRate { copies = 2 }
        let subscription = EventSubscription(url: url, verificationToken: config.verificationToken ?? IMState.derivedVerificationToken(config),
                                             encryptKey: config.encryptKey)
        eventPush.enqueue(OutgoingEvent(appID: config.appID, eventID: eventID, type: pending.type, envelope: envelope,
                                        subscription: subscription, copies: copies))
    }

    /// Changes an app's contact scope and pushes `contact.scope.updated_v3` when what it sees changed.
    func changeScope(appID: String, _ scope: EmulatorConfiguration.ContactScope) {
        guard var config = admin.apps[appID]?.config else { return }
        let before = contact.org.scope(of: config)
        config.scope = scope
        admin.apps[appID]?.config = config
        if config.eventURL != nil || longConnections.isConnected(appID), let event = contact.scopeEvent(app: config, before: before, after: contact.org.scope(of: config)) {
            publish(event)
        }
    }

    func handleEventsAdmin(method: String, path: String, query: [String: [String]], json: JSON?) async -> EmulatorResponse? {
        let parts = Array(path.split(separator: "/").map(String.init).dropFirst())
        switch (method, parts) {
        case ("GET", ["long-connections"]):
            return .ok(await longConnections.json)
        case ("PUT", ["long-connections", "settings"]), ("PATCH", ["long-connections", "settings"]):
            guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
            if let refusal = await longConnections.apply(fields) { return .adminError(refusal) }
            return .ok(await longConnections.json)
        case ("POST", ["long-connections", "close"]):
            return .ok(["closed": .int(await longConnections.close(appID: json?["app_id"]?.stringValue))])
        case ("GET", ["events"]):
            return .ok(await eventPush.json(appID: query["app_id"]?.last.flatMap { $0.isEmpty ? nil : $0 }))
        case ("PUT", ["events", "settings"]), ("PATCH", ["events", "settings"]):
            return eventSettings(json)
        case ("GET", let p) where p.count == 3 && p[0] == "apps" && p[2] == "events":
            guard let config = admin.apps[p[1]]?.config else { return .adminError("app_id", "no app \(p[1])") }
            return .ok(["app_id": .string(config.appID), "url": config.eventURL.map(JSON.string) ?? .null])
        case ("PUT", let p) where p.count == 3 && p[0] == "apps" && p[2] == "events",
             ("PATCH", let p) where p.count == 3 && p[0] == "apps" && p[2] == "events":
            return await setEventURL(appID: p[1], json)
        case ("PUT", let p) where p.count == 3 && p[0] == "apps" && p[2] == "scope":
            guard admin.apps[p[1]] != nil else { return .adminError("app_id", "no app \(p[1])") }
            guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
            if fields["all"]?.boolValue == true {
                changeScope(appID: p[1], .all)
            } else {
                let departments = fields["departments"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let users = fields["users"]?.arrayValue?.compactMap(\.stringValue) ?? []
                changeScope(appID: p[1], .limited(departments: departments, users: users))
            }
            return .ok(admin.appsJSON)
        default:
            return nil
        }
    }

    private func eventSettings(_ json: JSON?) -> EmulatorResponse {
        guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
        var settings = eventPush.settings
        if let value = fields["retry_schedule_ms"] {
            guard let items = value.arrayValue, items.count <= 10, case let ms = items.compactMap(\.intValue), ms.count == items.count,
                  ms.allSatisfy({ $0 >= 0 && $0 <= 86_400_000 })
            else { return .adminError("retry_schedule_ms", "up to 10 pauses in milliseconds, e.g. [15000, 300000, 3600000, 21600000]") }
            settings.retrySchedule = ms.map { .milliseconds($0) }
        }
        if let value = fields["deadline_ms"] {
            guard let ms = value.intValue, ms > 0, ms <= 60_000 else { return .adminError("deadline_ms", "1…60000") }
            settings.deadline = .milliseconds(ms)
        }
        eventPush.settings = settings
        return .ok(["retry_schedule_ms": .array(settings.retrySchedule.map { .int(Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)) }),
                    "deadline_ms": .int(Int(settings.deadline.components.seconds * 1000 + settings.deadline.components.attoseconds / 1_000_000_000_000_000))])
    }

    /// Sets (after the challenge) or clears the app's event request URL.
    private func setEventURL(appID: String, _ json: JSON?) async -> EmulatorResponse {
        guard let config = admin.apps[appID]?.config else { return .adminError("app_id", "no app \(appID)") }
        guard let fields = json?.objectValue, let value = fields["url"] else { return .adminError("url", "an absolute http(s) URL, or null") }
        guard !value.isNull else {
            admin.apps[appID]?.config.eventURL = nil
            return .ok(["app_id": .string(appID), "url": .null])
        }
        guard let text = value.stringValue, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            return .adminError("url", "an absolute http(s) URL, e.g. http://127.0.0.1:8080/feishu/apps/1/events")
        }
        if fields["verify"]?.boolValue != false {
            let challenge = contact.org.newHex(16)
            let token = config.verificationToken ?? IMState.derivedVerificationToken(config)
            let plain = Data(JSON.object(["challenge": .string(challenge), "token": .string(token), "type": "url_verification"]).serialized.utf8)
            // The challenge is encrypted with the key but not signed (§6.2).
            var (headers, body) = EventPush.sealed(plain, subscription: EventSubscription(url: text, verificationToken: token,
                                                                                          encryptKey: config.encryptKey))
            headers.removeAll { $0.0.hasPrefix("X-Lark-") }
            let outcome = await CallbackOutcome.post(to: text, headers: headers, body: body, timeout: .seconds(1))
            guard outcome.status == 200, JSON.parse(outcome.body)?["challenge"]?.stringValue == challenge else {
                let said = outcome.status.map { "HTTP \($0)" } ?? outcome.error ?? "no answer"
                return .adminError("url", "the URL did not answer the url_verification challenge within 1 s (\(said))")
            }
        }
        admin.apps[appID]?.config.eventURL = text
        return .ok(["app_id": .string(appID), "url": .string(text)])
    }
}
