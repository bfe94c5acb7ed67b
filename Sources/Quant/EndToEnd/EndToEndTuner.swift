import Foundation
import Formats
import IO
import Model
import TensorCore

/// Which windows the end-to-end pass steps on.
public enum EndToEndWindows: String, CaseIterable, Sendable, Codable {
    /// Block-wise SignRound's calibration windows, then fresh ones from the same text.
    case calibrationFirst = "calibration-first"
    /// Only windows block-wise SignRound never saw.
    case fresh
    /// Block-wise SignRound's calibration windows, then windows the original model writes itself:
    /// prompts of `EndToEndOptions.promptLength` tokens of the calibration text continued by sampling
    /// at `EndToEndOptions.temperature` (`ResidentLlama.sample`). The pass distils the original's
    /// next-token distributions on text drawn from them rather than on more of one text.
    case generated
}

/// Options of the end-to-end pass that follows block-wise SignRound.
public struct EndToEndOptions: Sendable, Equatable {
    /// Adam steps; 0 turns the pass off.
    public var steps: Int
    /// Adam's step size on the log-scales (a relative change of the scales per step).
    public var learningRate: Float
    /// Calibration windows per step.
    public var batchSize: Int

    /// Where the steps' windows come from.
    public var windows: EndToEndWindows
    /// Sampling temperature of `.generated` windows (1 samples the model's own distribution, lower
    /// values its likelier continuations).
    public var temperature: Float
    /// Tokens of calibration text that start each `.generated` window.
    public var promptLength: Int

    public init(steps: Int = 0, learningRate: Float = 0.002, batchSize: Int = 2, windows: EndToEndWindows = .calibrationFirst,
                temperature: Float = 0.8, promptLength: Int = 16) {
        self.windows = windows
        self.temperature = temperature
        self.promptLength = promptLength
        self.steps = steps
        self.learningRate = learningRate
        self.batchSize = batchSize
    }

    /// Windows the pass needs besides `calibration` ones so that its steps x batch windows are
    /// all different: steps x batch (fresh) or max(0, steps x batch - calibration).
    public func extraWindows(calibration: Int) -> Int {
        windows == .fresh ? steps * batchSize : max(0, steps * batchSize - calibration)
    }
}

/// The end-to-end pass: with every code fixed, the int layers' group scales are tuned together on
/// the mean KL(original || quantized) of the model's next-token distributions over calibration
/// windows (EfficientQAT's end-to-end step-size training, with the original model as teacher).
///
/// Each group's scale is s = s0 exp(theta) with theta starting at 0, so every dequantized weight of
/// the group is w0 exp(theta) and dKL/dtheta = sum over the group of dKL/dw * w. Adam (beta1 0.9,
/// beta2 0.999, eps 1e-8) steps theta; the final scales are rounded to the format's fp16 and the
/// weights dequantized from them, so what is evaluated is what is exported.
struct EndToEndTuner {
    let architecture: LlamaArchitecture
    let head: LlamaHeadWeights
    let options: EndToEndOptions
    let seed: UInt64

    /// One layer's tuned scales.
    private struct ScaleParameters {
        let base: Matrix
        let groupSize: Int
        let groupsPerRow: Int
        var theta: [Float]
        var m: [Float]
        var v: [Float]
        var gradient: [Float]
    }

