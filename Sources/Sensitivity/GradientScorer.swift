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
    /// Mean NLL (nats per predicted token) of the gradient windows.
    public var loss: Double
    /// Predicted tokens the gradients average over: windows x (length - 1).
    public var predictedTokens: Int
}

/// The gradient-based estimators `delta-loss` and `fisher`, from one forward + backward pass
/// (`ModelGradients`) over a few calibration windows of the mean causal-LM loss.
///
/// - `delta-loss` (AutoRound AutoScheme): s(l, f) = sum_b sum_ij |G_b,ij D_ij|, G_b = batch b's share
///   of dL/dW, D = Q_f(W) - W; like AutoRound's backward hook, the absolute value is taken per
///   batch (so the score depends on `batchSize`: smaller batches can only raise it).
/// - `fisher` (ModelOpt auto_quantize): s(l, f) = sum_t sum_o (dL/dY)_to^2 (X D^T)_to^2, summed
///   over batches (each batch's rows carry its share of the mean loss's gradient).
///
/// Neither is in nats. Sums are accumulated in Double; scores are finite and >= 0 for finite weights.
public struct GradientScorer: Sendable {
    public let model: LlamaModel
    public let formats: [QuantFormat]

    public init(model: LlamaModel, formats: [QuantFormat]) {
        self.model = model
        self.formats = formats
    }

    /// Scores the layers `ids` (model order) on `windows` (equal length >= 2), `batchSize` windows per
    /// reverse pass.
    /// - Parameter estimators: `.deltaLoss` and/or `.fisher`; others are ignored.
    /// - Throws: `LlamaError` (windows, model), `QuantError` (non-finite weights), `ProfilerError.layerShape`.
    /// - Complexity: one forward + backward pass (about 3.4x the forward flops, see `ModelGradients`);
    ///   per batch, layer and format one fake quantization, and for `fisher` one sgemm of
    ///   2 x tokens x out x in flops. Memory: one block's gradients and one layer's quantized weight.
    public func score(ids: [LayerID], windows: [[Int]], batchSize: Int, estimators: Set<SensitivityEstimator>,
                      progress: ((ProfilerProgress) -> Void)? = nil) throws -> GradientScores {
        let wantDelta = estimators.contains(.deltaLoss), wantFisher = estimators.contains(.fisher)
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        var wanting: Set<GradientKind> = []
        if wantDelta { wanting.insert(.weight) }
        if wantFisher { wanting.formUnion([.outputGradient, .input]) }
        var delta = [[Double]](repeating: [Double](repeating: 0, count: formats.count), count: ids.count)
        var fisher = delta
        var block: (index: Int, weights: LlamaBlockWeights)?
        var failure: Error?
        let deliveries = ids.count * ((windows.count + max(batchSize, 1) - 1) / max(batchSize, 1))
        let stage = StageProgress(stage: "gradients", total: deliveries, report: progress)
        var delivered = 0
        let result = try ModelGradients.compute(model: model, windows: windows, wanting: wanting,
                                                batchSize: batchSize) { id, g in
            guard failure == nil, let l = index[id] else { return }
            defer { delivered += 1; stage.step(delivered) }
            do {
                if block?.index != id.block { block = (id.block, try model.loadBlock(id.block)) }
                let weight = block!.weights[id.kind]
                try checkShape(id, weight)
                if wantDelta, let grad = g.weight {
                    let row = try deltaLossRow(id, weight: weight, gradient: grad)
                    for f in row.indices { delta[l][f] += row[f] }
                }
                if wantFisher, let dY = g.outputGradient, let x = g.input {
                    let row = try fisherRow(id, weight: weight, outputGradient: dY, input: x)
                    for f in row.indices { fisher[l][f] += row[f] }
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        return GradientScores(deltaLoss: wantDelta ? delta : nil, fisher: wantFisher ? fisher : nil,
                              loss: result.loss, predictedTokens: result.predictedTokens)
    }

    /// `delta-loss` of one layer in every format: sum |G (Q_f(W) - W)|.
    func deltaLossRow(_ id: LayerID, weight: Matrix, gradient: Matrix) throws -> [Double] {
        try formats.map { format in
            let quantized = try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
            return GradientScore.deltaLoss(gradient: gradient, delta: OutputError.delta(quantized, weight))
        }
    }

    /// `fisher` of one layer on one batch in every format.
    func fisherRow(_ id: LayerID, weight: Matrix, outputGradient: Matrix, input: Matrix) throws -> [Double] {
        var scratch: [Float] = []
        return try formats.map { format in
            let quantized = try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
            return GradientScore.fisher(outputGradient: outputGradient, input: input,
                                        delta: OutputError.delta(quantized, weight), scratch: &scratch)
        }
    }

    private func checkShape(_ id: LayerID, _ weight: Matrix) throws {
        let expected = model.config.linearShape(of: id.kind)
        guard [weight.rows, weight.cols] == expected else {
            throw ProfilerError.layerShape(layer: id.weightName, expected: expected, actual: [weight.rows, weight.cols])
        }
    }
}
