import AsyncHTTPClient
import Foundation
import OAKit
import Logging
import Metrics
import NIOCore
import NIOPosix
import YunqiaoCore

/// The OA pull connector (issue #6, way 3): reads the external OA's departments, then its users, page by page, checks
/// every item with the rules of the file import (``OADirectoryImport``) and applies the whole directory in one
/// transaction with `replace` semantics (users the OA no longer lists become `left`, departments it no longer lists
/// are deleted). Nothing is applied when a page fails or any item is bad; the run records why, naming the list, the
/// item's position and the field.
public struct OAConnectorPuller: Sendable {
    public let database: any BridgeStore
    let httpClient: HTTPClient
    let logger: Logger
    public var limits: Limits

    /// Bounds of one run.
    public struct Limits: Sendable {
        /// Items asked per page (`page_size`).
        public var pageSize = 100
        /// Pages read per list at most.
        public var maxPages = 1000
        /// Deadline of each request.
        public var timeout: Duration = .seconds(15)
        /// Largest answer read.
        public var maxResponseBytes = 8 * 1024 * 1024

        public init(pageSize: Int = 100, maxPages: Int = 1000, timeout: Duration = .seconds(15), maxResponseBytes: Int = 8 * 1024 * 1024) {
            self.pageSize = pageSize
            self.maxPages = maxPages
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// The audit actor of what a pull changes.
    static let actor = AuditActor("oa-connector")

    public init(database: any BridgeStore, httpClient: HTTPClient, limits: Limits = Limits(), logger: Logger) {
        self.database = database
        self.httpClient = httpClient
        self.limits = limits
        self.logger = logger
    }

    func client(_ connector: OAConnectorRecord) throws -> OAConnectorClient {
        OAConnectorClient(baseURL: connector.baseURL, secret: try database.oaConnectors.secret(of: connector), httpClient: httpClient,
                          timeout: limits.timeout, maxResponseBytes: limits.maxResponseBytes)
    }

    // MARK: runs

    /// Runs a started run to its end and stores how it went. Never throws: a failure is the run's status.
    @discardableResult
    public func finish(_ run: OAConnectorRunRecord) async -> OAConnectorRunRecord {
        var logger = logger
        logger[metadataKey: "oa.connector.run"] = "\(run.id ?? 0)"
        logger[metadataKey: "tenant"] = "\(run.tenantId)"
        let started = ContinuousClock.now
        let outcome = await pull(tenantId: run.tenantId, logger: logger)
        Counter(label: "yunqiao_oa_connector_runs_total", dimensions: [("status", outcome.status.rawValue)]).increment()
        let metadata: Logger.Metadata = [
            "oa.connector.pages": "\(outcome.pagesFetched)", "oa.connector.ms": "\((ContinuousClock.now - started).milliseconds)",
            "oa.directory.created": "\(outcome.result.created)", "oa.directory.updated": "\(outcome.result.updated)",
            "oa.directory.left": "\(outcome.result.left)", "oa.directory.deleted": "\(outcome.result.deleted)",
        ]
        if outcome.status == .succeeded {
            logger.info("OA pull finished", metadata: metadata)
        } else if outcome.status == .parked {
            logger.warning("OA pull parked past the decrease threshold", metadata: metadata.merging(["error": "\(outcome.error ?? "")"]) { $1 })
        } else {
            logger.warning("OA pull failed", metadata: metadata.merging(["error": "\(outcome.error ?? "")"]) { $1 })
        }
        do {
            return try await database.oaConnectors.finishOAConnectorRun(run, outcome, at: Date())
        } catch {
            logger.error("could not store the OA pull's outcome", metadata: ["error": "\(error)"])
            return run
        }
    }

    /// Why a pull stopped before applying anything.
    struct PullFailure: Error, CustomStringConvertible {
        var description: String
    }

    func pull(tenantId: Int64, logger: Logger) async -> OAConnectorRunOutcome {
        var outcome = OAConnectorRunOutcome(status: .failed)
        do {
            guard let connector = try await database.oaConnectors.oaConnector(tenantId: tenantId) else {
                throw PullFailure(description: "the OA connector is not configured")
            }
            let client = try client(connector)
            let departmentItems = try await fetchAll(.departments, client, pages: &outcome.pagesFetched)
            outcome.departmentsFetched = departmentItems.count
            let userItems = try await fetchAll(.users, client, pages: &outcome.pagesFetched)
            outcome.usersFetched = userItems.count

            let state = try await database.oaDirectory.oaDirectoryState(tenantId: tenantId)
            let checked = Self.validate(departments: departmentItems, users: userItems, existingLogins: state.logins)
            guard checked.errors.isEmpty else {
                let items = Set(checked.errors.map { "\($0.list)#\($0.index ?? -1)" }).count
                outcome.itemErrors = checked.errors
                outcome.error = "\(items) item\(items == 1 ? " has" : "s have") errors; nothing was applied. First: \(checked.errors[0])"
                return outcome
            }
            outcome.result = try await database.oaDirectory.importOADirectory(tenantId: tenantId, departments: checked.departments, users: checked.users,
                                                                              mode: .replace, source: .pull, by: Self.actor, at: Date())
            if let parked = outcome.result.parked {
                outcome.status = .parked
                outcome.error = "\(parked.leavingUsers) of \(parked.activeUsers) users would leave and \(parked.deletedDepartments) of "
                    + "\(parked.departments) departments be deleted, past the decrease threshold; nothing was applied: "
                    + "parked change \(parked.id) waits for an admin"
            } else {
                outcome.status = .succeeded
            }
        } catch let failure as PullFailure {
            outcome.error = failure.description
        } catch {
            outcome.error = "\(error); nothing was applied"
        }
        return outcome
    }

    /// Every item of a list, following `page_token` until `has_more` is false. A failed page, a page token seen
    /// before, `has_more` without a token or more than `maxPages` pages stop the pull.
    /// The OA's name of a list of the import.
    static func remote(_ list: OADirectoryImport.Sheet) -> OADirectoryList {
        switch list {
        case .departments: .departments
        case .users: .users
        }
    }

    func fetchAll(_ list: OADirectoryImport.Sheet, _ client: OAConnectorClient,
                  pages: inout Int) async throws(PullFailure) -> [[String: OAConnectorValue]]
    {
        var items: [[String: OAConnectorValue]] = []
        var token: String?
        var seen: Set<String> = []
        for number in 1... {
            guard number <= limits.maxPages else {
                throw PullFailure(description: "\(list.rawValue): more than \(limits.maxPages) pages; stopped, nothing was applied")
            }
            let page: OAConnectorClient.Page
            do {
                page = try await client.page(Self.remote(list), pageSize: limits.pageSize, pageToken: token)
            } catch {
                throw PullFailure(description: "\(list.rawValue) page \(number) (GET \(OAConnectorClient.path(Self.remote(list)))): \(error); nothing was applied")
            }
            pages += 1
            items += page.items
            guard page.hasMore else { break }
            guard let next = page.pageToken, !next.isEmpty else {
                throw PullFailure(description: "\(list.rawValue) page \(number): has_more is true but page_token is missing; nothing was applied")
            }
            guard seen.insert(next).inserted else {
                throw PullFailure(description: "\(list.rawValue) page \(number): page_token \"\(next)\" was already used "
                    + "(the OA's paging loops); nothing was applied")
            }
            token = next
        }
        return items
    }

    /// The items as rows of the import, checked with its rules. Departments are checked on their own (a full pull
    /// replaces the stored ones, so a parent must be pulled too); users against the pulled departments.
    static func validate(departments departmentItems: [[String: OAConnectorValue]], users userItems: [[String: OAConnectorValue]],
                         existingLogins: [String: String]) -> (departments: [OADirectoryImport.Department], users: [OADirectoryImport.User],
                                                              errors: [OAConnectorItemError])
    {
        var errors: [OAConnectorItemError] = []
        let departmentCells = cells(departmentItems, list: .departments, errors: &errors)
        let userCells = cells(userItems, list: .users, errors: &errors)
        // A value already reported as the wrong type is not reported again as missing.
        let reported = Set(errors.map { "\($0.list)#\($0.index ?? -1).\($0.field ?? "")" })
        func items(_ failure: OADirectoryImport.Failure, _ list: OADirectoryImport.Sheet) -> [OAConnectorItemError] {
            failure.errors.compactMap { error in
                let index = error.line >= 2 ? error.line - 2 : nil
                // Line 1 is the header: a problem of the list as a whole (a field no item has).
                let message: LocalizedText = index == nil ? "\(error.message) (a field no item has)" : error.message
                let item = OAConnectorItemError(list: list.rawValue, index: index, field: error.column, message: message)
                return reported.contains("\(item.list)#\(item.index ?? -1).\(item.field ?? "")") ? nil : item
            }
        }
        var departments: [OADirectoryImport.Department] = []
        if !departmentCells.isEmpty {
            do {
                departments = try OADirectoryImport.departments(OADirectoryImport.rows(departmentCells), existing: [:])
            } catch {
                errors += items(error, .departments)
            }
        }
        var users: [OADirectoryImport.User] = []
        if !userCells.isEmpty {
            let known = Set(departmentCells.compactMap { $0["oa_id"]?.trimmingCharacters(in: .whitespaces) })
            do {
                users = try OADirectoryImport.users(OADirectoryImport.rows(userCells), departments: known, existingLogins: existingLogins)
            } catch {
                errors += items(error, .users)
            }
        }
        let sorted = errors.enumerated().sorted { a, b in
            let x = (a.element.list == "departments" ? 0 : 1, a.element.index ?? -1, a.offset)
            let y = (b.element.list == "departments" ? 0 : 1, b.element.index ?? -1, b.offset)
            return x < y
        }.map(\.element)
        return (departments, users, sorted)
    }

    /// Items as string cells; values of the wrong type are reported and left empty.
    static func cells(_ items: [[String: OAConnectorValue]], list: OADirectoryImport.Sheet,
                      errors: inout [OAConnectorItemError]) -> [[String: String]]
    {
        items.enumerated().map { index, item in
            var cells: [String: String] = [:]
            for (field, value) in item {
                switch value.cell(field: field) {
                case .success(let text): cells[field] = text ?? ""
                case .failure(let error):
                    errors.append(OAConnectorItemError(list: list.rawValue, index: index, field: field, message: error.text))
                    cells[field] = ""
                }
            }
            return cells
        }
    }

    // MARK: check

    /// "Check": reaches the OA and reads the first page of each list with the stored settings, a step at a time —
    /// `oa_reach` (an HTTP answer), `oa_auth` (the secret is accepted), `oa_departments`, `oa_users` (the contract's
    /// JSON). Steps after a failure are skipped.
    public func check(tenantId: Int64) async throws -> CheckResult {
        guard let connector = try await database.oaConnectors.oaConnector(tenantId: tenantId) else {
            throw YunqiaoError.invalid(field: "baseURL", message: "configure the OA connector first")
        }
        // An admin waits for the answer: at most 10 s per request.
        var client = try client(connector)
        client.timeout = min(limits.timeout, .seconds(10))
        var steps: [CheckResult.Step] = []
        func add(_ name: String, _ status: String, _ message: LocalizedText, _ duration: Duration = .zero) {
            steps.append(.init(name: name, status: status, message: message, durationMs: duration.milliseconds))
        }
        func skipRest(_ names: [String]) {
            for name in names { add(name, "skipped", "skipped after the failure above") }
        }

        let started = ContinuousClock.now
        // A host that does not resolve or refuses the connection fails at once: the HTTP client would retry the
        // connection until its deadline.
        if let unreachable = await Self.connectionFailure(connector.baseURL, timeout: .seconds(5)) {
            add("oa_reach", "failed", unreachable, ContinuousClock.now - started)
            skipRest(["oa_auth", "oa_departments", "oa_users"])
            return CheckResult(ok: false, steps: steps)
        }
        let first: Result<OAConnectorClient.Page, OAConnectorClient.Failure>
        do { first = .success(try await client.page(.departments, pageSize: limits.pageSize, pageToken: nil)) } catch { first = .failure(error) }
        let elapsed = ContinuousClock.now - started
        let host = URL(string: connector.baseURL)?.host ?? connector.baseURL
        switch first {
        case .failure(let failure) where failure.isNoAnswer:
            add("oa_reach", "failed", failure.text, elapsed)
            skipRest(["oa_auth", "oa_departments", "oa_users"])
        case .failure(.refused(let status)):
            add("oa_reach", "ok", "\(host) answered (HTTP \(status))", elapsed)
            add("oa_auth", "failed", OAConnectorClient.Failure.refused(status: status).text)
            skipRest(["oa_departments", "oa_users"])
        case .failure(.status(let status)):
            add("oa_reach", "ok", "\(host) answered (HTTP \(status))", elapsed)
            add("oa_auth", "failed", "GET \(OAConnectorClient.path(.departments)) answered HTTP \(status): check the base URL and the OA's logs")
            skipRest(["oa_departments", "oa_users"])
        case .failure(let failure):
            add("oa_reach", "ok", "\(host) answered (HTTP 200)", elapsed)
            add("oa_auth", "ok", "the OA accepted the connector secret")
            add("oa_departments", "failed", failure.text)
            skipRest(["oa_users"])
        case .success(let page):
            add("oa_reach", "ok", "\(host) answered (HTTP 200)", elapsed)
            add("oa_auth", "ok", "the OA accepted the connector secret")
            add("oa_departments", "ok", Self.pageSummary(page, .departments), elapsed)
            let usersStarted = ContinuousClock.now
            do {
                let users = try await client.page(.users, pageSize: limits.pageSize, pageToken: nil)
                add("oa_users", "ok", Self.pageSummary(users, .users), ContinuousClock.now - usersStarted)
            } catch {
                add("oa_users", "failed", "GET \(OAConnectorClient.path(.users)): \(error)", ContinuousClock.now - usersStarted)
            }
        }
        return CheckResult(ok: !steps.contains { $0.status == "failed" }, steps: steps)
    }

    /// Why a TCP connection to the URL's host and port cannot be made (within `timeout`), or nil when it can.
    static func connectionFailure(_ baseURL: String, timeout: TimeAmount) async -> LocalizedText? {
        guard let url = URL(string: baseURL), let host = url.host, let scheme = url.scheme?.lowercased() else {
            return "the base URL \(baseURL) is not a URL"
        }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: host, port: url.port ?? (scheme == "https" ? 443 : 80)).get()
            try? await channel.close()
            return nil
        } catch {
            return "cannot reach \(host): \(error)"
        }
    }

    /// `first page: 3 departments, more pages follow`.
    static func pageSummary(_ page: OAConnectorClient.Page, _ list: OADirectoryList) -> LocalizedText {
        switch (list, page.hasMore) {
        case (.departments, true): "first page: \(page.items.count) departments, more pages follow"
        case (.departments, false): "first page: \(page.items.count) departments, no more pages"
        case (.users, true): "first page: \(page.items.count) users, more pages follow"
        case (.users, false): "first page: \(page.items.count) users, no more pages"
        }
    }
}
