import Foundation
import GRDB
import YunqiaoCore

/// The tenant's allow-list of image hosts: hosts a message's `image.url` may name even though they resolve to a
/// private address (an OA file server inside the company). Everything else must resolve to public addresses.
extension IntegrationRepository {
    /// At most this many hosts.
    public static let maxImageHosts = 50

    /// The allowed hosts, lower-case, in the order they were entered.
    public func imageHosts(tenantId: Int64) async throws -> [String] {
        try await read { db in
            try Self.tenantSetting(db, tenantId: tenantId, Self.imageHostsKey).map { $0.split(separator: "\n").map(String.init) } ?? []
        }
    }

    /// Replaces the allow-list. Each entry is a host name or an IP address (no scheme, port or path); duplicates and
    /// blanks are dropped. Audited as `settings.update` when it changes. Returns the stored list.
    @discardableResult
    public func setImageHosts(tenantId: Int64, _ hosts: [String], by actor: AuditActor) async throws -> [String] {
        let normalized = try Self.validImageHosts(hosts)
        return try await write { db in
            try Self.setTenantSetting(db, tenantId: tenantId, Self.imageHostsKey, normalized.isEmpty ? nil : normalized.joined(separator: "\n"),
                                      by: actor) { ["imageHosts": $0] }
            return normalized
        }
    }

    static var imageHostsKey: String { "imageHosts" }

    /// Host names (letters, digits, `-`, `.`; labels of 1–63, at most 253 in all) or IP addresses (IPv6 in brackets
    /// or bare).
    static func validImageHosts(_ hosts: [String]) throws -> [String] {
        // The list as sent, blanks and repeats included (the OpenAPI document's `maxItems`).
        guard hosts.count <= maxImageHosts else {
            throw StoreError.invalid(field: "imageHosts", message: "at most \(maxImageHosts) hosts")
        }
        var seen: [String] = []
        for entry in hosts {
            let host = PublicAddress.normalizedHost(entry.trimmingCharacters(in: .whitespacesAndNewlines))
            if host.isEmpty || seen.contains(host) { continue }
            guard isHostName(host) || isIPv6(host) else {
                throw StoreError.invalid(field: "imageHosts", message: "\(host.prefix(80)) is not a host name or an IP address (no scheme, port or path)")
            }
            seen.append(host)
        }
        return seen
    }

    private static func isHostName(_ host: String) -> Bool {
        guard host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }

    private static func isIPv6(_ host: String) -> Bool {
        host.contains(":") && host.utf8.count <= 45
            && host.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) || $0 == ":" || $0 == "." }
    }
}
