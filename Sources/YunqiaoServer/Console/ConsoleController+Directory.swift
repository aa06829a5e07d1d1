import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The directory mirror of an enterprise (department tree, members, user cards) and its sync runs.
extension ConsoleController {
    static let usersPerPage = 50

    func addDirectoryRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises/:id/directory") { request, context in
            show("directory", try await directoryPage(context.admin(), context.id("id"), request), request, context)
        }
        // The user card (`enterprises/:id/users/:user`) is in ConsoleController+Bindings.swift: it shows the binding too.
        routes.get("enterprises/:id/sync-runs") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            let enterprise = try await service.enterprise(admin, id: id)
            let runs = try await service.directory.syncRuns(admin, enterpriseId: id, limit: 100)
            let values: PageValues = ["enterprise": enterpriseRow(enterprise, t), "runs": runs.map { runRow($0, t) },
                                      "runTableId": "sync-runs"]
            return show("sync-runs", values, request, context)
        }
        routes.get("enterprises/:id/sync-runs/:run") { request, context in
            let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
            let enterprise = try await service.enterprise(admin, id: id)
            let run = try await service.directory.syncRun(admin, enterpriseId: id, id: context.id("run"))
            return show("sync-run", ["enterprise": enterpriseRow(enterprise, t), "run": runRow(run, t), "refresh": run.status == "running"],
                        request, context)
        }
    }

    /// The tree beside one page of members (of the chosen department, matching the search).
    private func directoryPage(_ admin: AdminIdentity, _ id: Int64, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let query = request.uri.queryParameters
        let department = query.get("department")?.nilIfEmpty
        let search = query.get("q") ?? ""
        let enterprise = try await service.enterprise(admin, id: id)
        let tree = try await service.directory.departmentTree(admin, enterpriseId: id)
        let page = try await service.directory.users(admin, enterpriseId: id, query: search, department: department, limit: Self.usersPerPage,
                                           offset: Int(query.get("offset") ?? "") ?? 0)
        let link = { (offset: Int) in
            "/console/enterprises/\(id)/directory"
                + ConsoleFormat.query(["department": department, "q": search, "offset": offset > 0 ? "\(offset)" : nil])
        }
        var values: PageValues = [
            "enterprise": enterpriseRow(enterprise, t), "tree": departmentItems(tree, current: department), "hasTree": !tree.isEmpty,
            "users": page.users.map { userRow($0, enterpriseId: id, t) }, "q": search,
            "total": page.total, "from": page.users.isEmpty ? 0 : page.offset + 1, "to": page.offset + page.users.count,
            "allHref": "/console/enterprises/\(id)/directory", "allCurrent": department == nil,
        ]
        values["department"] = department
        values["departmentName"] = department.map { Self.name(of: $0, in: tree) ?? $0 }
        if page.offset > 0 { values["prevHref"] = link(max(0, page.offset - page.limit)) }
        if page.offset + page.users.count < page.total { values["nextHref"] = link(page.offset + page.limit) }
        return values
    }

    /// The tree as nested items for the `department` partial.
    private func departmentItems(_ nodes: [DepartmentNode], current: String?) -> [PageValues] {
        nodes.map { node in
            ["name": node.name, "userCount": node.userCount, "openDepartmentID": node.openDepartmentID,
             "href": "?department=" + ConsoleFormat.component(node.openDepartmentID), "current": node.openDepartmentID == current,
             "children": departmentItems(node.children, current: current), "hasChildren": !node.children.isEmpty]
        }
    }

    private static func name(of department: String, in nodes: [DepartmentNode]) -> String? {
        for node in nodes {
            if node.openDepartmentID == department { return node.name }
            if let name = name(of: department, in: node.children) { return name }
        }
        return nil
    }

    func userRow(_ user: UserView, enterpriseId: Int64, _ t: Strings) -> TemplateValue {
        TemplateValue(user, ["href": "/console/enterprises/\(enterpriseId)/users/" + ConsoleFormat.component(user.unionID),
                             "statusLabel": t["user_status_" + user.status] ?? user.status,
                             "departmentNames": user.departments.map(\.name).joined(separator: t["list_separator"] ?? ", ")])
    }
}
