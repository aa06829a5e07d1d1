import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The association sheet (关联导入) under `/api/admin/v1/enterprises/{id}/binding-sheet`: `GET` exports the enterprise's
/// Feishu users with an empty `OA 关联值` column (CSV or XLSX), `POST` imports the filled sheet with the OA field its
/// values are (`?field=`), binding row by row (`?dryRun=true` only says what would happen).
struct BindingSheetAPIController {
    let service: AdminService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("enterprises/:id/binding-sheet") { request, context in
            let format = try Self.exportFormat(request.uri.queryParameters.get("format"))
            return try await BindingSheetExport.response(service, context.admin(), enterpriseId: context.id("id"), format: format)
        }
        routes.post("enterprises/:id/binding-sheet") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let query = request.uri.queryParameters
            let field = try Self.field(query.get("field"))
            let dryRun = try Self.flag(query.get("dryRun"), "dryRun")
            if let text = query.get("format"), !text.isEmpty, SpreadsheetReader.Format(rawValue: text.lowercased()) == nil {
                throw APIError.invalid("format", "must be csv or xlsx")
            }
            _ = try await service.enterprise(admin, id: id)
            let body = try await request.body.collect(within: OADirectoryAPIController.maxFileSize)
            let rows = try Self.rows(Data(body.readableBytesView), format: query.get("format"), contentType: request.headers[.contentType],
                                     fileName: query.get("filename"))
            let plan = try await service.database.bindings.importBindingSheet(tenantId: admin.tenantId, enterpriseId: id, rows: rows, field: field,
                                                                              dryRun: dryRun, by: admin.actor)
            return try OADirectoryAPIController.json(.ok, BindingSheetResultView(plan, field: field, dryRun: dryRun), context: context)
        }
        return routes
    }

    static func exportFormat(_ text: String?) throws -> SpreadsheetReader.Format {
        guard let text = text?.nilIfEmpty else { return .csv }
        guard let format = SpreadsheetReader.Format(rawValue: text.lowercased()) else { throw APIError.invalid("format", "must be csv or xlsx") }
        return format
    }

    static let fieldList = BindingSheet.Field.allCases.map(\.rawValue).joined(separator: ", ")

    /// The OA field the sheet's values are; 400 naming `field` when missing or unknown.
    static func field(_ text: String?) throws -> BindingSheet.Field {
        guard let text = text?.trimmingCharacters(in: .whitespaces).nilIfEmpty else {
            throw APIError.invalid("field", "required: the OA field of the values, one of \(fieldList)")
        }
        guard let field = BindingSheet.Field.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw APIError.invalid("field", "must be one of \(fieldList)")
        }
        return field
    }

    static func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "false", "0": return false
        case "true", "1": return true
        default: throw APIError.invalid(name, "must be true or false")
        }
    }

    /// The rows of an uploaded sheet. The format is `format` when given, else XLSX when the bytes are a ZIP archive,
    /// else what the content type or file name say, else CSV; read like the OA directory import
    /// (``SpreadsheetReader``). An unreadable file or a missing column is a 400 naming `file`.
    static func rows(_ data: Data, format: String?, contentType: String?, fileName: String?) throws -> [BindingSheet.Row] {
        guard !data.isEmpty else { throw APIError.invalid("file", "the file is empty") }
        let zip = data.starts(with: [0x50, 0x4B, 0x03, 0x04])
        let chosen = format?.nilIfEmpty.flatMap { SpreadsheetReader.Format(rawValue: $0.lowercased()) }
        let sheetFormat = chosen ?? (zip ? .xlsx : SpreadsheetReader.Format(contentType: contentType, fileName: fileName) ?? .csv)
        do {
            return try BindingSheet.rows(SpreadsheetReader.rows(data, format: sheetFormat))
        } catch let error as SpreadsheetReader.ReadError {
            throw APIError.invalid("file", error.message)
        } catch let error as BindingSheet.HeaderError {
            throw APIError.invalid("file", error.message)
        }
    }
}

