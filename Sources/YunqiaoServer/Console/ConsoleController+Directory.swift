import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The directory mirror of an enterprise (department tree, members, user cards) and its sync runs.
extension ConsoleController {
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
        let filter = Self.bindingFilter(query.get("binding"))
        let (offset, size) = (ConsolePager.offset(query.get("offset")), ConsolePager.size(query.get("size")))
        let enterprise = try await service.enterprise(admin, id: id)
        let tree = try await service.directory.departmentTree(admin, enterpriseId: id)
        let page = try await service.directory.users(admin, enterpriseId: id, query: search, department: department, bound: filter, limit: size,
                                                     offset: offset)
        let link = { (offset: Int, size: Int) in
            "/console/enterprises/\(id)/directory"
                + ConsoleFormat.query(["department": department, "q": search, "binding": filter.map { $0 ? "bound" : "unbound" },
                                       "offset": offset > 0 ? "\(offset)" : nil, "size": size != ConsolePager.defaultSize ? "\(size)" : nil])
        }
        var values: PageValues = [
            "enterprise": enterpriseRow(enterprise, t), "tree": departmentItems(tree, current: department), "hasTree": !tree.isEmpty,
            "users": page.users.map { userRow($0, enterpriseId: id, t) }, "q": search,
            "pager": ConsolePager(total: page.total, offset: offset, size: size)
                .values(id: "page", countId: "user-count", shown: page.users.count, t, link: link),
            "allHref": "/console/enterprises/\(id)/directory", "allCurrent": department == nil,
            "bindingOptions": Self.options([("", t["bd_filter_all"] ?? ""), ("bound", t["bd_filter_bound"] ?? ""),
                                            ("unbound", t["bd_filter_unbound"] ?? "")],
                                           selected: filter.map { $0 ? "bound" : "unbound" } ?? ""),
            "size": size != ConsolePager.defaultSize ? "\(size)" : "",
        ]
        values["department"] = department
        values["departmentName"] = department.map { Self.name(of: $0, in: tree) ?? $0 }
        return values
    }

    /// The 已绑定 / 未绑定 filter of a directory list (`binding=bound|unbound`); anything else shows everyone.
    static func bindingFilter(_ value: String?) -> Bool? {
        switch value {
        case "bound": true
        case "unbound": false
        default: nil
        }
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
        var extra: PageValues = ["href": "/console/enterprises/\(enterpriseId)/users/" + ConsoleFormat.component(user.unionID),
                                 "statusLabel": t["user_status_" + user.status] ?? user.status,
                                 "departmentNames": user.departments.map { $0.openDepartmentID == "0" ? t["dir_root"] ?? $0.name : $0.name }
                                     .joined(separator: t["list_separator"] ?? ", ")]
        extra["binding"] = user.binding.map { binding -> PageValues in
            ["oaName": binding.oaName ?? binding.oaUserID, "oaLoginID": binding.oaLoginID ?? false, "href": Self.oaUserHref(binding.oaUserID),
             "methodLabel": t["bd_method_" + binding.method] ?? binding.method]
        } ?? false
        return TemplateValue(user, extra)
    }
}
