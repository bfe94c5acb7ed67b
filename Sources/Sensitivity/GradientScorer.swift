import Foundation
import Model
import Formats
import TensorCore

/// Scores of the gradient estimators, indexed [layer][format] like `ScoreTable`.
public struct GradientScores: Sendable {
    /// `delta-loss` scores (nil unless wanted).
    public var deltaLoss: [[Double]]?
    /// `fisher` scores (nil unless wanted).
    public var fisher: [[Double]]?
    /// `fisher-kl` scores in nats per token (nil unless wanted).
    public var fisherKL: [[Double]]?
    /// With `fisher-kl`: `output-error` on the gradient windows, tr(D X^T X D^T) / T from the same
    /// products (T = windows x length).
    public var outputError: [[Double]]?
    /// Mean NLL (nats per predicted token) of the gradient windows.
    public var loss: Double
    /// Predicted tokens the gradients average over: windows x (length - 1).
    public var predictedTokens: Int
    /// Wall-clock seconds of the per-layer scoring inside the passes (fake quantizations and the
    /// fisher / fisher-kl products); the rest of the passes' time is forward and reverse.
    public var scoringSeconds: Double = 0
}

/// The gradient-based estimators `delta-loss`, `fisher` and `fisher-kl`, from forward + backward
/// passes (`ModelGradients`) over a few calibration windows.
///
/// - `delta-loss` (AutoRound AutoScheme): s(l, f) = sum_b sum_ij |G_b,ij D_ij|, G_b = batch b's share
///   of dL/dW of the text's mean loss, D = Q_f(W) - W; like AutoRound's backward hook, the absolute
///   value is taken per batch (so the score depends on `batchSize`: smaller batches can only raise it).
/// - `fisher` (ModelOpt auto_quantize): s(l, f) = sum_t sum_o (dL/dY)_to^2 (X D^T)_to^2, summed
///   over batches (each batch's rows carry its share of the mean loss's gradient).
/// - `fisher-kl`: s(l, f) = sum_t (g_t . (X D^T)_t)^2 / (2 T), g the output gradient of a second
///   pass whose labels are drawn from the model (`GradientLabels.sampled`), T = windows x length.
///
/// Only `fisher-kl` is in nats. Sums are accumulated in Double; scores are finite and >= 0 for finite weights.
public struct GradientScorer: Sendable {
    public let model: LlamaModel
    public let formats: [QuantFormat]
    /// Seed of the drawn labels (`fisher-kl`).
    public let seed: UInt64
    /// Input quantizers of the activation formats, aligned with `formats`. A layer without one for
    /// an activation format (its inputs are not whole groups) scores 0 there and the profile leaves
    /// that candidate out.
    public var inputQuantizers = ProfileInputQuantizers.none

    public init(model: LlamaModel, formats: [QuantFormat], seed: UInt64 = 42) {
        self.model = model
        self.formats = formats
        self.seed = seed
    }