/// The export, for the API and the console's download buttons alike.
enum BindingSheetExport {
    /// Users read from the store at a time (each page costs a scan of the enterprise's users: 10 pages for 100 000).
    static let pageSize = 10_000

    static let xlsxColumns: [SpreadsheetWriter.XLSX.Column] = BindingSheet.columns.map { column in
        switch column.key {
        case BindingSheet.unionID.key: .init(width: 34)
        case BindingSheet.value.key: .init(width: 24, text: true, highlighted: true)
        case "departments": .init(width: 30)
        case "email", "bound_oa_login_id": .init(width: 26)
        default: .init(width: 16)
        }
    }

    /// The sheet as an attachment. CSV is streamed a page at a time; XLSX is built in memory, then sent. A tenant's
    /// other enterprise answers 404 before anything is sent.
    static func response(_ service: AdminService, _ admin: AdminIdentity, enterpriseId: Int64, format: SpreadsheetReader.Format)
        async throws -> Response
    {
        let enterprise = try await service.enterprise(admin, id: enterpriseId)
        let database = service.database
        let tenantId = admin.tenantId
        var headers: HTTPFields = [.contentDisposition: disposition(enterprise: enterprise, format: format), .cacheControl: "no-store"]
        switch format {
        case .csv:
            headers[.contentType] = SpreadsheetWriter.csvContentType
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: SpreadsheetWriter.CSV.byteOrderMark
                    + SpreadsheetWriter.CSV.line(BindingSheet.columns.map(\.header))))
                try await forEachPage(database, tenantId: tenantId, enterpriseId: enterpriseId) { rows in
                    var text = ""
                    for row in rows { text += SpreadsheetWriter.CSV.line(row.cells) }
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
        case .xlsx:
            var sheet = SpreadsheetWriter.XLSX(sheetName: "关联导入", columns: xlsxColumns)
            sheet.appendHeader(BindingSheet.columns.map(\.header))
            try await forEachPage(database, tenantId: tenantId, enterpriseId: enterpriseId) { rows in
                for row in rows { sheet.append(row.cells) }
            }
            headers[.contentType] = SpreadsheetWriter.xlsxContentType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try sheet.data())))
        }
    }

    private static func forEachPage(_ database: any BridgeStore, tenantId: Int64, enterpriseId: Int64,
                                    _ body: ([BindingSheet.ExportRow]) async throws -> Void) async throws
    {
        var cursor: BindingSheetCursor?
        while true {
            let rows = try await database.bindings.bindingSheetPage(tenantId: tenantId, enterpriseId: enterpriseId, after: cursor, limit: pageSize)
            if !rows.isEmpty { try await body(rows) }
            guard rows.count == pageSize, let last = rows.last else { return }
            cursor = .init(after: last)
        }
    }

    /// `attachment; filename="binding-sheet-3-20261126.csv"; filename*=UTF-8''关联导入-<enterprise>-20261126.csv` (encoded).
    static func disposition(enterprise: EnterpriseView, format: SpreadsheetReader.Format, at date: Date = Date()) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: .current, from: date)
        let day = String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let ascii = "binding-sheet-\(enterprise.id)-\(day).\(format.rawValue)"
        let name = String("关联导入-\(enterprise.name)-\(day).\(format.rawValue)".map { "\\/:*?\"<>|".contains($0) ? "_" : $0 })
        // RFC 5987 attr-char.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

/// What an import did (or, in a dry run, would do): the counts by outcome and every row's outcome.
struct BindingSheetResultView: Encodable, Sendable {
    /// False for a dry run: nothing was written.
    var applied: Bool
    var dryRun: Bool
    var field: String
    var counts: BindingSheet.Counts
    var rows: [BindingSheet.RowResult]

    init(_ plan: BindingSheet.Plan, field: BindingSheet.Field, dryRun: Bool) {
        applied = !dryRun
        self.dryRun = dryRun
        self.field = field.rawValue
        counts = plan.counts
        rows = plan.rows
    }
}
