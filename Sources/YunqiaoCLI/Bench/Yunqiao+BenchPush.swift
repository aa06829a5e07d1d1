import ArgumentParser
import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

extension Yunqiao.Bench {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Message push through the real path: the bridge (HTTP API, SQLite store, delivery worker) against an "
                + "in-process emulator with its rate limits on; prints accept and delivery throughput as a ratio of Feishu's "
                + "cap, accept→Feishu latency and peak memory.")

        @Option(help: "Messages the OA sends (one recipient each, taken in turn).") var messages = 10_000
        @Option(help: "OA users (bound to Feishu users of the generated org) the messages go to.") var recipients = 1_000
        @Option(help: "Messages per second the OA sends; 0 = as fast as the bridge accepts them.") var rate = 0.0
        @Option(help: "Requests the OA has in flight when sending as fast as it can.") var concurrency = 16
        @Option(name: .customLong("latency-ms"), help: "Round-trip delay the emulator adds to every answer.") var latencyMs = 0
        @Option(help: "Message type of the rule's target: text, rich, card or todo.") var type = "text"

        /// The least time `n` sends take under 50/s and 1000/min per app: the first 50 go at once, the 51st a second
        /// later, …, the 1001st a minute after the first.
        static func floor(_ n: Int) -> Double {
            guard n > 0 else { return 0 }
            return Double(60 * ((n - 1) / 1000) + ((n - 1) % 1000) / 50)
        }

        func validate() throws {
            guard messages > 0, recipients > 0, rate >= 0, concurrency > 0, latencyMs >= 0 else {
                throw ValidationError("messages, recipients and concurrency must be > 0; rate and latency ≥ 0")
            }
            guard PushMessageType(rawValue: type) != nil else { throw ValidationError("--type must be text, rich, card or todo") }
        }

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .error)
            let departments = max(1, recipients / 50)
            let configuration = EmulatorConfiguration(org: .generated(users: recipients + recipients / 10 + 10, departments: departments),
                                                      rateLimit: true, latency: .milliseconds(latencyMs))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yunqiao-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try YunqiaoDatabase.open(path: directory.appendingPathComponent("bench.sqlite").path)

            try await Emulator.withRunning(configuration) { emulator in
                let setup = try await Self.prepare(store: store, emulator: emulator, recipients: recipients, type: type)
                note("bench push: \(messages) messages to \(setup.users) bound recipients, \(type), rate \(rate > 0 ? "\(rate)/s" : "max"), "
                    + "latency \(latencyMs) ms, emulator rate limits on")
                try await withYunqiaoHTTPClient { http in
                    try await Self.withBridge(store: store, http: http) { port in
                        try await measure(store: store, emulator: emulator, http: http, port: port, setup: setup)
                    }
                }
            }
        }

        struct Setup {
            var tenantId: Int64
            var oaKey: String
            var users: Int
            var appID: String
        }

        /// The tenant: an enterprise on the emulator, its app, the `bench` module, a rule of every module to the app,
        /// `recipients` OA users bound to the emulator's users, an OA key.
        static func prepare(store: YunqiaoDatabase, emulator: RunningEmulator, recipients: Int, type: String) async throws -> Setup {
            let tenantId = try await store.integration.tenant().id ?? 0
            let enterprise = try await store.integration.createEnterprise(tenantId: tenantId, name: "bench", brand: "feishu", baseURL: emulator.baseURL)
            let enterpriseId = enterprise.id ?? 0
            let app = EmulatorConfiguration.defaultApp
            let appRecord = try await store.integration.addApp(enterpriseId: enterpriseId, name: "bench", appID: app.appID, appSecret: app.appSecret)
            _ = try await store.pushRules.createOAModule(tenantId: tenantId, key: "bench", name: "压测", actionURL: nil, actionSecret: nil, by: .cli)
            _ = try await store.pushRules.createPushRule(tenantId: tenantId, .init(name: "全部", source: PushRules.allSources, targets: [
                .init(enterpriseId: enterpriseId, appId: appRecord.id ?? 0, type: type, quickApproval: type == "todo"),
            ]), by: .cli)
            // The emulator's active users: mirrored, then bound by user_id ⇄ OA login id.
            let org = await emulator.state.snapshot(includeOrg: true)
            var plan = SyncPlan()
            var oaUsers: [OAUserRecord] = []
            for user in org["org"]?["users"]?.arrayValue ?? [] where user["is_resigned"]?.boolValue != true && oaUsers.count < recipients {
                guard let union = user["union_id"]?.stringValue, let userID = user["user_id"]?.stringValue else { continue }
                plan.users.created.append(MirrorUser(unionID: union, userID: userID, name: user["name"]?.stringValue ?? userID, departmentIDs: ["0"]))
                oaUsers.append(OAUserRecord(tenantId: tenantId, oaID: "u\(oaUsers.count)", loginID: userID, name: userID))
            }
            try await store.mirror.apply(plan, enterpriseId: enterpriseId)
            try await store.oaDirectory.upsertOAUsers(oaUsers)
            let bound = try await store.bindings.autoBind(tenantId: tenantId, enterpriseId: enterpriseId, fields: [.userID], by: .cli)
            let key = "yqoa_bench_" + UUID().uuidString
            _ = try await store.admins.createOAKey(tenantId: tenantId, name: "bench", key: key, by: .cli)
            return Setup(tenantId: tenantId, oaKey: key, users: bound.bound, appID: app.appID)
        }

        /// Runs the bridge (API and delivery worker) on a free port while `body` runs.
        static func withBridge(store: YunqiaoDatabase, http: HTTPClient, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
            var server = ServerConfiguration()
            server.port = 0
            server.host = "127.0.0.1"
            let logger = Logger(label: "yunqiao.bench")
            let dependencies = try await ServerDependencies(configuration: server, database: store, httpClient: http,
                                                            metrics: PrometheusCollectorRegistry(), logger: logger)
            let (ports, ready) = AsyncStream.makeStream(of: Int.self)
            let app = try await buildApplication(dependencies) { port in
                ready.yield(port)
                ready.finish()
            }
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw ExitCode.failure }
                do {
                    try await body(port)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }

        func measure(store: YunqiaoDatabase, emulator: RunningEmulator, http: HTTPClient, port: Int, setup: Setup) async throws {
            let url = "http://127.0.0.1:\(port)/api/v1/messages"
            let messages = self.messages, rate = self.rate, concurrency = self.concurrency, users = setup.users
            let todo = type == "todo"
            @Sendable func post(_ index: Int) async throws {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(setup.oaKey)")
                request.headers.add(name: "Content-Type", value: "application/json")
                let todoBlock = todo ? #","todo":{"id":"wf-\#(index)","actions":["approve","reject"]}"# : ""
                let body = #"{"source":"bench","idempotencyKey":"bench-\#(index)","recipients":["u\#(index % users)"],"#
                    + #""title":"压测消息 \#(index)","body":"**第 \#(index) 条**：请处理\n- 来源：bench","#
                    + #""fields":[{"label":"序号","value":"\#(index)"}],"links":{"pc":"https://oa.example.com/wf/\#(index)"}\#(todoBlock)}"#
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await http.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .accepted else {
                    throw ValidationError("message \(index) answered HTTP \(response.status.code)")
                }
            }

            // The OA sends.
            let started = ContinuousClock.now
            let firstAccept = Date()
            try await withThrowingTaskGroup(of: Void.self) { group in
                if rate > 0 {
                    for index in 0..<messages {
                        try await Task.sleep(until: started + .seconds(Double(index) / rate), clock: .continuous)
                        group.addTask { try await post(index) }
                    }
                } else {
                    let next = Counter()
                    for _ in 0..<concurrency {
                        group.addTask {
                            while let index = await next.take(below: messages) { try await post(index) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let acceptSeconds = (ContinuousClock.now - started).timeInterval

            // Delivery.
            var lastReport = ContinuousClock.now
            while true {
                let counts = try await store.messages.deliveryStateCounts(tenantId: setup.tenantId)
                let pending = counts[.pending] ?? 0
                if pending == 0 { break }
                if ContinuousClock.now - lastReport >= .seconds(10) {
                    lastReport = ContinuousClock.now
                    note(String(format: "  %.0f s: %d sent, %d pending", (ContinuousClock.now - started).timeInterval, counts[.sent] ?? 0, pending))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let counts = try await store.messages.deliveryStateCounts(tenantId: setup.tenantId)

            // What Feishu holds, against what was accepted.
            let listing = await emulator.state.admin("GET", "/_emulator/messages", query: ["app_id": setup.appID])
            let items = listing.json?["items"]?.arrayValue ?? []
            let timings = try await store.messages.deliveryTimings(tenantId: setup.tenantId)
            var latencies: [Double] = []
            var uuids: Set<String> = []
            var lastCreate = 0.0
            var firstThousandDone = 0.0
            var createTimes: [Double] = []
            for item in items {
                guard let uuid = item["uuid"]?.stringValue, let timing = timings[uuid],
                      let created = item["create_time"]?.stringValue.flatMap(Double.init)
                else { continue }
                uuids.insert(uuid)
                let createdAt = created / 1000
                createTimes.append(createdAt)
                lastCreate = max(lastCreate, createdAt)
                latencies.append(max(0, createdAt - timing.acceptedAt.timeIntervalSince1970) * 1000)
            }
            createTimes.sort()
            if createTimes.count >= min(messages, 1000) { firstThousandDone = createTimes[min(messages, 1000) - 1] }
            latencies.sort()
            func percentile(_ p: Double) -> Double {
                latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
            }
            let deliverSeconds = lastCreate - firstAccept.timeIntervalSince1970
            let capFloor = Self.floor(messages)
            let offered = rate > 0 ? Double(messages - 1) / rate : 0
            let floor = max(capFloor, offered)
            let burst = min(messages, 1000)
            let burstSeconds = firstThousandDone - firstAccept.timeIntervalSince1970
            let state = await emulator.state.snapshot()
            let limited = state["counters"]?["rate_limited"]?["POST /open-apis/im/v1/messages"]?.intValue ?? 0
            let peakMB = Double(peakResidentKilobytes()) / 1024
            say("""
                bench push: \(messages) messages, \(users) recipients, type \(type), rate \(rate > 0 ? String(format: "%.1f/s", rate) : "max (\(concurrency) in flight)"), latency \(latencyMs) ms, emulator rate limits on
                  accepted          \(messages) in \(String(format: "%.2f", acceptSeconds)) s = \(String(format: "%.0f", Double(messages) / acceptSeconds)) messages/s (HTTP → stored, 202)
                  deliveries        \(counts[.sent] ?? 0) sent, \(counts[.dead] ?? 0) dead, \(counts[.skipped] ?? 0) skipped; Feishu holds \(items.count) (\(uuids.count) distinct uuids)
                  delivered         in \(String(format: "%.2f", deliverSeconds)) s = \(String(format: "%.2f", Double(messages) / deliverSeconds))/s
                  first \(burst)        in \(String(format: "%.2f", burstSeconds)) s = \(String(format: "%.2f", Double(burst) / burstSeconds))/s = \(String(format: "%.3f", Double(burst) / burstSeconds / 50)) of the 50/s cap
                  floor             \(String(format: "%.2f", floor)) s (50/s and 1000/min per app\(rate > 0 ? ", and the offered rate" : ""))
                  ratio             \(String(format: "%.3f", floor / deliverSeconds)) (floor ÷ actual)
                  accept→Feishu     p50 \(String(format: "%.1f", percentile(0.5))) ms, p99 \(String(format: "%.1f", percentile(0.99))) ms, max \(String(format: "%.1f", latencies.last ?? 0)) ms
                  answered 429      \(limited)
                  peak memory       \(String(format: "%.1f", peakMB)) MB (whole process, emulator included)
                """)
            if items.count != messages || uuids.count != messages || (counts[.sent] ?? 0) != messages { throw ExitCode.failure }
        }
    }
}

/// Hands out 0, 1, 2 … to concurrent senders.
private actor Counter {
    private var next = 0

    func take(below limit: Int) -> Int? {
        guard next < limit else { return nil }
        defer { next += 1 }
        return next
    }
}
