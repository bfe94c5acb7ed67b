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
                let changes = try timed { try deltas(id, weight: weight) }
                if wantDelta, let grad = g.weight {
                    let row = timed { changes.map { GradientScore.deltaLoss(gradient: grad, delta: $0) } }
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
                    let row = try timed { fisherKLRow(try deltas(id, weight: weight), outputGradient: dY, input: x) }
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

    /// Q_f(W) - W of one layer for every format, in format order: one fake quantization each, shared
    /// by the scores of a delivery.
    func deltas(_ id: LayerID, weight: Matrix) throws -> [Matrix] {
        try formats.map { format in
            OutputError.delta(try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil), weight)
        }
    }

    /// `fisher` of one layer on one batch for each weight change in `deltas`.
    func fisherRow(_ deltas: [Matrix], outputGradient: Matrix, input: Matrix) -> [Double] {
        perFormat(deltas, outputGradient: outputGradient, input: input, combine: +) { dY, x, delta, scratch in
            GradientScore.fisher(outputGradient: dY, input: x, delta: delta, scratch: &scratch)
        }
    }

    /// `fisher-kl` before its 1 / 2T, and the output error's numerator, of one layer on one batch for
    /// each weight change in `deltas`.
    func fisherKLRow(_ deltas: [Matrix], outputGradient: Matrix,
                     input: Matrix) -> [(projected: Double, outputSquared: Double)] {
        perFormat(deltas, outputGradient: outputGradient, input: input,
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
    private func perFormat<T: Sendable>(_ deltas: [Matrix], outputGradient: Matrix, input: Matrix,
                                        combine: (T, T) -> T,
                                        _ body: @Sendable (Matrix, Matrix, Matrix, inout [Float]) -> T) -> [T] {
        let rows = input.rows, chunks = max(1, min(Self.tokenChunks, rows))
        let bounds = (0...chunks).map { $0 * rows / chunks }
        let slices = (0..<chunks).map { c in
            (outputGradient.rows(bounds[c]..<bounds[c + 1]), input.rows(bounds[c]..<bounds[c + 1]))
        }
        var results = [T?](repeating: nil, count: deltas.count * chunks)
        results.withUnsafeMutableBufferPointer { pr in
            let out = SharedBuffer(pr)
            parallelFor(deltas.count * chunks, blasThreadsPerTask: 1) { task in
                var scratch: [Float] = []
                let (dY, x) = slices[task % chunks]
                out.buffer[task] = body(dY, x, deltas[task / chunks], &scratch)
            }
        }
        return deltas.indices.map { f in
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
