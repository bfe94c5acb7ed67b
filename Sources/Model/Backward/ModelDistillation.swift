import TensorCore

/// What `ModelDistillation.gradients` returns beside the per-layer deliveries.
public struct DistillationResult: Sendable {
    /// Mean KL(teacher || student) in nats per token over every row of the windows.
    public var kl: Double
    /// One entry per block (index order) when `.norms` was wanted, else empty.
    public var norms: [BlockNormGradients]
}

/// Gradients of the distillation loss, the mean KL(original || this model) of the next-token
/// distributions over every position of the windows, with respect to every linear layer (and the
/// block norms) of a model whose weights are in memory: the reverse pass of an end-to-end tuning step.
///
/// The teacher enters only through its final hidden states (before the final norm), one row per
/// token, so its forward pass is run once by the caller, not per step.
public enum ModelDistillation {
    /// - Parameters:
    ///   - blocks: the student's block weights (the quantized model).
    ///   - head: the head both models share (final norm, output projection, embedding).
    ///   - windows: equal-length token windows, L >= 1.
    ///   - teacherHidden: the teacher's final hidden states, windows x L rows in window order.
    ///   - wanting: `.weight` and `.outputGradient`/`.input` reach the observer; `.norms` is returned.
    ///   - observer: called once per linear layer, blocks in descending order.
    /// - Throws: `LlamaError` for no windows, unequal windows, token ids out of range.
    /// - Complexity: one forward with every block's internals kept (`BlockTape`), the head's 6 x
    ///   tokens x hidden x vocab flops, and each block's reverse pass (dX, and dW with `.weight`):
    ///   about 3x the forward flops. Memory: every block's tape (about 9 hidden-wide and 3
    ///   intermediate-wide Floats per token per block, plus the attention rows).
    public static func gradients(architecture arch: LlamaArchitecture, head: LlamaHeadWeights, blocks: [LlamaBlockWeights],
                                 windows: [[Int]], teacherHidden: Matrix, wanting: Set<GradientKind>,
                                 observer: (LayerID, LayerGradients) -> Void) throws -> DistillationResult {
        let L = try LlamaModel.commonLength(windows)
        let tokens = windows.flatMap { $0 }
        precondition(teacherHidden.rows == tokens.count && teacherHidden.cols == arch.config.hiddenSize,
                     "one teacher row per token")
        var hidden = try arch.embed(tokens, head: head)
        var tapes: [BlockTape] = []
        tapes.reserveCapacity(blocks.count)
        for w in blocks {
            let tape = arch.forwardKeepingActivations(weights: w, input: hidden, sequenceLength: L)
            hidden = tape.output
            tapes.append(tape)
        }
        let pass = arch.headDistillationBackward(hidden: hidden, teacherHidden: teacherHidden, head: head)
        var dHidden = pass.dHidden
        var norms: [BlockNormGradients] = []
        for b in blocks.indices.reversed() {
            let g = arch.backwardBlock(tape: tapes[b], sequenceLength: L, dOutput: dHidden, wanting: wanting)
            tapes.removeLast()
            for kind in LinearKind.allCases { observer(LayerID(block: b, kind: kind), g.layers[kind]!) }
            norms.insert(g.norms, at: 0)
            dHidden = g.input
        }
        return DistillationResult(kl: pass.lossSum / Double(tokens.count),
                                  norms: wanting.contains(.norms) ? norms : [])
    }
}
