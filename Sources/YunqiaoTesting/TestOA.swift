import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore

/// A test double of an external OA serving the pull connector's contract under `/oa`: in-memory departments and
/// users (JSON objects, so a test can send any shape), a bearer check, paging by `page_size`/`page_token`,
/// `verify-login`, and faults (a status or malformed JSON on page N of a list, a slow answer, paging that loops or
/// loses its token).
actor TestOAState {
    var secret: String
    var departments: [String]
    var users: [String]
    /// login id → (password, the user id answered).
    var logins: [String: (password: String, userID: String)] = [:]

    /// Answers page `page` (from 1) of `list` with `status` and an error body.
    var failPage: (list: String, page: Int, status: Int)?
    /// Answers page `page` of `list` with text that is not JSON.
    var malformedPage: (list: String, page: Int)?
    /// Waits this long before answering anything.
    var delay: Duration = .zero
    /// Every page says `has_more` with the same token.
    var loopingToken = false
    /// `has_more` without a token.
    var missingToken = false
    /// Answers `verify-login` with this status instead.
    var verifyStatus: Int?

    /// Requests seen, as `METHOD /path?query`, and the passwords verify-login received.
    private(set) var requests: [String] = []

    init(secret: String = TestOAState.secret, departments: [String] = TestOAState.standardDepartments, users: [String] = TestOAState.standardUsers) {
        self.secret = secret
        self.departments = departments
        self.users = users
    }

    static let secret = "oa-connector-secret-7f3a"

    /// 总部 (D1) > 研发部 (D2) > 平台组 (D3); 销售部 (D4) at the top level.
    static let standardDepartments = [
        department("D1", "总部", order: 1), department("D2", "研发部", parent: "D1", order: 2),
        department("D3", "平台组", parent: "D2"), department("D4", "销售部", subcompany: "S1"),
    ]

    static let standardUsers = [
        user("1001", "zhangsan", "张三", "D2", email: "zhangsan@example.com", mobile: "13800001001", employeeNo: "E1001", title: "工程师"),
        user("1002", "lisi", "李四", "D3", partTime: #"["D4"]"#),
        user("1003", "wangwu", "王五", "D4", email: "wangwu@example.com"),
        user("1004", "zhaoliu", "赵六", "D1"),
        user("1005", "qianqi", "钱七", "D4", status: "left"),
    ]

    static func department(_ id: String, _ name: String, parent: String? = nil, subcompany: String? = nil, order: Int? = nil) -> String {
        var fields = [#""oa_id":"\#(id)""#, #""name":"\#(name)""#]
        if let parent { fields.append(#""parent_oa_id":"\#(parent)""#) } else { fields.append(#""parent_oa_id":null"#) }
        if let subcompany { fields.append(#""subcompany":"\#(subcompany)""#) }
        if let order { fields.append(#""order":\#(order)"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func user(_ id: String, _ login: String, _ name: String, _ department: String, email: String? = nil, mobile: String? = nil,
                     employeeNo: String? = nil, title: String? = nil, partTime: String? = nil, status: String? = nil) -> String
    {
        var fields = [#""oa_id":"\#(id)""#, #""login_id":"\#(login)""#, #""name":"\#(name)""#, #""department_oa_id":"\#(department)""#]
        if let email { fields.append(#""email":"\#(email)""#) }
        if let mobile { fields.append(#""mobile":"\#(mobile)""#) }
        if let employeeNo { fields.append(#""employee_no":"\#(employeeNo)""#) }
        if let title { fields.append(#""title":"\#(title)""#) }
        if let partTime { fields.append(#""part_time_department_oa_ids":\#(partTime)"#) }
        if let status { fields.append(#""status":"\#(status)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    func set(departments: [String]? = nil, users: [String]? = nil) {
        if let departments { self.departments = departments }
        if let users { self.users = users }
    }

    func set(secret: String) { self.secret = secret }
    func set(delay: Duration) { self.delay = delay }
    func set(failPage: (list: String, page: Int, status: Int)?) { self.failPage = failPage }
    func set(malformedPage: (list: String, page: Int)?) { self.malformedPage = malformedPage }
    func set(loopingToken: Bool = false, missingToken: Bool = false) {
        self.loopingToken = loopingToken
        self.missingToken = missingToken
    }
    func set(verifyStatus: Int?) { self.verifyStatus = verifyStatus }
    func set(login: String, password: String, userID: String) { logins[login] = (password, userID) }

    /// The requests of a path (`/oa/users`), without the query.
    func requests(to path: String) -> [String] {
        requests.filter { $0.split(separator: " ").last?.split(separator: "?").first.map(String.init) == path }
    }

    // MARK: answers

    func answer(method: String, path: String, query: [String: String], authorization: String?, body: Data) -> (status: Int, body: String) {
        let text = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        requests.append("\(method) \(path)" + (text.isEmpty ? "" : "?" + text))
        guard authorization == "Bearer \(secret)" else { return (401, #"{"error":"unauthorized"}"#) }
        switch (method, path) {
        case ("GET", "/oa/departments"): return page("departments", departments, query)
        case ("GET", "/oa/users"): return page("users", users, query)
        case ("POST", "/oa/verify-login"):
            if let verifyStatus { return (verifyStatus, #"{"error":"verify failed"}"#) }
            struct Login: Decodable { var login_id: String; var password: String }
            guard let login = try? JSONDecoder().decode(Login.self, from: body) else { return (400, #"{"error":"bad body"}"#) }
            guard let known = logins[login.login_id], known.password == login.password else { return (200, #"{"valid":false}"#) }
            return (200, #"{"valid":true,"user_id":"\#(known.userID)"}"#)
        default: return (404, #"{"error":"not found"}"#)
        }
    }

    private func page(_ list: String, _ items: [String], _ query: [String: String]) -> (status: Int, body: String) {
        let size = max(1, min(Int(query["page_size"] ?? "") ?? 100, 100))
        let offset = query["page_token"].flatMap { Int($0.dropFirst(1)) } ?? 0
        let number = offset / size + 1
        if let fault = failPage, fault.list == list, fault.page == number { return (fault.status, #"{"error":"injected"}"#) }
        if let fault = malformedPage, fault.list == list, fault.page == number { return (200, #"{"items":[{"oa_id":"#) }
        let slice = items.dropFirst(offset).prefix(size)
        let more = offset + slice.count < items.count
        var tail = #""has_more":\#(more || loopingToken || missingToken)"#
        if loopingToken {
            tail += #","page_token":"t1""#
        } else if more, !missingToken {
            tail += #","page_token":"p\#(offset + slice.count)""#
        }
        return (200, #"{"items":[\#(slice.joined(separator: ","))],\#(tail)}"#)
    }
}

/// A running test OA: `baseURL` is `http://127.0.0.1:<port>/oa`.
struct RunningTestOA: Sendable {
    let port: Int
    let state: TestOAState
    var baseURL: String { "http://127.0.0.1:\(port)/oa" }

    /// Starts a test OA on a free port, runs `body`, stops it.
    static func with<T: Sendable>(_ state: TestOAState = TestOAState(), _ body: @Sendable (RunningTestOA) async throws -> T) async throws -> T {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let delay = await state.delay
            if delay > .zero { try await Task.sleep(for: delay) }
            let answer = await state.answer(method: request.method.rawValue, path: request.uri.path, query: query,
                                             authorization: request.headers[.authorization], body: Data(body.readableBytesView))
            return Response(status: .init(code: answer.status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.get("oa/departments", use: handler)
        router.get("oa/users", use: handler)
        router.post("oa/verify-login", use: handler)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              },
                              logger: Logger(label: "test-oa", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                group.cancelAll()
                throw TestOAError()
            }
            do {
                let result = try await body(RunningTestOA(port: port, state: state))
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// A local port nothing listens on (a test OA's, after it stopped).
    static func closedPort() async throws -> Int {
        try await with { $0.port }
    }
}

struct TestOAError: Error {}

/// Runs `service` in a service group while `body` runs, then shuts the group down gracefully.
func withRunningService<T: Sendable>(_ service: some Service, _ body: @Sendable () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [.init(service: service)],
                                                  logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Waits until `condition` holds (polling), or fails after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool) async throws {
    _ = try await pushWait(what, timeout: timeout) { try await condition() ? true : nil }
}

/// A connector run as the API answers it.
struct RunBody: Decodable, Sendable {
    var id: Int64
    var status: String
    var source: String
    var startedBy: String
    var pagesFetched: Int
    var departmentsFetched: Int
    var usersFetched: Int
    var created: Int
    var updated: Int
    var unchanged: Int
    var left: Int
    var deleted: Int
    var error: String?
    var itemErrors: [OAConnectorItemError]
}

struct RunStartBody: Decodable, Sendable {
    var started: Bool
    var run: RunBody
}

extension APIEnvironment {
    /// `PUT oa-connector` with the test OA's base URL and secret.
    @discardableResult
    func configureConnector(_ oa: RunningTestOA, secret: String = TestOAState.secret, enabled: Bool = false,
                            loginCheck: String = "embedded", caller: APICaller? = nil) async throws -> Answer
    {
        let answer = try await (caller ?? api).put("oa-connector", #"""
            {"baseURL":"\#(oa.baseURL)","secret":"\#(secret)","enabled":\#(enabled),"intervalMinutes":60,"loginCheck":"\#(loginCheck)"}
            """#)
        try check(answer.status == .ok, "\(answer)")
        return answer
    }

    /// Polls `oa-connector/runs/{id}` until the run has finished.
    func waitForConnectorRun(_ id: Int64, caller: APICaller? = nil) async throws -> RunBody {
        let caller = caller ?? api
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let run = try await caller.get("oa-connector/runs/\(id)").decode(RunBody.self)
            if run.status != "running" { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSetupFailure("run \(id) did not finish")
    }
}
