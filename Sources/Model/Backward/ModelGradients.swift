import TensorCore

/// Gradients of the mean causal-LM cross-entropy on calibration windows with respect to every
/// linear layer of a Llama-family model, computed block by block by hand over BLAS.
///
/// Per batch of windows: the forward pass keeps only each block's input hidden states (layers x
/// tokens x hidden floats); the head's reverse pass starts from the final hidden states; then blocks
/// N-1 ... 0 are each recomputed from their cached input and run backward (`backwardBlock`), their
/// layers' gradients handed to the observer and dropped before the next block.
public enum ModelGradients {
    /// Streams weights from `model` (each block is decoded twice per batch: forward and backward).
    ///
    /// - Parameters:
    ///   - windows: token windows of equal length L >= 2; positions 1..L-1 of each are predicted.
    ///   - wanting: what to compute besides the loss (`.weight`, `.outputGradient`, `.input` reach the
    ///     observer; `.norms`, `.head` are returned).
    ///   - batchSize: windows per batch (all when nil). The observer is called once per layer per
    ///     batch, blocks in descending order; each call's sums are that batch's share of the gradient
    ///     of the mean over all windows, so summing the calls gives the full gradient.
    ///   - labels: the text's next tokens (default) or labels drawn from the model (`GradientLabels`).
    /// - Returns: the mean NLL over all predicted tokens, and the norm/head gradients as wanted.
    /// - Complexity: per batch, the forward pass, the block recompute (without the down projection),
    ///   dX and (with `.weight`) dW sgemms: about 3.4x the forward flops. Memory: the cached block
    ///   inputs, layers x batch tokens x hidden floats (35 MB per 512-token window on SmolLM2-135M),
    ///   plus one block's internals; `.head` adds two vocab x hidden matrices.
    /// - Throws: `LlamaError` for no windows, unequal or too-short windows, token ids out of range.
    public static func compute(model: LlamaModel, windows: [[Int]], wanting: Set<GradientKind>,
                               batchSize: Int? = nil, labels: GradientLabels = .text,
                               observer: (LayerID, LayerGradients) -> Void) throws -> GradientResult {
        try run(model.architecture, head: try model.loadHead(), block: model.loadBlock, windows: windows,
                wanting: wanting, batchSize: batchSize, labels: labels, observer: observer)
    }

    /// The same over weights already in memory.
    public static func compute(model: ResidentLlama, windows: [[Int]], wanting: Set<GradientKind>,
                               batchSize: Int? = nil, labels: GradientLabels = .text,
                               observer: (LayerID, LayerGradients) -> Void) throws -> GradientResult {
        try run(model.architecture, head: model.head, block: { model.blocks[$0] }, windows: windows,
                wanting: wanting, batchSize: batchSize, labels: labels, observer: observer)
    }

    static func run(_ arch: LlamaArchitecture, head: LlamaHeadWeights, block: (Int) throws -> LlamaBlockWeights,
                    windows: [[Int]], wanting: Set<GradientKind>, batchSize: Int?, labels: GradientLabels,
                    observer: (LayerID, LayerGradients) -> Void) throws -> GradientResult {
        let L = try LlamaModel.commonLength(windows)
        guard L >= 2 else { throw LlamaError.textTooShort(tokens: L, needed: 2) }
        let batch = batchSize ?? windows.count
        guard batch >= 1 else {
            throw LlamaError.unsupportedConfig(field: "batch size", value: batch, reason: "must be at least 1")
        }
        let predicted = windows.count * (L - 1)
        var result = GradientResult(loss: 0, predictedTokens: predicted, norms: [], head: nil)
        var lossSum = 0.0
        for start in stride(from: 0, to: windows.count, by: batch) {
            let range = start..<min(windows.count, start + batch)
            let tokens = windows[range].flatMap { $0 }
            var hidden = try arch.embed(tokens, head: head)
            var inputs: [Matrix] = []
            for b in 0..<arch.config.numHiddenLayers {
                inputs.append(hidden)
                arch.forwardBlock(weights: try block(b), hidden: &hidden, sequenceLength: L)
            }
            let pass = arch.headBackward(hidden: hidden, tokens: tokens, sequenceLength: L, head: head,
                                         labels: HeadLabels(labels, firstRow: start * L, predicted: predicted),
                                         wantProjection: wanting.contains(.head))
            lossSum += pass.lossSum
            hidden = Matrix(rows: 0, cols: 0)
            var dHidden = pass.dHidden
            var norms: [BlockNormGradients] = []
            for b in (0..<arch.config.numHiddenLayers).reversed() {
                let g = arch.backwardBlock(weights: try block(b), input: inputs[b], sequenceLength: L,
                                           dOutput: dHidden, wanting: wanting, windows: range)
                inputs[b] = Matrix(rows: 0, cols: 0)
                for kind in LinearKind.allCases { observer(LayerID(block: b, kind: kind), g.layers[kind]!) }
                norms.insert(g.norms, at: 0)
                dHidden = g.input
            }
            if wanting.contains(.norms) { accumulate(norms, into: &result.norms) }
            if wanting.contains(.head) {
                accumulateHead(pass, dEmbedded: dHidden, tokens: tokens, tied: head.lmHead == nil,
                               into: &result.head)
            }
        }
        result.loss = lossSum / Double(predicted)
        return result
    }

    private static func accumulate(_ norms: [BlockNormGradients], into total: inout [BlockNormGradients]) {
        if total.isEmpty { total = norms; return }
        for i in total.indices { total[i].add(norms[i]) }
    }

    /// Adds one batch's head gradients: the output projection's, the final norm's, and the embedded
    /// rows' gradients scattered onto their token ids (onto the same matrix when tied).
    private static func accumulateHead(_ pass: HeadPass, dEmbedded: Matrix, tokens: [Int], tied: Bool,
                                       into total: inout HeadGradients?) {
        let width = dEmbedded.cols
        let projection = pass.dProjection!
        var g = total ?? HeadGradients(embedding: Matrix(rows: projection.rows, cols: width),
                                       finalNorm: [Float](repeating: 0, count: width),
                                       lmHead: tied ? nil : Matrix(rows: projection.rows, cols: width))
        g.finalNorm = zip(g.finalNorm, pass.dFinalNorm).map(+)
        g.embedding.data.withUnsafeMutableBufferPointer { pe in
            dEmbedded.data.withUnsafeBufferPointer { pd in
                for (r, t) in tokens.enumerated() {
                    for i in 0..<width { pe[t * width + i] += pd[r * width + i] }
                }
                if tied {
                    projection.data.withUnsafeBufferPointer { pp in for i in 0..<pp.count { pe[i] += pp[i] } }
                }
            }
        }
        if !tied {
            g.lmHead!.data.withUnsafeMutableBufferPointer { pl in
                projection.data.withUnsafeBufferPointer { pp in for i in 0..<pp.count { pl[i] += pp[i] } }
            }
        }
        total = g
    }
}

extension LlamaModel {
    /// The reverse pass of block `index` (see `LlamaArchitecture.backwardBlock`): dL/d(input) and the
    /// block's layer (and norm) gradients for dL/d(output) `dOutput`, recomputing the block from `input`.
    public func backwardBlock(index: Int, weights: LlamaBlockWeights, input: Matrix, sequenceLength: Int,
                              dOutput: Matrix, wanting: Set<GradientKind>) -> BlockGradients {
        precondition(index >= 0 && index < config.numHiddenLayers, "block \(index) out of range")
        return architecture.backwardBlock(weights: weights, input: input, sequenceLength: sequenceLength,
                                          dOutput: dOutput, wanting: wanting)
    }
}
