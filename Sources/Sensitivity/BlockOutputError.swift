import Model
import TensorCore
import Formats

/// Where `calibrated` measures the error of a layer before scaling it by the probes' gain.
public enum ErrorSite: String, Codable, Sendable, CaseIterable {
    /// The layer's own output over the calibration tokens: tr(dW H dW^T) / tokens (`OutputError`).
    /// o, gate, up and down.
    case layerOutput = "layer_output"
    /// The output of the layer's block over the probe tokens (`BlockOutputError`): q, k and v, whose
    /// outputs reach the residual stream only through softmax attention.
    case blockOutput = "block_output"

    /// The site `calibrated` uses for a layer of this kind.
    ///
    /// q and k act through softmax(q k^T / sqrt(d)): an error every key shares shifts a row of scores
    /// and cancels, an error on a query dimension matters as much as the keys vary there, and the
    /// attention pattern (a sink at position 0 in many heads) decides which tokens' errors count;
    /// v's error is averaged over tokens with those weights. tr(dW H dW^T) of the projection's own
    /// output sees none of this. Measured on SmolLM2-135M (18 q/k/v layers, 87 cells; Guides/Sensitivity.md):
    /// calibrated / kl in 0.22-4.17 with the layer output (22 cells outside 2x), 0.28-2.09 with the
    /// block output (6 outside).
    public init(kind: LinearKind) {
        switch kind {
        case .q, .k, .v: self = .blockOutput
        case .o, .gate, .up, .down: self = .layerOutput
        }
    }
}

/// The error of a q, k or v projection measured at its block's output: the mean over tokens of the
/// squared change of the hidden state the block hands to the next one, with only that projection
/// replaced. Units: squared activations per token (the residual stream's), like `OutputError`.
///
/// Runs on the probe tokens, whose block inputs `LayerReplay` caches: the block's original output
/// is computed once, then one block forward per replacement.
struct BlockOutputError {
    let model: LlamaModel
    let block: Int
    let weights: LlamaBlockWeights
    let input: Matrix
    let sequenceLength: Int
    private let reference: Matrix

    /// - Parameters: block `block` with its weights and its input on the probe tokens
    ///   (windows x `sequenceLength` rows).
    /// - Complexity: one block forward on the input's rows.
    init(model: LlamaModel, block: Int, weights: LlamaBlockWeights, input: Matrix, sequenceLength: Int) {
        self.model = model
        self.block = block
        self.weights = weights
        self.input = input
        self.sequenceLength = sequenceLength
        var out = input
        model.forwardBlock(index: block, weights: weights, hidden: &out, sequenceLength: sequenceLength)
        reference = out
    }

    /// (1 / tokens) sum_t ||h'_t - h_t||^2 with h the block's output and h' the same with `kind`
    /// replaced by `replacement` (squares in Float per token, summed in Double); 0 when nothing changes.
    /// - Complexity: one block forward on the input's rows.
    /// `quantizer`: the layer's input quantizer (an activation format), nil for weights alone.
    func meanSquaredChange(_ kind: LinearKind, replacement: Matrix, input quantizer: ActivationQuantizer? = nil) -> Double {
        var w = weights
        w[kind] = replacement
        if let quantizer { w.inputQuantizers[kind] = quantizer }
        var changed = input
        model.forwardBlock(index: block, weights: w, hidden: &changed, sequenceLength: sequenceLength)
        let total = changed.data.withUnsafeBufferPointer { pc in
            reference.data.withUnsafeBufferPointer { pr in
                VectorOps.rowSummed(pc.baseAddress!, pr.baseAddress!, rows: reference.rows, cols: reference.cols) { x, y in
                    (x - y) * (x - y)
                }
            }
        }
        return total / Double(max(reference.rows, 1))
    }
}
