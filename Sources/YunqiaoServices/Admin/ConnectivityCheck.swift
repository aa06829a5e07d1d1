import AsyncHTTPClient
import FeishuKit
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import YunqiaoCore

/// "Check network" (开通服务器网络权限的说明) and "test credentials": each step is timed and explained; after a
/// failure the remaining steps are skipped.
public struct ConnectivityCheck: Sendable {
    let httpClient: HTTPClient
    let logger: Logger
    var timeout: Duration = .seconds(5)

    private struct StepFailure: Error {
        var message: LocalizedText
    }

    private struct Steps {
        var steps: [CheckResult.Step] = []
        var failed = false

        mutating func run(_ name: String, _ body: () async throws -> LocalizedText) async {
            guard !failed else {
                steps.append(.init(name: name, status: "skipped", message: "skipped after the failure above", durationMs: 0))
                return
            }
            let started = ContinuousClock.now
            do {
                let message = try await body()
                steps.append(.init(name: name, status: "ok", message: message, durationMs: (ContinuousClock.now - started).milliseconds))
            } catch {
                failed = true
                let message = (error as? StepFailure)?.message ?? LocalizedText(verbatim: "\(error)")
                steps.append(.init(name: name, status: "failed", message: message, durationMs: (ContinuousClock.now - started).milliseconds))
            }
        }

        mutating func skip(_ name: String, _ message: LocalizedText) {
            steps.append(.init(name: name, status: "skipped", message: message, durationMs: 0))
        }
    }

    /// DNS, TCP, TLS (https only) and, when an app is given, a token call against `baseURL`.
    func network(baseURL: String, credentials: FeishuCredentials?) async -> CheckResult {
        var steps = Steps()
        guard let url = URL(string: baseURL), let host = url.host, let scheme = url.scheme?.lowercased() else {
            return CheckResult(ok: false, steps: [.init(name: "dns", status: "failed", message: "the API base \(baseURL) is not a URL",
                                                       durationMs: 0)])
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        await steps.run("dns") {
            let addresses = try await resolve(host: host, port: port)
            return "\(host) resolves to \(addresses.prefix(3).joined(separator: ", "))"
        }
        await steps.run("tcp") {
            try await connect(host: host, port: port)
            let address = "\(host):\(port)"
            return "connected to \(address)"
        }
        if scheme == "https" {
            await steps.run("tls") {
                let status = try await fetch(url: baseURL + "/")
                return "TLS handshake with \(host) succeeded (HTTP \(status))"
            }
        } else {
            steps.skip("tls", "plain http: no TLS to check")
        }
        if let credentials {
            await steps.run("token") { try await tokenStep(baseURL: baseURL, credentials: credentials) }
        } else {
            steps.skip("token", "the enterprise has no app yet: add one to check a token call")
        }
        return CheckResult(ok: !steps.failed, steps: steps.steps)
    }

    /// A token fetch with the app's credentials, then the size of its contact scope.
    func credentials(baseURL: String, credentials: FeishuCredentials) async -> CheckResult {
        var steps = Steps()
        var scope: CheckResult.Scope?
        let client = oneShotClient(baseURL: baseURL, credentials: credentials)
        await steps.run("token") { try await tokenStep(client: client) }
        await steps.run("scope") {
            let (departments, users) = try await client.contactScope()
            // "All members" is listed as the root, or (as the sync finds it) shows as a readable root department.
            var allMembers = departments.contains("0")
            if !allMembers {
                // As the sync decides it: a readable root means "all members"; only an out-of-scope refusal says no,
                // any other failure is the step's failure.
                var root = client.departmentChildren(of: "0", pageSize: 1).makeAsyncIterator()
                do {
                    _ = try await root.next()
                    allMembers = true
                } catch let error as FeishuAPIError where error.isOutsideScope {
                    allMembers = false
                }
            }
            scope = CheckResult.Scope(allMembers: allMembers, departments: departments.count, users: users.count)
            let summary: LocalizedText = allMembers ? "contact scope: all members"
                : "contact scope: \(departments.count) departments and \(users.count) users"
            return summary
        }
        return CheckResult(ok: !steps.failed, steps: steps.steps, scope: scope)
    }

    private func oneShotClient(baseURL: String, credentials: FeishuCredentials) -> FeishuClient {
        FeishuClient(baseURL: baseURL, credentials: credentials, httpClient: httpClient,
                     retry: RetryPolicy(maxAttempts: 1, requestTimeout: timeout), logger: logger)
    }

    private func tokenStep(baseURL: String, credentials: FeishuCredentials) async throws -> LocalizedText {
        try await tokenStep(client: oneShotClient(baseURL: baseURL, credentials: credentials))
    }

    private func tokenStep(client: FeishuClient) async throws -> LocalizedText {
        _ = try await client.tenantAccessToken()
        return "tenant_access_token issued for \(client.credentials.appID)"
    }

    private func resolve(host: String, port: Int) async throws -> [String] {
        let addresses = try await NIOThreadPool.singleton.runIfActive {
            try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        return [addresses.ipAddress ?? host]
    }

    private func connect(host: String, port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(Int64(timeout.components.seconds)))
            .connect(host: host, port: port).get()
        try await channel.close()
    }

    private func fetch(url: String) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response = try await httpClient.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return response.status.code
    }
}
