import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import YunqiaoCore

/// Downloads a message's image for upload to Feishu. The URL comes from whoever holds an OA key, so the bridge must
/// not become their way into its own network: the host must resolve to public addresses only (``PublicAddress``),
/// checked before the first request and again at every redirect (at most `maxRedirects`), unless the tenant's
/// allow-list names the host (an OA file server inside the company). Bounded in time and size.
///
/// What goes wrong is told in general terms ("could not be downloaded"): the note reaches the OA caller through the
/// message status, and a status code or a connection error would tell open ports from closed ones. The details go to
/// the log.
struct ImageDownload: Sendable {
    /// Redirects are off in this client whatever the bridge's other clients do: each hop is checked here.
    var httpClient: HTTPClient = .downloads
    var timeout: Duration
    var maxBytes: Int
    var maxRedirects = 3
    var logger: Logger

    struct Image: Sendable {
        var data: Data
        var filename: String
    }

    func fetch(_ address: String, allowedHosts: Set<String>) async throws -> Image {
        var current = address
        for _ in 0...maxRedirects {
            guard let url = URL(string: current), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty
            else { throw PushImageProblem(description: "its URL is not an http(s) URL") }
            try await check(host: host, allowedHosts: allowedHosts)
            var request = HTTPClientRequest(url: current)
            request.headers.add(name: "User-Agent", value: "yunqiao/0.1")
            let response: HTTPClientResponse
            do {
                response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)), logger: logger)
            } catch {
                logger.notice("image download failed", metadata: ["url": "\(current)", "error": "\(error)"])
                throw Self.notDownloaded
            }
            if [301, 302, 303, 307, 308].contains(response.status.code),
               let location = response.headers.first(name: "location"), let next = URL(string: location, relativeTo: url)
            {
                current = next.absoluteString
                continue
            }
            guard response.status == .ok else {
                logger.notice("image download answered", metadata: ["url": "\(current)", "status": "\(response.status.code)"])
                throw Self.notDownloaded
            }
            return Image(data: try await body(of: response), filename: Self.filename(url))
        }
        throw PushImageProblem(description: "it redirects more than \(maxRedirects) times")
    }

    private static let notDownloaded = PushImageProblem(description: "it could not be downloaded")

    /// Refuses a host that resolves to a non-public address (any one of its addresses), unless it is allowed.
    private func check(host: String, allowedHosts: Set<String>) async throws {
        let name = PublicAddress.normalizedHost(host)
        if allowedHosts.contains(name) { return }
        let addresses: [[UInt8]]
        do { addresses = try await HostResolver.addresses(of: name) } catch {
            logger.notice("image host does not resolve", metadata: ["host": "\(name)"])
            throw Self.notDownloaded
        }
        guard addresses.allSatisfy(PublicAddress.isPublic) else {
            logger.notice("image host refused: not a public address", metadata: ["host": "\(name)"])
            throw PushImageProblem(description: "its host is not a public address (an admin can allow the host in the settings)")
        }
    }

    private func body(of response: HTTPClientResponse) async throws -> Data {
        let tooLarge = PushImageProblem(description: "it is larger than \(maxBytes / 1_048_576) MB")
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes { throw tooLarge }
        do {
            return Data(try await response.body.collect(upTo: maxBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            logger.notice("image download broke off", metadata: ["error": "\(error)"])
            throw Self.notDownloaded
        }
    }

    private static func filename(_ url: URL) -> String {
        let last = url.lastPathComponent
        return last.isEmpty || last == "/" ? "image" : last
    }
}
