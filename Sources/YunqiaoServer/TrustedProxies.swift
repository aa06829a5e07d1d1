import Foundation
import HTTPTypes
import Hummingbird

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies in front of the bridge (setting `http.trustedProxies`: addresses or networks such as
/// `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`; none by default). A request's client address — what the login
/// throttle counts per address, what the log and the audit log name — is the peer's address, unless the peer is a
/// trusted proxy: then it is the last address of `X-Forwarded-For` (or, without that header, of `Forwarded`'s
/// `for=`) that is not a trusted proxy itself. A client cannot choose its address by sending these headers: a proxy
/// appends the address it saw, and an untrusted peer's headers are ignored.
public struct TrustedProxies: Sendable, Equatable {
    /// The entries as configured.
    public let entries: [String]
    private let networks: [Network]

    /// No proxy is trusted: the peer's address counts, forwarding headers are ignored.
    public static let none = TrustedProxies()

    /// An entry that is neither an IP address nor `address/prefix`.
    public struct InvalidEntry: Error, Equatable {
        public var entry: String
    }

    public init() {
        entries = []
        networks = []
    }

    /// - Parameter entries: IPv4 or IPv6 addresses, or networks `address/prefix`.
    public init(_ entries: [String]) throws(InvalidEntry) {
        var networks: [Network] = []
        for entry in entries {
            guard let network = Network(entry.trimmingCharacters(in: .whitespaces)) else { throw InvalidEntry(entry: entry) }
            networks.append(network)
        }
        self.entries = entries
        self.networks = networks
    }

    public static func == (lhs: TrustedProxies, rhs: TrustedProxies) -> Bool { lhs.entries == rhs.entries }

    /// Whether `address` (an IP address) is one of the trusted proxies.
    public func isTrusted(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client address of a request (`unknown` when the server does not know its peer).
    func clientAddress(_ request: Request, context: some RemoteAddressRequestContext) -> String {
        clientAddress(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor],
                      forwarded: request.headers[values: .forwarded])
    }

    /// The client address, from the peer and the values of the `X-Forwarded-For` and `Forwarded` header lines.
    public func clientAddress(peer: String?, forwardedFor: [String], forwarded: [String]) -> String {
        guard let peer else { return "unknown" }
        guard isTrusted(peer) else { return peer }
        var chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { Self.host(String($0)) }
        if chain.isEmpty { chain = forwarded.flatMap(Self.forwardedFor).map(Self.host) }
        chain.removeAll { $0.isEmpty }
        // From the nearest hop back: the first address that is not a trusted proxy is the client.
        for hop in chain.reversed() where !isTrusted(hop) { return hop }
        return chain.first ?? peer
    }

    /// The `for=` values of a `Forwarded` header line (RFC 7239), in order.
    static func forwardedFor(_ line: String) -> [String] {
        line.split(separator: ",").compactMap { element in
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "for" { return String(parts[1]) }
            }
            return nil
        }
    }

    /// An address as proxies write it, without quotes, brackets or port: `"[2001:db8::1]:4711"` → `2001:db8::1`,
    /// `192.0.2.43:47011` → `192.0.2.43`.
    static func host(_ raw: String) -> String {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<end]) }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return text
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; an IPv4-mapped IPv6 address gives its IPv4 bytes.
    static func parse(_ address: String) -> [UInt8]? {
        let text = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }

    /// An address with the number of leading bits that must match.
    private struct Network: Sendable {
        var bytes: [UInt8]
        var prefix: Int

        init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, let bytes = TrustedProxies.parse(first) else { return nil }
            // `::ffff:10.0.0.0/104` names IPv4 addresses: its prefix counts from the IPv4 part.
            let mapped = bytes.count == 4 && first.contains(":")
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let given = Int(parts[1]) else { return nil }
                prefix = mapped ? given - 96 : given
                guard (0...(bytes.count * 8)).contains(prefix) else { return nil }
            }
            self.bytes = bytes
            self.prefix = prefix
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for (a, b) in zip(address, bytes) where left > 0 {
                let bits = min(8, left)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
                if a & mask != b & mask { return false }
                left -= bits
            }
            return true
        }
    }
}

extension HTTPField.Name {
    fileprivate static let xForwardedFor = Self("X-Forwarded-For")!
    fileprivate static let forwarded = Self("Forwarded")!
}
