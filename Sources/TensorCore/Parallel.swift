import Dispatch

/// Runs `body(i)` for i in 0..<iterations on all cores (Dispatch's concurrentPerform).
/// `body` must only write to disjoint memory per index.
public func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations <= 1 {
        if iterations == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { b in
        let box = UncheckedSendable(b)
        DispatchQueue.concurrentPerform(iterations: iterations) { i in box.value(i) }
    }
}

/// Wraps a value that is safe to share by construction (e.g. a closure writing disjoint ranges).
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
