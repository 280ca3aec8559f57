import EAP
import Logging
import NIOCore
import PPPAuth
import PPPProtocol
import SSTPProtocol
import Synchronization

// The connection's timers: the handshake deadline and the SSTP, PPP, authentication and EAP machines' timers, each
// scheduled on the connection's event loop and fed back to its machine when it fires.
extension SSTPServerConnectionHandler {
    func startTimer(_ key: TimerKey, after delay: TimeAmount) {
        timers[key]?.cancel()
        guard let context else { return }
        timers[key] = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timers[key] = nil
            timerFired(key)
            self.context?.flush()
        }
    }

    func cancelTimer(_ key: TimerKey) {
        timers.removeValue(forKey: key)?.cancel()
    }

    func timerFired(_ key: TimerKey) {
        switch key {
        case .handshake:
            logger.notice("handshake deadline passed; closing")
            gateway.counters.handshakeTimeouts.add(1, ordering: .relaxed)
            gateway.metrics.failure(.handshakeTimeout)
            close()
        case .sstp(let timer):
            execute(sstp.timerFired(timer))
        case .ppp(let timer):
            execute(ppp.timerFired(timer))
        case .auth(let timer):
            guard authenticator != nil else { return }
            execute(authenticator!.timerFired(timer))
        case .eap(let timer):
            guard eap != nil else { return }
            execute(eap!.timerFired(timer))
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
