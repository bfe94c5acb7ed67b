import COpenBLAS
import Dispatch

/// Runs `body(i)` for i in 0..<iterations on all cores (Dispatch's concurrentPerform).
///
/// `body` is `@Sendable`: it captures only values safe to share, and memory that tasks write is
/// reached through `SharedBuffer` / `SharedPointer` / `StridedRows`, each task writing only its own elements, so
/// results do not depend on scheduling.
///
/// - Parameter blasThreadsPerTask: OpenBLAS threads each task's products may use (nil: as set).
///   Small products run side by side should each compute in their own thread rather than hand
///   halves to the pool, whose hand-off costs more than the product. OpenBLAS (0.3.21) has only a
///   process-wide thread count, so this is the one place that changes it: set for the loop and
///   restored after it, from the thread that called the loop; a product's result does not depend
///   on the thread count (threads split rows and columns, never a sum). Do not run other BLAS work
///   on other threads while such a loop runs.
public func parallelFor(_ iterations: Int, blasThreadsPerTask: Int? = nil, _ body: @Sendable (Int) -> Void) {
    guard let threads = blasThreadsPerTask else { return runTasks(iterations, body) }
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(Int32(max(1, threads)))
    defer { openblas_set_num_threads(previous) }
    runTasks(iterations, body)
}

private func runTasks(_ iterations: Int, _ body: @Sendable (Int) -> Void) {
    if iterations > 1 {
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    } else if iterations == 1 {
        body(0)
    }
}
