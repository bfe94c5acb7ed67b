import ArgumentParser
import Dispatch
import Quant
import TensorCore

/// `autoscheme bench formats`: round-to-nearest quantize + dequantize throughput per format.
struct BenchFormats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "RTN fakeQuantize (quantize + dequantize) throughput per format, in millions of weights per second.")

    @Option(help: "Rows (output features) of the Gaussian test matrix.") var rows = 4096
    @Option(help: "Columns (input features) of the Gaussian test matrix.") var cols = 4096
    @Option(help: "Timed repetitions per format; the best is reported.") var repeats = 3
    @Option(help: "Formats to time (names or aliases); default: the search's default candidates plus int4a.")
    var formats: [String] = []
    @Option(help: "Seed of the test matrix.") var seed: UInt64 = 1

    func validate() throws {
        guard rows > 0, cols > 0, repeats > 0 else {
            throw ValidationError("rows, cols and repeats must be positive, got \(rows), \(cols), \(repeats)")
        }
    }

    func run() throws {
        let chosen = try formats.isEmpty
            ? QuantFormat.defaultCandidates + [QuantFormat(parsing: "int4a")]
            : formats.map { try QuantFormat(parsing: $0) }
        var rng = SplitMix64(seed: seed)
        let w = Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in 0.02 * rng.nextGaussian() })
        print("fakeQuantize on a \(rows) x \(cols) N(0, 0.02^2) matrix, best of \(repeats)")
        print("| format | bits/weight | ms | M weights/s |")
        print("|---|---:|---:|---:|")
        for format in chosen {
            let q = format.quantizer
            var best = Double.infinity
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try q.fakeQuantize(w, name: "bench")
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let bpw = format.bitCost(shape: w.shape, convention: .storage).bitsPerWeight
            print("| \(format.name) | \(fmt(bpw, 4)) | \(fmt(best, 1)) | \(fmt(Double(w.count) / best / 1e3, 0)) |")
        }
    }

    private func fmt(_ x: Double, _ digits: Int) -> String {
        var s = String(Int((x * pow10(digits)).rounded()))
        if digits > 0 {
            while s.count <= digits { s = "0" + s }
            s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
        }
        return s
    }

    private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { a, _ in a * 10 } }
}
