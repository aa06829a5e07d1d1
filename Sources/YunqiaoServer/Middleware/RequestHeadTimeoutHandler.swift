import NIOCore
import NIOHTTPTypes

/// Closes a new connection whose first request head has not fully arrived within `timeout` (`http.headerTimeoutSeconds`):
/// a client that sends half its headers, or trickles them, holds nothing for long. Once a head has arrived the handler
/// is done: Hummingbird's idle timeout (`http.idleTimeoutSeconds`, ``HTTP1Channel/Configuration/idleTimeout``) then
/// closes a connection that stays silent between requests or stops in the middle of its next head.
final class RequestHeadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var headArrived = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headArrived, case .head = unwrapInboundIn(data) {
            headArrived = true
            stop()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadline == nil, !headArrived else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            guard !self.headArrived else { return }
            context.close(promise: nil)
        }
    }

    private func stop() {
        deadline?.cancel()
        deadline = nil
    }
}

@available(*, unavailable)
extension RequestHeadTimeoutHandler: Sendable {}
