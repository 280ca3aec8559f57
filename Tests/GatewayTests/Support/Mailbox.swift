import NIOConcurrencyHelpers

/// Items delivered from callbacks (any thread), awaited in order by a test with a bound.
final class Mailbox<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<Item?, Never>?
        /// Identifies the current waiter so a stale timeout cannot resume a later one.
        var generation = 0
    }

    private let state = NIOLockedValueBox(State())

    func put(_ item: Item) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
    }

    /// The next item, or nil if none arrives within `seconds`.
    func next(within seconds: Int) async -> Item? {
        let item: Item? = await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { s -> (Item?, Int) in
                if !s.items.isEmpty { return (s.items.removeFirst(), 0) }
                s.waiter = continuation
                s.generation += 1
                return (nil, s.generation)
            }
            if let item = ready.0 {
                continuation.resume(returning: item)
                return
            }
            let generation = ready.1
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
                    guard s.generation == generation, let waiter = s.waiter else { return nil }
                    s.waiter = nil
                    return waiter
                }?.resume(returning: nil)
            }
        }
        return item
    }
}
