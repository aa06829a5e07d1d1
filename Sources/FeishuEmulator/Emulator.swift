import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// A Feishu/Lark open-platform emulator: one tenant, its apps and org, served over HTTP like `open.feishu.cn`.
///
/// Run it as a service (`yunqiao emulator`), or in-process from tests:
/// ```swift
/// try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
///     // talk to emulator.baseURL
/// }
/// ```
public struct Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    public let state: EmulatorState

    public init(configuration: EmulatorConfiguration, faults: EmulatorFaults = EmulatorFaults()) {
        self.configuration = configuration
        self.state = EmulatorState(configuration: configuration, faults: faults)
    }

    /// The Hummingbird application; `onReady` gets the bound port (useful with port 0).
    public func application(logger: Logger = Logger(label: "feishu-emulator"),
                            onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol
    {
        let state = self.state
        // The long connection's WebSocket (`/ws/v2?…&ticket=…`, feishu-longconn.md §3) listens on a port of its own, as
        // the platform's `msg-frontier` host is another than the API's: the API's server stays plain HTTP/1, whose
        // graceful stop closes idle keep-alive connections at once.
        let webSocket = Application(
            responder: HandshakeRefusalResponder(state: state),
            server: .http1WebSocketUpgrade(configuration: .init(maxFrameSize: 1 << 20)) { request, _, _ in
                guard let target = request.path, target.hasPrefix("/ws/v2") else { return .dontUpgrade }
                let ticket = URLComponents(string: target)?.queryItems?.first { $0.name == "ticket" }?.value
                guard case .success(let issued) = await state.longConnections.admit(ticket: ticket) else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    await state.longConnections.serve(appID: issued.appID, deviceID: issued.deviceID, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(configuration.host, port: 0), serverName: nil),
            onServerRunning: { channel in await state.longConnections.listening(port: channel.localAddress?.port ?? 0) },
            logger: logger)
        return Application(
            responder: EmulatorResponder(state: state, latency: configuration.latency),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [state.eventPush, webSocket],
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Starts an emulator, runs `body` while it serves, then stops it.
    public static func withRunning<T: Sendable>(
        _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
        faults: EmulatorFaults = EmulatorFaults(),
        logger: Logger = Logger(label: "feishu-emulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (RunningEmulator) async throws -> T
    ) async throws -> T {
        let emulator = Emulator(configuration: configuration, faults: faults)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await emulator.application(logger: logger) { port in
                    continuation.yield(port)
                    continuation.finish()
                }.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                group.cancelAll()
                throw EmulatorStartError()
            }
            let running = RunningEmulator(host: configuration.host, port: port, state: emulator.state)
            do {
                let result = try await body(running)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

public struct EmulatorStartError: Error, CustomStringConvertible {
    public var description: String { "the emulator stopped before it was listening" }
}

/// A running emulator: where it listens and its state (for assertions).
public struct RunningEmulator: Sendable {
    public let host: String
    public let port: Int
    public let state: EmulatorState

    /// `http://127.0.0.1:PORT`: an origin, no trailing slash, as the official SDK wants its domain.
    public var baseURL: String { "http://\(host):\(port)" }
}

extension EmulatorState {
    /// App credentials, for printing by the CLI and for tests.
    public var appCredentials: [(appID: String, appSecret: String)] {
        configuration.apps.map { ($0.appID, $0.appSecret) }
    }

    /// Number of departments and users (users not resigned).
    public var orgSize: (departments: Int, users: Int) {
        (contact.org.departments.count, contact.org.users.values.filter { !$0.status.isResigned }.count)
    }

    /// Users directly in each department (open department id, `"0"` for the root), resigned users excluded.
    public var directMemberCounts: [String: Int] {
        var counts: [String: Int] = [rootDepartment: 0]
        for id in contact.org.departments.keys { counts[id] = 0 }
        for user in contact.org.users.values where !user.status.isResigned {
            for department in user.departments { counts[department, default: 0] += 1 }
        }
        return counts
    }

    /// Counters and optionally the org, as served at `/_emulator/state`.
    public func snapshot(includeOrg: Bool = false) -> JSON { stateJSON(includeOrg: includeOrg) }

    /// Changes injected faults at run time (same as `PUT /_emulator/faults`).
    public func setFaults(_ faults: EmulatorFaults) { admin.faults = faults }

    public func setRateLimit(enabled: Bool) { admin.rateLimitEnabled = enabled }

    /// Sets the tenant's licensed seats (nil = no limit; same as `PUT /_emulator/seats`); answers the seats taken.
    @discardableResult
    public func setSeats(_ seats: Int?) -> Int {
        contact.seats = seats
        return contact.org.seatsTaken
    }

    /// Expires every issued access token now, tenant, app and user tokens (same as `POST /_emulator/tokens/expire`).
    /// Refresh tokens and authorization codes keep their own lifetimes.
    public func expireAllTokens() {
        let time = admin.now
        admin.expireTokens(now: time)
        oauth.expireUserTokens(now: time)
    }

    /// Changes an app's contact scope at run time (an admin editing 通讯录权限范围).
    /// Pushed as `contact.scope.updated_v3` to an app with an event URL.
    public func setScope(appID: String, _ scope: EmulatorConfiguration.ContactScope) {
        changeScope(appID: appID, scope)
    }

    /// Calls answered so far, all APIs together.
    public var totalCalls: Int { admin.counters.calls.values.reduce(0, +) }
}
