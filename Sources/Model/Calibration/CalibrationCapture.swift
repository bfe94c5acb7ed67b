import TensorCore

/// What later stages need about the input X (tokens x cols) of the linear layers at one site.
public struct LinearInputStats: Sendable {
    /// The site (q/k/v share one, gate/up share one).
    public let site: LinearInputSite
    /// H = X^T X summed over every calibration token (cols x cols, Float32 accumulation by ssyrk).
    public internal(set) var gram: Matrix
    /// Number of tokens (rows of X) accumulated.
    public internal(set) var tokenCount: Int
    /// Raw inputs of the first `CalibrationOptions.rawInputSamples` samples (their tokens x cols), if kept.
    public internal(set) var rawInputs: Matrix?

    /// Per-channel mean square E[x_c^2] = H_cc / tokenCount.
    public var meanSquare: [Float] {
        (0..<gram.cols).map { gram[$0, $0] / Float(max(tokenCount, 1)) }
    }
}

/// One block's calibration result.
public struct BlockCapture: Sendable {
    /// Block index.
    public let index: Int
    /// The block's original Float32 weights.
    public let weights: LlamaBlockWeights
    /// The block's input hidden states (samples x L rows, hidden cols), if requested.
    public let input: Matrix?
    /// Statistics by input site.
    public let stats: [LinearInputSite: LinearInputStats]

    /// Statistics of the input of one linear layer.
    public func stats(for kind: LinearKind) -> LinearInputStats { stats[kind.inputSite]! }
}

/// Block-by-block calibration: every sample passes block i before block i+1 is decoded, so memory
/// holds one block's weights plus the samples' hidden states (samples x L x hidden Float32),
/// never the whole model in Float32.
///
/// Usage: `while let block = try capture.next() { ... }`. To continue from *modified* outputs
/// (quantized-input mode), run `model.forwardBlock(index:weights:hidden:sequenceLength:)` on
/// `block.input` and hand the result to `replaceHidden(_:)` before the next call.
public final class CalibrationCapture {
    public let model: LlamaModel
    public let options: CalibrationOptions
    /// The token windows, one per sample.
    public let windows: [[Int]]
    /// Index of the block the next call to `next()` runs.
    public private(set) var nextBlock = 0
    /// Current residual stream: input of `nextBlock` (samples x L rows).
    public private(set) var hidden: Matrix

    /// Draws windows from `tokens` with `options` and embeds them. Throws `LlamaError.textTooShort`.
    public convenience init(model: LlamaModel, tokens: [Int], options: CalibrationOptions = .init()) throws {
        let windows = try CalibrationWindows.sample(tokens: tokens, count: options.sampleCount,
                                                    length: options.sequenceLength, seed: options.seed)
        try self.init(model: model, windows: windows, options: options)
    }

    /// Embeds the given equal-length windows (the head weights are released after embedding).
    public init(model: LlamaModel, windows: [[Int]], options: CalibrationOptions = .init()) throws {
        precondition(options.samplesPerChunk > 0, "samplesPerChunk must be positive")
        let length = try LlamaModel.commonLength(windows)
        self.model = model
        self.windows = windows
        var opts = options
        opts.sequenceLength = length
        opts.sampleCount = windows.count
        self.options = opts
        let embedding = try model.loadHead()
        hidden = try model.architecture.embed(windows.flatMap { $0 }, head: embedding)
    }

    /// Replaces the residual stream that feeds `nextBlock` (same shape).
    public func replaceHidden(_ newHidden: Matrix) {
        precondition(newHidden.rows == hidden.rows && newHidden.cols == hidden.cols, "hidden shape changed")
        hidden = newHidden
    }

    /// Runs the next block over every sample with its original weights, accumulating statistics.
    /// Returns nil after the last block. - Complexity: one block forward over all sample tokens
    /// plus cols^2 x tokens flops per site for the Gram matrices.
    public func next() throws -> BlockCapture? {
        guard nextBlock < model.config.numHiddenLayers else { return nil }
        let weights = try model.loadBlock(nextBlock)
        let input = options.keepBlockInputs ? hidden : nil
        let L = options.sequenceLength, width = model.config.hiddenSize
        var stats: [LinearInputSite: LinearInputStats] = [:]
        for site in LinearInputSite.allCases {
            let cols = model.config.linearShape(of: site.layers[0])[1]
            let rawRows = min(options.rawInputSamples, windows.count) * L
            stats[site] = LinearInputStats(site: site, gram: Matrix(rows: cols, cols: cols), tokenCount: 0,
                                           rawInputs: rawRows > 0 ? Matrix(rows: rawRows, cols: cols) : nil)
        }
        var chunkStart = 0
        while chunkStart < windows.count {
            let count = min(options.samplesPerChunk, windows.count - chunkStart)
            let rowRange = (chunkStart * L)..<((chunkStart + count) * L)
            var chunk = hidden.rows(rowRange)
            let firstRow = rowRange.lowerBound
            model.forwardBlock(index: nextBlock, weights: weights, hidden: &chunk, sequenceLength: L) { site, x, rows, cols in
                BLAS.accumulateGramUpper(x.baseAddress!, rows: rows, cols: cols, into: &stats[site]!.gram)
                stats[site]!.tokenCount += rows
                if let raw = stats[site]!.rawInputs, firstRow < raw.rows {
                    let n = min(rows, raw.rows - firstRow) * cols
                    stats[site]!.rawInputs!.data.replaceSubrange((firstRow * cols)..<(firstRow * cols + n),
                                                                 with: x[0..<n])
                }
            }
            hidden.data.replaceSubrange((rowRange.lowerBound * width)..<(rowRange.upperBound * width), with: chunk.data)
            chunkStart += count
        }
        for site in LinearInputSite.allCases { BLAS.mirrorUpperTriangle(&stats[site]!.gram) }
        defer { nextBlock += 1 }
        return BlockCapture(index: nextBlock, weights: weights, input: input, stats: stats)
    }

    /// Logits of every sample token after the last block (samples x L rows, vocab cols).
    /// - Precondition: every block has run.
    public func finalLogits() throws -> Matrix {
        precondition(nextBlock == model.config.numHiddenLayers, "finalLogits needs every block run")
        return model.architecture.logits(hidden, head: try model.loadHead())
    }
}
