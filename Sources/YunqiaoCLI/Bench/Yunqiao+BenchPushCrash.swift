import ArgumentParser
import AsyncHTTPClient
import FeishuEmulator
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore

extension Yunqiao.Bench {
    struct PushCrash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push-crash",
            abstract: "Crash test of message push: `yunqiao serve` as a child process on a SQLite file, the emulator in this "
                + "process; the child is killed (SIGKILL) while it delivers, restarted, and the emulator must hold each "
                + "(message, recipient) exactly once.")

        @Option(help: "Messages the OA sends (one recipient each, taken in turn).") var messages = 2_000
        @Option(help: "OA users the messages go to.") var recipients = 200
        @Option(name: .customLong("kill-after"), help: "Kill the server once Feishu holds this many messages.") var killAfter = 500
        @Option(name: .customLong("latency-ms"), help: "Delay of every emulator answer (after the call is applied, so every send in flight at the kill has lost its answer).")
        var latencyMs = 100

        func validate() throws {
            guard messages > 0, recipients > 0, killAfter > 0, killAfter < messages, latencyMs >= 0 else {
                throw ValidationError("messages, recipients > 0; 0 < kill-after < messages")
            }
        }

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .error)
            let configuration = EmulatorConfiguration(org: .generated(users: recipients + recipients / 10 + 10, departments: max(1, recipients / 50)),
                                                      rateLimit: true, latency: .milliseconds(latencyMs))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yunqiao-crash-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("crash.sqlite").path
            let store = try YunqiaoDatabase.open(path: path)

            try await Emulator.withRunning(configuration) { emulator in
                let setup = try await Push.prepare(store: store, emulator: emulator, recipients: recipients, type: "text")
                let port = Int.random(in: 30_000..<40_000)
                try await withYunqiaoHTTPClient { http in
                    var server = try await Self.start(database: path, port: port, http: http)
                    note("server pid \(server.processIdentifier) on port \(port); sending \(messages) messages …")
                    let url = "http://127.0.0.1:\(port)/api/v1/messages"
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for worker in 0..<8 {
                            group.addTask {
                                for index in stride(from: worker, to: messages, by: 8) {
                                    var request = HTTPClientRequest(url: url)
                                    request.method = .POST
                                    request.headers.add(name: "Authorization", value: "Bearer \(setup.oaKey)")
                                    request.headers.add(name: "Content-Type", value: "application/json")
                                    request.body = .bytes(ByteBuffer(string: #"{"source":"bench","idempotencyKey":"crash-\#(index)","recipients":["u\#(index % setup.users)"],"title":"崩溃测试 \#(index)","body":"第 \#(index) 条"}"#))
                                    let response = try await http.execute(request, timeout: .seconds(30))
                                    _ = try await response.body.collect(upTo: 1 << 16)
                                    guard response.status == .accepted else { throw ValidationError("HTTP \(response.status.code)") }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    // Kill it mid-delivery.
                    while await Self.feishuCount(emulator, setup.appID) < killAfter { try await Task.sleep(for: .milliseconds(20)) }
                    kill(server.processIdentifier, SIGKILL)
                    while server.isRunning { try await Task.sleep(for: .milliseconds(10)) }
                    let atKill = try await Self.state(store: store, emulator: emulator, setup: setup)
                    note("killed: Feishu holds \(atKill.feishu), the store has \(atKill.sent) recorded sent, "
                        + "\(atKill.lostAnswers) taken by Feishu but not recorded (answers lost with the process)")

                    server = try await Self.start(database: path, port: port, http: http)
                    note("restarted (pid \(server.processIdentifier)); delivering the rest …")
                    while (try await store.messages.deliveryStateCounts(tenantId: setup.tenantId)[.pending] ?? 0) > 0 {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    server.terminate()
                    while server.isRunning { try await Task.sleep(for: .milliseconds(10)) }

                    let end = try await Self.state(store: store, emulator: emulator, setup: setup)
                    let counts = try await store.messages.deliveryStateCounts(tenantId: setup.tenantId)
                    say("""
                        bench push-crash: \(messages) messages to \(setup.users) recipients, killed (SIGKILL) at \(atKill.feishu) in Feishu, restarted
                          at the kill       \(atKill.sent) recorded sent, \(atKill.lostAnswers) sent at Feishu with the answer lost
                          after restart     \(counts[.sent] ?? 0) sent, \(counts[.dead] ?? 0) dead, \(counts[.pending] ?? 0) pending
                          Feishu holds      \(end.feishu) messages, \(end.distinct) distinct uuids, \(end.duplicates) duplicates
                          result            \(end.feishu == messages && end.distinct == messages ? "each (message, recipient) exactly once" : "FAILED")
                        """)
                    if end.feishu != messages || end.distinct != messages || end.duplicates != 0 { throw ExitCode.failure }
                }
            }
        }

        /// Starts `yunqiao serve` on the database and waits until it answers `/healthz`.
        static func start(database: String, port: Int, http: HTTPClient) async throws -> Process {
            let process = Process()
            process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = ["serve"]
            var environment = ProcessInfo.processInfo.environment
            environment["YUNQIAO_DATABASE"] = database
            environment["YUNQIAO_HTTP_HOST"] = "127.0.0.1"
            environment["YUNQIAO_HTTP_PORT"] = String(port)
            environment["YUNQIAO_CONFIG"] = nil
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let response = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)),
                   response.status == .ok
                {
                    return process
                }
                guard process.isRunning else { throw ValidationError("the server stopped at start (status \(process.terminationStatus))") }
                try await Task.sleep(for: .milliseconds(100))
            }
            process.terminate()
            throw ValidationError("the server did not answer /healthz within 30 s")
        }

        static func feishuCount(_ emulator: RunningEmulator, _ appID: String) async -> Int {
            await emulator.state.admin("GET", "/_emulator/messages", query: ["app_id": appID, "limit": "0"]).json?["total"]?.intValue ?? 0
        }

        /// What Feishu holds against what the store recorded.
        static func state(store: YunqiaoDatabase, emulator: RunningEmulator, setup: Push.Setup) async throws
            -> (feishu: Int, distinct: Int, duplicates: Int, sent: Int, lostAnswers: Int)
        {
            let items = await emulator.state.admin("GET", "/_emulator/messages", query: ["app_id": setup.appID]).json?["items"]?.arrayValue ?? []
            let uuids = items.compactMap { $0["uuid"]?.stringValue }
            let timings = try await store.messages.deliveryTimings(tenantId: setup.tenantId)
            let distinct = Set(uuids)
            let sent = timings.values.filter { $0.sentAt != nil }.count
            let lost = distinct.filter { timings[$0]?.sentAt == nil }.count
            return (items.count, distinct.count, uuids.count - distinct.count, sent, lost)
        }
    }
}
