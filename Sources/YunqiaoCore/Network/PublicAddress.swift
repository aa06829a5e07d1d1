import Foundation

/// Which IP addresses the bridge may fetch from on behalf of someone who is not an administrator (a message's
/// `image.url`, given by an OA key): only public unicast addresses. Loopback, private (RFC 1918, unique local),
/// link-local, carrier-grade NAT, multicast, documentation, benchmarking and reserved ranges are refused, and so are
/// IPv4 addresses wrapped in IPv6 (mapped, compatible, NAT64, 6to4) when the address inside is one of those.
public enum PublicAddress {
    /// True when the address (4 bytes for IPv4, 16 for IPv6, network order) is public unicast.
    public static func isPublic(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: isPublicIPv4(bytes)
        case 16: isPublicIPv6(bytes)
        default: false
        }
    }

    /// IPv4 ranges that are not public unicast (IANA special-purpose registry).
    private static let ipv4Refused: [(prefix: [UInt8], bits: Int)] = [
        ([0, 0, 0, 0], 8),          // "this network"
        ([10, 0, 0, 0], 8),         // private
        ([100, 64, 0, 0], 10),      // carrier-grade NAT
        ([127, 0, 0, 0], 8),        // loopback
        ([169, 254, 0, 0], 16),     // link-local (cloud metadata services live here)
        ([172, 16, 0, 0], 12),      // private
        ([192, 0, 0, 0], 24),       // IETF protocol assignments
        ([192, 0, 2, 0], 24),       // documentation
        ([192, 88, 99, 0], 24),     // 6to4 relay anycast
        ([192, 168, 0, 0], 16),     // private
        ([198, 18, 0, 0], 15),      // benchmarking
        ([198, 51, 100, 0], 24),    // documentation
        ([203, 0, 113, 0], 24),     // documentation
        ([224, 0, 0, 0], 4),        // multicast
        ([240, 0, 0, 0], 4),        // reserved, broadcast
    ]

    private static func isPublicIPv4(_ bytes: [UInt8]) -> Bool {
        !ipv4Refused.contains { matches(bytes, prefix: $0.prefix, bits: $0.bits) }
    }

    private static func isPublicIPv6(_ bytes: [UInt8]) -> Bool {
        let zero10 = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, also :: and ::1): judged by the IPv4 address inside.
        if zero10, bytes[10] == 0xFF, bytes[11] == 0xFF { return isPublicIPv4(Array(bytes[12..<16])) }
        if zero10, bytes[10] == 0, bytes[11] == 0 { return isPublicIPv4(Array(bytes[12..<16])) }
        // 64:ff9b::/96 (NAT64) carries an IPv4 address in its last four bytes.
        if matches(bytes, prefix: [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96) {
            return isPublicIPv4(Array(bytes[12..<16]))
        }
        // 2002::/16 (6to4) carries one in bytes 2…5.
        if bytes[0] == 0x20, bytes[1] == 0x02 { return isPublicIPv4(Array(bytes[2..<6])) }
        let refused: [(prefix: [UInt8], bits: Int)] = [
            ([0x01, 0x00], 64),                 // discard-only
            ([0x20, 0x01, 0x0D, 0xB8], 32),     // documentation
            ([0x20, 0x01, 0x00, 0x00], 32),     // Teredo (wraps IPv4 addresses)
            ([0x20, 0x01, 0x00, 0x10], 28),     // ORCHID
            ([0xFC], 7),                        // unique local
            ([0xFE, 0x80], 10),                 // link-local
            ([0xFE, 0xC0], 10),                 // site-local (deprecated)
            ([0xFF], 8),                        // multicast
        ]
        return !refused.contains { matches(bytes, prefix: $0.prefix, bits: $0.bits) }
    }

    /// True when the first `bits` bits of `bytes` equal those of `prefix` (missing prefix bytes count as zero).
    private static func matches(_ bytes: [UInt8], prefix: [UInt8], bits: Int) -> Bool {
        var remaining = bits
        var index = 0
        while remaining > 0 {
            let want = index < prefix.count ? prefix[index] : 0
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if bytes[index] & mask != want & mask { return false }
            remaining -= 8
            index += 1
        }
        return true
    }

    /// A host name as an allow-list compares it: lower-cased, without a trailing dot or IPv6 brackets.
    public static func normalizedHost(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }
}