    /// Tunes `quantized`'s int layers in place; `blocks` are the quantized model's weights (dequantized)
    /// and leave with the tuned ones. `teacher` holds the original model's final hidden states on
    /// `windows` (windows x L rows).
    func tune(blocks: inout [LlamaBlockWeights], quantized: inout [LayerID: QuantizedTensor], windows: [[Int]],
              teacher: Matrix, progress: ((String) -> Void)?) throws -> EndToEndStats {
        var stats = EndToEndStats(steps: options.steps, learningRate: options.learningRate, batchSize: options.batchSize,
                                  windows: options.windows, firstKL: 0, lastKL: 0, scales: 0, seconds: 0)
        guard options.steps > 0, let L = windows.first?.count else { return stats }
        let start = Date()
        var parameters: [LayerID: ScaleParameters] = [:]
        for (id, q) in quantized {
            guard q.format.family == .int, case let .group(g) = q.format.granularity else { continue }
            let count = q.scales.count
            parameters[id] = ScaleParameters(base: blocks[id.block][id.kind], groupSize: g, groupsPerRow: q.scaleCols,
                                             theta: [Float](repeating: 0, count: count), m: [Float](repeating: 0, count: count),
                                             v: [Float](repeating: 0, count: count), gradient: [Float](repeating: 0, count: count))
        }
        var sampler = MinibatchSampler(count: windows.count, batch: min(options.batchSize, windows.count), seed: seed ^ 0xE2E)
        let width = teacher.cols, clock = ProgressClock()
        for step in 0..<options.steps {
            let picks = sampler.next()
            var rows = [Float]()
            rows.reserveCapacity(picks.count * L * width)
            for w in picks { rows.append(contentsOf: teacher.data[(w * L * width)..<((w + 1) * L * width)]) }
            let result = try ModelDistillation.gradients(
                architecture: architecture, head: head, blocks: blocks, windows: picks.map { windows[$0] },
                teacherHidden: Matrix(rows: picks.count * L, cols: width, data: rows), wanting: [.weight]) { id, g in
                guard parameters[id] != nil, let dW = g.weight else { return }
                Self.groupGradient(dW: dW, weights: blocks[id.block][id.kind], into: &parameters[id]!)
            }
            if step == 0 { stats.firstKL = result.kl }
            stats.lastKL = result.kl
            let t = Float(step + 1)
            let c1 = 1 - powf(0.9, t), c2 = 1 - powf(0.999, t)
            for (id, _) in parameters {
                Self.adamStep(&parameters[id]!, lr: options.learningRate, c1: c1, c2: c2)
                blocks[id.block].linear[id.kind] = Self.scaled(parameters[id]!)
            }
            progress?("end-to-end step \(step + 1)/\(options.steps): KL \(String(format: "%.4f", result.kl)) | "
                      + clock.elapsedAndETA(fraction: Double(step + 1) / Double(options.steps)))
        }
        for (id, p) in parameters {
            var q = quantized[id]!
            for i in q.scales.indices {
                let s = HalfPrecision.roundToF16(q.scales[i] * expf(p.theta[i]))
                q.scales[i] = s < 0 ? min(s, -IntGroupQuantizer.minScale) : max(s, IntGroupQuantizer.minScale)
            }
            blocks[id.block].linear[id.kind] = try q.format.quantizer.dequantize(q)
            quantized[id] = q
            stats.scales += q.scales.count
        }
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }

    /// gradient[r, g] = sum over group g of row r of dW * W (rows in parallel).
    private static func groupGradient(dW: Matrix, weights: Matrix, into p: inout ScaleParameters) {
        let rows = dW.rows, cols = dW.cols, gs = p.groupSize, gpr = p.groupsPerRow
        dW.data.withUnsafeBufferPointer { pd in weights.data.withUnsafeBufferPointer { pw in
            p.gradient.withUnsafeMutableBufferPointer { pg in
                let d = SharedBuffer(pd), w = SharedBuffer(pw), out = SharedBuffer(pg)
                parallelFor(rows) { r in
                    for g in 0..<gpr {
                        var s: Float = 0
                        for c in (g * gs)..<min(cols, (g + 1) * gs) { s += d[r * cols + c] * w[r * cols + c] }
                        out[r * gpr + g] = s
                    }
                }
            }
        } }
    }

    private static func adamStep(_ p: inout ScaleParameters, lr: Float, c1: Float, c2: Float) {
        for i in p.theta.indices {
            let g = p.gradient[i]
            p.m[i] = 0.9 * p.m[i] + 0.1 * g
            p.v[i] = 0.999 * p.v[i] + 0.001 * g * g
            p.theta[i] -= lr * (p.m[i] / c1) / ((p.v[i] / c2).squareRoot() + 1e-8)
        }
    }

    /// base with each group scaled by exp(theta) (rows in parallel).
    private static func scaled(_ p: ScaleParameters) -> Matrix {
        var out = p.base
        let rows = out.rows, cols = out.cols, gs = p.groupSize, gpr = p.groupsPerRow
        out.data.withUnsafeMutableBufferPointer { po in p.theta.withUnsafeBufferPointer { pt in
            let o = SharedBuffer(po), theta = SharedBuffer(pt)
            parallelFor(rows) { r in
                for g in 0..<gpr {
                    let f = expf(theta[r * gpr + g])
                    for c in (g * gs)..<min(cols, (g + 1) * gs) { o[r * cols + c] *= f }
                }
            }
        } }
        return out
    }
}