    /// Scores the layers `ids` (model order) on `windows` (equal length >= 2), `batchSize` windows per
    /// reverse pass.
    /// - Parameter estimators: any of `.deltaLoss`, `.fisher` (one pass on the text's labels) and
    ///   `.fisherKL` (one pass on drawn labels); others are ignored.
    /// - Throws: `LlamaError` (windows, model), `QuantError` (non-finite weights), `ProfilerError.layerShape`.
    /// - Complexity: per pass one forward + backward (about 3.4x the forward flops, see
    ///   `ModelGradients`); per batch, layer and format one fake quantization, and for `fisher` and
    ///   `fisher-kl` one sgemm of 2 x tokens x out x in flops each. Memory: one block's gradients and
    ///   one layer's quantized weight.
    public func score(ids: [LayerID], windows: [[Int]], batchSize: Int, estimators: Set<SensitivityEstimator>,
                      progress: ((ProfilerProgress) -> Void)? = nil) throws -> GradientScores {
        let wantDelta = estimators.contains(.deltaLoss), wantFisher = estimators.contains(.fisher)
        let wantKL = estimators.contains(.fisherKL)
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let zero = [[Double]](repeating: [Double](repeating: 0, count: formats.count), count: ids.count)
        var delta = zero, fisher = zero, fisherKL = zero, outputError = zero
        var loss = 0.0, predicted = 0, scoringSeconds = 0.0
        func timed<T>(_ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { scoringSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
            return try body()
        }
        let passes = (wantDelta || wantFisher ? 1 : 0) + (wantKL ? 1 : 0)
        let perPass = ids.count * ((windows.count + max(batchSize, 1) - 1) / max(batchSize, 1))
        let stage = StageProgress(stage: "gradients", total: passes * perPass, report: progress)
        var delivered = 0
        if wantDelta || wantFisher {
            var wanting: Set<GradientKind> = []
            if wantDelta { wanting.insert(.weight) }
            if wantFisher { wanting.formUnion([.outputGradient, .input]) }
            let result = try pass(ids: ids, index: index, windows: windows, batchSize: batchSize, wanting: wanting,
                                  labels: .text) { l, id, weight, g in
                let changes = try timed { try self.changes(id, weight: weight) }
                if wantDelta, let grad = g.weight {
                    let row = timed { changes.map { $0.map { GradientScore.deltaLoss(gradient: grad, delta: $0.weightDelta) } ?? 0 } }
                    for f in row.indices { delta[l][f] += row[f] }
                }
                if wantFisher, let dY = g.outputGradient, let x = g.input {
                    let row = timed { fisherRow(changes, outputGradient: dY, input: x) }
                    for f in row.indices { fisher[l][f] += row[f] }
                }
                delivered += 1; stage.step(delivered)
            }
            (loss, predicted) = (result.loss, result.predictedTokens)
        }
        if wantKL {
            let positions = Double(windows.count * (windows.first?.count ?? 0))
            let result = try pass(ids: ids, index: index, windows: windows, batchSize: batchSize,
                                  wanting: [.outputGradient, .input], labels: .sampled(seed: seed)) { l, id, weight, g in
                if let dY = g.outputGradient, let x = g.input {
                    let row = try timed { fisherKLRow(try changes(id, weight: weight), outputGradient: dY, input: x) }
                    for f in row.indices {
                        fisherKL[l][f] += row[f].projected / (2 * positions)
                        outputError[l][f] += row[f].outputSquared / positions
                    }
                }
                delivered += 1; stage.step(delivered)
            }
            (loss, predicted) = (result.loss, result.predictedTokens)
        }
        return GradientScores(deltaLoss: wantDelta ? delta : nil, fisher: wantFisher ? fisher : nil,
                              fisherKL: wantKL ? fisherKL : nil, outputError: wantKL ? outputError : nil,
                              loss: loss, predictedTokens: predicted, scoringSeconds: scoringSeconds)
    }

    /// One gradient pass; `deliver` gets each selected layer's index, id, weight and gradients.
    private func pass(ids: [LayerID], index: [LayerID: Int], windows: [[Int]], batchSize: Int,
                      wanting: Set<GradientKind>, labels: GradientLabels,
                      deliver: (Int, LayerID, Matrix, LayerGradients) throws -> Void) throws -> GradientResult {
        var block: (index: Int, weights: LlamaBlockWeights)?
        var failure: Error?
        let result = try ModelGradients.compute(model: model, windows: windows, wanting: wanting,
                                                batchSize: batchSize, labels: labels) { id, g in
            guard failure == nil, let l = index[id] else { return }
            do {
                if block?.index != id.block { block = (id.block, try model.loadBlock(id.block)) }
                let weight = block!.weights[id.kind]
                try checkShape(id, weight)
                try deliver(l, id, weight, g)
            } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }


    /// How one candidate changes a layer's output Y = X W^T: a weight change D (E = X D^T), or, for
    /// an activation format, the quantized product Q(X) Q(W)^T in place of X W^T, written as the one
    /// product E = [Q(X) | X] [Q(W) | -W]^T over the inputs stacked twice; nil for a candidate the
    /// layer cannot take.
    struct OutputChange: Sendable {
        /// D, or [Q(W) | -W] (out x 2 in).
        var delta: Matrix
        /// The input quantizer of an activation format.
        var input: ActivationQuantizer?

        /// Q(W) - W (out x in): `delta-loss` sees the weights only.
        var weightDelta: Matrix {
            guard input != nil else { return delta }
            let cols = delta.cols / 2
            var d = Matrix(rows: delta.rows, cols: cols)
            for r in 0..<delta.rows {
                for c in 0..<cols { d.data[r * cols + c] = delta.data[r * delta.cols + c] + delta.data[r * delta.cols + cols + c] }
            }
            return d
        }
    }

    /// Every format's `OutputChange` of one layer, in format order: one fake quantization each,
    /// shared by the scores of a delivery.
    func changes(_ id: LayerID, weight: Matrix) throws -> [OutputChange?] {
        return try formats.indices.map { f in
            let format = formats[f]
            guard format.activation != nil else {
                return OutputChange(delta: OutputError.delta(try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil), weight))
            }
            guard let q = inputQuantizers.quantizer(id, f) else { return nil }
            let qw = try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
            var stacked = Matrix(rows: weight.rows, cols: 2 * weight.cols)
            for r in 0..<weight.rows {
                for c in 0..<weight.cols {
                    stacked.data[r * 2 * weight.cols + c] = qw.data[r * weight.cols + c]
                    stacked.data[r * 2 * weight.cols + weight.cols + c] = -weight.data[r * weight.cols + c]
                }
            }
            return OutputChange(delta: stacked, input: q)
        }
    }

    /// The inputs each change multiplies: X, or [Q(X) | X] for an activation format (one per
    /// distinct quantizer).
    static func inputs(for changes: [OutputChange?], input x: Matrix) -> [Matrix?] {
        var stacked: [String: Matrix] = [:]
        return changes.map { change in
            guard let change else { return nil }
            guard let q = change.input else { return x }
            if let m = stacked[q.identity] { return m }
            var qx = x
            q.fakeQuantize(qx.data.withUnsafeMutableBufferPointer { $0.baseAddress! }, rows: x.rows, cols: x.cols)
            var m = Matrix(rows: x.rows, cols: 2 * x.cols)
            for r in 0..<x.rows {
                m.data.replaceSubrange((r * 2 * x.cols)..<(r * 2 * x.cols + x.cols), with: qx.data[(r * x.cols)..<((r + 1) * x.cols)])
                m.data.replaceSubrange((r * 2 * x.cols + x.cols)..<((r + 1) * 2 * x.cols), with: x.data[(r * x.cols)..<((r + 1) * x.cols)])
            }
            stacked[q.identity] = m
            return m
        }
    }

    /// `fisher` of one layer on one batch for each change.
    func fisherRow(_ changes: [OutputChange?], outputGradient: Matrix, input: Matrix) -> [Double] {
        perFormat(changes, outputGradient: outputGradient, input: input, empty: 0, combine: +) { dY, x, delta, scratch in
            GradientScore.fisher(outputGradient: dY, input: x, delta: delta, scratch: &scratch)
        }
    }

    /// `fisher-kl` before its 1 / 2T, and the output error's numerator, of one layer on one batch for
    /// each change.
    func fisherKLRow(_ changes: [OutputChange?], outputGradient: Matrix,
                     input: Matrix) -> [(projected: Double, outputSquared: Double)] {
        perFormat(changes, outputGradient: outputGradient, input: input, empty: (0, 0),
                  combine: { ($0.projected + $1.projected, $0.outputSquared + $1.outputSquared) }) { dY, x, delta, scratch in
            GradientScore.projectedFisher(outputGradient: dY, input: x, delta: delta, scratch: &scratch)
        }
    }

    /// Token halves each sum runs over: with the formats, the tasks of a layer (2 x formats, so an
    /// odd number of formats still keeps both cores busy to the end).
    static let tokenChunks = 2

    /// `body` of (dY, X, delta) for every delta, summed over token chunks: one task per delta and
    /// chunk of rows, each on its own core (single-threaded sgemm; a product does not depend on the
    /// thread count), the chunks' results combined in chunk order.
    private func perFormat<T: Sendable>(_ changes: [OutputChange?], outputGradient: Matrix, input: Matrix, empty: T,
                                        combine: (T, T) -> T,
                                        _ body: @Sendable (Matrix, Matrix, Matrix, inout [Float]) -> T) -> [T] {
        let rows = input.rows, chunks = max(1, min(Self.tokenChunks, rows))
        let bounds = (0...chunks).map { $0 * rows / chunks }
        let inputs = Self.inputs(for: changes, input: input)
        let slices = (0..<chunks).map { c in
            (outputGradient.rows(bounds[c]..<bounds[c + 1]), inputs.map { $0?.rows(bounds[c]..<bounds[c + 1]) })
        }
        var results = [T?](repeating: nil, count: changes.count * chunks)
        results.withUnsafeMutableBufferPointer { pr in
            let out = SharedBuffer(pr)
            parallelFor(changes.count * chunks, blasThreadsPerTask: 1) { task in
                var scratch: [Float] = []
                let (dY, xs) = slices[task % chunks]
                guard let change = changes[task / chunks], let x = xs[task / chunks] else { out.buffer[task] = empty; return }
                out.buffer[task] = body(dY, x, change.delta, &scratch)
            }
        }
        return changes.indices.map { f in
            (1..<chunks).reduce(results[f * chunks]!) { combine($0, results[f * chunks + $1]!) }
        }
    }

    private func checkShape(_ id: LayerID, _ weight: Matrix) throws {
        let expected = model.config.linearShape(of: id.kind)
        guard [weight.rows, weight.cols] == expected else {
            throw ProfilerError.layerShape(layer: id.weightName, expected: expected, actual: [weight.rows, weight.cols])
        }
    }
}
