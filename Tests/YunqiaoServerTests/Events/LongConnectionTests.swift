import FeishuEmulator
import FeishuKit
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
@testable import YunqiaoServices

/// The long connection end to end (issue #15; `feishu-longconn.md`): the bridge opens it for an app set to receive events
/// that way, pings, reassembles fragments, acks, and comes back after the emulator closes it.
@Suite(.timeLimit(.minutes(2)))
struct LongConnectionTests {
    @Test func eventsArriveOverTheLongConnectionFragmentedOrNotAndAfterAServerSideClose() async throws {
        try await EventEnvironment.with(subscribe: false) { env in
            _ = await env.emulator.state.admin("PUT", "/_emulator/long-connections/settings",
                                               body: ["ping_interval": 1, "reconnect_interval": 1, "reconnect_nonce": 0])
            let set = try await env.api.put("apps/\(env.appId)/events", #"{"channel":"websocket"}"#)
            #expect(set.status == .ok, "\(set)")
            let bad = try await env.api.put("apps/\(env.appId)/events", #"{"channel":"carrier-pigeon"}"#)
            #expect(bad.status == .badRequest && bad.error?.field == "channel")
            try await eventually("the bridge is connected") { try await Self.connections(env).count == 1 }
            let first = try #require(try await Self.connections(env).first)

            let root1 = try await env.user("root1")
            let openID = try required(root1.openID), unionID = try required(root1.unionID)
            _ = try await env.admin.patchUser(openID, FeishuClient.UserFields(jobTitle: "长连接一"))
            try await env.settle()
            #expect(try await env.mirror().users[unionID]?.jobTitle == "长连接一")

            // Big messages come in fragments of 100 bytes.
            _ = await env.emulator.state.admin("PUT", "/_emulator/long-connections/settings", body: ["fragment_bytes": 100])
            _ = try await env.admin.patchUser(openID, FeishuClient.UserFields(jobTitle: "分片消息"))
            try await env.settle()
            #expect(try await env.mirror().users[unionID]?.jobTitle == "分片消息")

            // Pings every second, answered with pongs.
            try await eventually("the bridge pings") { (try await Self.connections(env).first?["pings"]?.intValue ?? 0) >= 2 }

            // The platform closes the connection: the bridge asks for a new URL and connects again.
            _ = await env.emulator.state.admin("POST", "/_emulator/long-connections/close", body: ["app_id": .string(EventEnvironment.appID)])
            try await eventually("the bridge is connected again") {
                let now = try await Self.connections(env)
                return now.count == 1 && now.first?["device_id"] != first["device_id"]
            }
            _ = try await env.admin.patchUser(openID, FeishuClient.UserFields(jobTitle: "重连之后"))
            try await env.settle()
            #expect(try await env.mirror().users[unionID]?.jobTitle == "重连之后")

            let channel = try await env.api.get("apps/\(env.appId)/events")
            let shown = JSON.parse(channel.text) ?? .null
            #expect(shown["channel"] == "websocket" && shown["lastChannel"] == "websocket", "\(shown)")
            #expect(shown["connection"]?["state"] == "connected", "\(shown)")
            #expect((shown["connection"]?["reconnects"]?.intValue ?? 0) >= 1, "\(shown)")
            #expect(shown["received"] == 3, "\(shown)")
            let counters = await env.pushCounters()
            #expect(counters["failed_attempts"] == 0, "every push acked at once: \(counters)")

            // Back to the request URL: the bridge closes its connection.
            #expect(try await env.api.put("apps/\(env.appId)/events", #"{"channel":"http"}"#).status == .ok)
            try await eventually("the connection is closed") { try await Self.connections(env).isEmpty }
        }
    }

    @Test func aRefusedHandshakeIsReportedAndRetried() async throws {
        try await EventEnvironment.with(subscribe: false) { env in
            _ = await env.emulator.state.admin("PUT", "/_emulator/long-connections/settings",
                                               body: ["ping_interval": 1, "reconnect_interval": 1, "reconnect_nonce": 0, "refuse": 403])
            #expect(try await env.api.put("apps/\(env.appId)/events", #"{"channel":"websocket"}"#).status == .ok)
            try await eventually("the refusal is reported") {
                let shown = JSON.parse(try await env.api.get("apps/\(env.appId)/events").text)
                return shown?["connection"]?["lastError"]?.stringValue != nil && shown?["connection"]?["state"] == "waiting"
            }
            _ = await env.emulator.state.admin("PUT", "/_emulator/long-connections/settings", body: ["refuse": .null])
            try await eventually("connected once the platform accepts") { try await Self.connections(env).count == 1 }
        }
    }

    static func connections(_ env: EventEnvironment) async throws -> [JSON] {
        await env.emulator.state.admin("GET", "/_emulator/long-connections").json?["connections"]?.arrayValue ?? []
    }
}
