import ArgumentParser
import Foundation
import TensorCore

/// `autoscheme-bench blas`: the sgemm rate of the products the tool runs on the default model, with
/// the OpenBLAS kernel set in use: the limit the other tables compare against.
struct BenchBLAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract: "sgemm GFLOP/s on the default model's product shapes with 1 and 2 OpenBLAS threads, and the kernel set OpenBLAS runs.")

    @Option(help: "Tokens per product (rows of the activations).") var tokens = 512
    @Option(help: "Seconds each shape is timed for, per thread count.") var seconds = 1.0

    func validate() throws {
        guard tokens > 0, seconds > 0 else {
            throw ValidationError("tokens and seconds must be positive, got \(tokens), \(seconds)")
        }
    }

    /// One product shape: m x k times (n x k)^T, as the forward of a linear layer with n outputs.
    struct Shape { var name: String; var m: Int; var n: Int; var k: Int }

    func run() throws {
        let t = tokens
        let shapes = [
            Shape(name: "q, o forward (576 -> 576)", m: t, n: 576, k: 576),
            Shape(name: "k, v forward (576 -> 192)", m: t, n: 192, k: 576),
            Shape(name: "gate, up forward (576 -> 1536)", m: t, n: 1536, k: 576),
            Shape(name: "down forward (1536 -> 576)", m: t, n: 576, k: 1536),
            Shape(name: "gate, up dW (1536 x 576 over tokens)", m: 1536, n: 576, k: t),
            Shape(name: "head logits (576 -> 49152)", m: t, n: 49152, k: 576),
        ]
        print("OpenBLAS kernels: \(BLAS.coreName)"
              + (ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (set by OPENBLAS_CORETYPE=\($0))" } ?? " (detected)"))
        print("")
        let widths = [38, 18, 16, 17]
        print(BenchMeasure.row(["product", "m x n x k", "GFLOP/s 1 thread", "GFLOP/s 2 threads"], widths: widths))
        print(BenchMeasure.row(widths.map { String(repeating: "-", count: $0) }, widths: widths))
        var rng = SplitMix64(seed: 1)
        for s in shapes {
            let a = Matrix(rows: s.m, cols: s.k, data: (0..<(s.m * s.k)).map { _ in rng.nextGaussian() })
            let b = Matrix(rows: s.n, cols: s.k, data: (0..<(s.n * s.k)).map { _ in rng.nextGaussian() })
            let rates = [1, 2].map { rate(a, b, threads: $0) }
            print(BenchMeasure.row([s.name, "\(s.m) x \(s.n) x \(s.k)"] + rates.map { String(format: "%.1f", $0) },
                                   widths: widths))
        }
    }

    /// Best-of sgemm rate of a b^T with `threads` OpenBLAS threads over about `seconds`.
    private func rate(_ a: Matrix, _ b: Matrix, threads: Int) -> Double {
        let flops = 2.0 * Double(a.rows) * Double(b.rows) * Double(a.cols)
        let best = BestTime()
        parallelFor(1, blasThreadsPerTask: threads) { _ in
            _ = BLAS.linear(a, b)  // warm-up: thread pool and buffers
            var spent = 0.0
            while spent < seconds {
                let t = BenchMeasure.time { _ = BLAS.linear(a, b) }.wall
                best.record(t)
                spent += t
            }
        }
        return flops / best.value / 1e9
    }

    /// The shortest time recorded (one task records; a class so the `@Sendable` body can write it).
    private final class BestTime: @unchecked Sendable {
        var value = Double.infinity
        func record(_ t: Double) { value = min(value, t) }
    }
}
