import Foundation

/// A request for the JSAPI signature of an H5 page (`feishu-api.md` §2.6), checked field by field before anything is
/// signed. The bridge signs only pages of the app's trusted domains (``trustedDomains(externalDomain:homepageTarget:)``),
/// so that it is no oracle for any URL.
///
/// The signed text is `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, its fields joined by `&` and `=` without
/// escaping: `nonceStr` takes letters, digits, `-` and `_` only and `timestamp` digits only, so that no field can carry
/// an `&…=` into the text and make it read as another (nonce, timestamp, url) — a URL of another host, say.
public struct JSAPISignatureRequest: Sendable, Equatable {
    /// The page's address as given (the signature covers it without its `#fragment`).
    public var url: String
    public var nonceStr: String
    /// Milliseconds since 1970.
    public var timestamp: Int64

    /// At most this many bytes of URL.
    public static let maxURLLength = 4096
    /// The length of a nonce given by the caller.
    public static let nonceLength = 8...64
    /// The length of a nonce the bridge makes when none is given.
    public static let generatedNonceLength = 16
    /// How far a given timestamp may be from the bridge's clock, either way.
    public static let timestampWindow: Duration = .seconds(600)

    /// Checks the fields; a missing `nonceStr` or `timestamp` is made (a random nonce, the time `now`).
    ///
    /// - Parameters:
    ///   - trustedDomains: the hosts the app's pages may be on (lower-case); a URL on any other host is refused.
    ///   - now: the bridge's clock.
    /// - Throws: ``YunqiaoError/invalid(field:message:)`` naming `url`, `nonceStr` or `timestamp`;
    ///   ``YunqiaoError/conflict(field:message:)`` naming `url` when its host is not a trusted domain of the app (or
    ///   the app has none yet).
    public init(url: String, nonceStr: String?, timestamp: Int64?, trustedDomains: [String], now: Date) throws(YunqiaoError) {
        let host = try Self.checkedHost(url)
        self.url = url
        if let nonceStr {
            guard Self.nonceLength.contains(nonceStr.utf8.count) else {
                throw .invalid(field: "nonceStr", message: "must be 8 to 64 characters")
            }
            guard nonceStr.unicodeScalars.allSatisfy(Self.isNonceCharacter) else {
                throw .invalid(field: "nonceStr", message: "may hold only letters A–Z and a–z, digits, - and _")
            }
            self.nonceStr = nonceStr
        } else {
            self.nonceStr = Self.makeNonce()
        }
        let nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        if let timestamp {
            guard timestamp >= 100_000_000_000 else {
                throw .invalid(field: "timestamp", message: "must be in milliseconds since 1970 (13 digits), not seconds")
            }
            let window = Self.timestampWindow.components.seconds * 1000
            guard abs(timestamp - nowMilliseconds) <= window else {
                throw .invalid(field: "timestamp", message: "must be within 10 minutes of the bridge's clock (now \(nowMilliseconds))")
            }
            self.timestamp = timestamp
        } else {
            self.timestamp = nowMilliseconds
        }
        // Last: a request that is wrong in itself says so whatever the app's configuration.
        guard !trustedDomains.isEmpty else {
            throw .conflict(field: "url", message: "the app has no trusted domain yet: set the external domain or the app's homepage")
        }
        guard trustedDomains.contains(host) else {
            throw .conflict(field: "url",
                            message: "\(host) is not a trusted domain of the app (\(trustedDomains.joined(separator: ", ")))")
        }
    }

    /// The host of an absolute http(s) URL as a browser's `location.href` gives it (lower-case, without a trailing dot
    /// or IPv6 brackets), or why it is refused.
    static func checkedHost(_ url: String) throws(YunqiaoError) -> String {
        guard !url.isEmpty else { throw .invalid(field: "url", message: "required") }
        guard url.utf8.count <= maxURLLength else { throw .invalid(field: "url", message: "must be at most 4096 bytes") }
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalid(field: "url", message: "must be the page's address as location.href gives it: no spaces, no characters outside ASCII")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https"
        else { throw .invalid(field: "url", message: "must be an absolute http(s) URL, e.g. https://example.com") }
        guard let rawHost = components.host, !rawHost.isEmpty else { throw .invalid(field: "url", message: "must name a host") }
        guard components.user == nil, components.password == nil else {
            throw .invalid(field: "url", message: "must not hold a user name or password")
        }
        return PublicAddress.normalizedHost(rawHost)
    }

    private static func isNonceCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
    }

    /// 16 random letters and digits.
    static func makeNonce() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<generatedNonceLength).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    /// The H5 trusted domains (H5 可信域名) of an app: the host of the bridge's external domain (its own pages) and the
    /// host of the app's homepage (the OA page the app opens; a path is on the external domain), without repeats.
    /// The admin lists them in Feishu; the bridge signs pages on these hosts only.
    ///
    /// - Parameters:
    ///   - externalDomain: the tenant's external domain (`https://bridge.example.com`), or nil when unset.
    ///   - homepageTarget: the OA homepage app's URL or the custom homepage URL, or nil without a homepage.
    public static func trustedDomains(externalDomain: String?, homepageTarget: String?) -> [String] {
        var domains: [String] = []
        for address in [externalDomain, homepageTarget].compactMap({ $0 }) {
            guard let host = URLComponents(string: address)?.host, !host.isEmpty else { continue }
            let normalized = PublicAddress.normalizedHost(host)
            if !domains.contains(normalized) { domains.append(normalized) }
        }
        return domains
    }
}
