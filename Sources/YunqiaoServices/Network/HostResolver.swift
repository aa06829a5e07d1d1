import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every address a host name resolves to (the system resolver, `getaddrinfo`, run on NIO's thread pool because it
/// blocks). A numeric host (`127.0.0.1`, `[::1]`, `2130706433`) resolves to itself, so checking what this answers
/// covers every spelling of an address.
enum HostResolver {
    struct Failure: Error, CustomStringConvertible {
        var host: String
        var description: String { "\(host) does not resolve" }
    }

    /// The addresses (4 bytes for IPv4, 16 for IPv6), possibly several of each family.
    static func addresses(of host: String) async throws -> [[UInt8]] {
        try await NIOThreadPool.singleton.runIfActive { try resolve(host) }
    }

    private static func resolve(_ host: String) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { throw Failure(host: host) }
        defer { freeaddrinfo(first) }
        var found: [[UInt8]] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next?.pointee {
            if let address = entry.ai_addr {
                switch entry.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                        var value = inet.pointee.sin_addr
                        found.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet in
                        var value = inet.pointee.sin6_addr
                        found.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                default: break
                }
            }
            next = entry.ai_next
        }
        guard !found.isEmpty else { throw Failure(host: host) }
        return found
    }
}
