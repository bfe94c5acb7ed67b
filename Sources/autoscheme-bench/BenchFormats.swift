import ArgumentParser
import Foundation
import Model
import Formats
import TensorCore

/// `autoscheme-bench formats`: round-to-nearest quantize + dequantize throughput per format.
struct BenchFormats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "RTN fakeQuantize (quantize + dequantize) throughput per format, and ggml block quantizer throughput, in millions of weights per second.")

    @Option(help: "Rows (output features) of the Gaussian test matrix.") var rows = 4096
    @Option(help: "Columns (input features) of the Gaussian test matrix.") var cols = 4096
    @Option(help: "Timed repetitions per format; the best is reported.") var repeats = 3
    @Option(help: "Formats to time (names or aliases); default: the search's default candidates plus int4a.")
    var formats: [String] = []
    @Option(help: "Seed of the test matrix.") var seed: UInt64 = 1
    @Option(help: "ggml block types to time after the formats (quantize to llama.cpp's bytes, without and with an importance vector): names such as q4_K, or 'none'; default all.")
    var ggml: [String] = []
    @Option(help: "Instead of a Gaussian matrix, run every linear layer of this model ('default' = the cached SmolLM2-135M-Instruct, a .gguf file or a Hugging Face folder) once per format: the profiler's round-to-nearest workload.")
    var model: String?

    func validate() throws {
        guard rows > 0, cols > 0, repeats > 0 else {
            throw ValidationError("rows, cols and repeats must be positive, got \(rows), \(cols), \(repeats)")
        }
        _ = try ggmlTypes()
    }

    /// The ggml types of `--ggml`.
    private func ggmlTypes() throws -> [GGMLBlockType] {
        if ggml == ["none"] { return [] }
        if ggml.isEmpty { return GGMLBlockType.allCases }
        return try ggml.map { name in
            guard let t = GGMLBlockType(rawValue: name) else {
                throw ValidationError("unknown ggml type '\(name)'; known: \(GGMLBlockType.allCases.map(\.name).joined(separator: ", ")), none")
            }
            return t
        }
    }

    func run() throws {
        let chosen = try formats.isEmpty
            ? QuantFormat.defaultCandidates + [QuantFormat(parsing: "int4a")]
            : formats.map { try QuantFormat(parsing: $0) }
        if let model {
            return try runOnModel(model, formats: chosen)
        }
        var rng = SplitMix64(seed: seed)
        let w = Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in 0.02 * rng.nextGaussian() })
        print("fakeQuantize on a \(rows) x \(cols) N(0, 0.02^2) matrix, best of \(repeats), \(cores) cores")
        print("(per CPU-second: weights per second of process CPU time; times the core count it estimates")
        print(" the wall-clock rate on an otherwise idle machine when other jobs share the cores)")
        print("| format | bits/weight | wall ms | M weights/s | M weights/CPU-s |")
        print("|---|---:|---:|---:|---:|")
        for format in chosen {
            let q = format.quantizer
            var best = Double.infinity, bestCPU = Double.infinity
            for _ in 0..<repeats {
                let t = try BenchMeasure.time { _ = try q.fakeQuantize(w, name: "bench") }
                best = min(best, t.wall * 1e3)
                bestCPU = min(bestCPU, t.cpu)
            }
            let bpw = format.bitCost(shape: w.shape, convention: .storage).bitsPerWeight
            print("| \(format.name) | \(fmt(bpw, 4)) | \(fmt(best, 1)) | \(fmt(Double(w.count) / best / 1e3, 0))"
                  + " | \(fmt(Double(w.count) / bestCPU / 1e6, 0)) |")
        }
        try runActivations(w)
        try runGGML(w, types: try ggmlTypes())
    }

    /// Activation fake quantization (one thread, in place) on the same matrix read as rows tokens x
    /// cols features: the per-layer-input cost a W4A4/W8A8 forward pass adds. NVFP4's global scale
    /// comes from the matrix's own amax.
    private func runActivations(_ w: Matrix) throws {
        print("")
        print("activation fakeQuantize (in place, 1 thread) on the same matrix as \(w.rows) tokens x \(w.cols) features, best of \(repeats)")
        print("| scheme | group | wall ms | M values/s |")
        print("|---|---:|---:|---:|")
        let amax = w.data.reduce(Float(0)) { max($0, $1.magnitude) }
        for scheme in ActivationScheme.allCases {
            guard w.cols % scheme.groupSize == 0 else {
                print("| \(scheme.rawValue) | \(scheme.groupSize) | skipped: \(w.cols) features | |")
                continue
            }
            let q = ActivationQuantizer(scheme: scheme, inputGlobalScale: scheme == .nvfp4
                ? ActivationQuantizer.nvfp4InputGlobalScale(calibrationAmax: amax) : nil)
            var best = Double.infinity
            for _ in 0..<repeats {
                var x = w
                x.data.withUnsafeMutableBufferPointer { _ in }  // the copy, outside the timing
                let t = try BenchMeasure.time { try q.fakeQuantize(&x, name: "bench") }
                best = min(best, t.wall * 1e3)
            }
            print("| \(scheme.rawValue) | \(scheme.groupSize) | \(fmt(best, 1)) | \(fmt(Double(w.count) / best / 1e3, 0)) |")
        }
    }

    /// ggml block quantizers on the same matrix: the reference path, then the importance path with
    /// seeded per-column importance (squared Gaussians, as a Gram diagonal looks).
    private func runGGML(_ w: Matrix, types: [GGMLBlockType]) throws {
        let fitting = types.filter { $0.fits(cols: w.cols) }
        guard !fitting.isEmpty else { return }
        var rng = SplitMix64(seed: seed &+ 1)
        let importance = (0..<w.cols).map { _ in let g = rng.nextGaussian(); return g * g + 0.01 }
        print("")
        print("ggml block quantizers (llama.cpp's bytes) on the same matrix, best of \(repeats)")
        print("| type | path | bits/weight | wall ms | M weights/s | M weights/CPU-s |")
        print("|---|---|---:|---:|---:|---:|")
        for type in fitting {
            for (path, imp) in [("reference", nil), ("importance", importance)] {
                var best = Double.infinity, bestCPU = Double.infinity
                for _ in 0..<repeats {
                    let t = try BenchMeasure.time { _ = try GGMLBlockQuantizer.quantize(w, type: type, importance: imp, name: "bench") }
                    best = min(best, t.wall * 1e3)
                    bestCPU = min(bestCPU, t.cpu)
                }
                print("| \(type.name) | \(path) | \(fmt(type.bitsPerWeight, 4)) | \(fmt(best, 1))"
                      + " | \(fmt(Double(w.count) / best / 1e3, 0)) | \(fmt(Double(w.count) / bestCPU / 1e6, 0)) |")
            }
        }
        let skipped = types.filter { !$0.fits(cols: w.cols) }
        if !skipped.isEmpty {
            print("(skipped: \(skipped.map(\.name).joined(separator: ", ")): rows of \(w.cols) are not a multiple of their block)")
        }
    }

    /// Every linear layer of the model through every format: total time, rate, and the weight error
    /// sum (w - w')^2 / sum w^2 over all layers.
    private func runOnModel(_ model: String, formats chosen: [QuantFormat]) throws {
        let description = try ModelLoader.open(try ModelLoader.resolve(model))
        var wall = [Double](repeating: 0, count: chosen.count), cpu = wall, error = wall
        var norm = 0.0, weights = 0
        for layer in description.linearLayers {
            let w = Matrix(rows: layer.outFeatures, cols: layer.inFeatures,
                           data: try description.tensors.floats(layer.weightName))
            norm += w.squaredNorm
            weights += w.count
            for (k, format) in chosen.enumerated() {
                var out = w
                let t = try BenchMeasure.time { out = try format.quantizer.fakeQuantize(w, name: layer.weightName) }
                wall[k] += t.wall * 1e3
                cpu[k] += t.cpu
                error[k] += zip(w.data, out.data).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            }
        }
        print("fakeQuantize over the \(description.linearLayers.count) linear layers of \(description.path)"
              + " (\(weights) weights), \(cores) cores")
        print("| format | bits/weight (storage) | wall ms | M weights/s | M weights/CPU-s | relative weight MSE |")
        print("|---|---:|---:|---:|---:|---:|")
        for (k, format) in chosen.enumerated() {
            let bits = description.linearLayers.reduce(0) {
                $0 + format.bitCost(shape: TensorShape(rows: $1.outFeatures, cols: $1.inFeatures)).totalBits
            }
            print("| \(format.name) | \(fmt(Double(bits) / Double(weights), 4)) | \(fmt(wall[k], 0))"
                  + " | \(fmt(Double(weights) / wall[k] / 1e3, 0)) | \(fmt(Double(weights) / cpu[k] / 1e6, 0))"
                  + " | \(String(format: "%.3e", error[k] / norm)) |")
        }
    }

    private var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

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
