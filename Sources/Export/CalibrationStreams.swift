import Model
import Quant
import TensorCore

/// Input statistics of one linear-input site of a block, on both calibration streams.
public struct SiteGrams: Sendable {
    /// Hxx = X^T X over the original model's inputs.
    public var original: Matrix
    /// Hqq = Xq^T Xq over the inputs of the model whose earlier layers are quantized (nil: not tracked).
    public var quantized: Matrix?
    /// Hxq = X^T Xq (nil: not tracked).
    public var cross: Matrix?
    /// Tokens summed over.
    public var tokens: Int

    /// The SignRound objective of `weights` at this site: quantized input when tracked.
    public func objective(weights: Matrix, layer: String) throws -> LayerObjective {
        if let quantized, let cross {
            return try LayerObjective(weights: weights, quantizedGram: quantized, crossGram: cross,
                                      originalGram: original, tokens: tokens, layer: layer)
        }
        return try LayerObjective(gram: original, tokens: tokens, layer: layer)
    }
}

/// The calibration hidden states of the original model and (with quantized input, AutoRound's
/// `enable_quanted_input`) of the model whose earlier blocks are already quantized.
///
/// For each block, `grams(block:weights:)` runs the block with its original weights on the original
/// stream (advancing it) and on the quantized stream (not advancing it), collecting per site
/// Hxx = X^T X, Hqq = Xq^T Xq and Hxq = X^T Xq; after the block is quantized,
/// `advanceQuantized(block:weights:)` moves the quantized stream through the quantized block.
/// Samples run in chunks, so activation memory is bounded by one chunk.
public final class CalibrationStreams {
    public let model: LlamaModel
    public let sequenceLength: Int
    public let samplesPerChunk: Int
    /// Positions at the start of every window left out of the Gram matrices (they still run through
    /// the model as context). Position 0 carries the attention-sink token, whose activations are
    /// orders of magnitude larger than the others' and would dominate the squared-error objective.
    public let skippedPositions: Int
    private(set) var original: Matrix
    private(set) var quantized: Matrix?

    /// Embeds `windows` (equal length). - Throws: `LlamaError` for empty or unequal windows.
    public init(model: LlamaModel, windows: [[Int]], quantizedInput: Bool, samplesPerChunk: Int = 8,
                skippedPositions: Int = 0) throws {
        precondition(samplesPerChunk > 0, "samplesPerChunk must be positive")
        guard let length = windows.first?.count, length > 0, windows.allSatisfy({ $0.count == length }) else {
            throw LlamaError.textTooShort(tokens: windows.first?.count ?? 0, needed: 1)
        }
        guard skippedPositions >= 0, skippedPositions < length else {
            throw LlamaError.textTooShort(tokens: length, needed: skippedPositions + 1)
        }
        self.model = model
        self.skippedPositions = skippedPositions
        sequenceLength = length
        self.samplesPerChunk = samplesPerChunk
        let head = try model.loadHead()
        original = try model.architecture.embed(windows.flatMap { $0 }, head: head)
        quantized = quantizedInput ? original : nil
    }

    public var tracksQuantizedInput: Bool { quantized != nil }

    private var chunks: [Range<Int>] {
        let samples = original.rows / sequenceLength
        return stride(from: 0, to: samples, by: samplesPerChunk).map {
            ($0 * sequenceLength)..<(min(samples, $0 + samplesPerChunk) * sequenceLength)
        }
    }

    /// Runs block `index` with its original `weights`; see the type's description.
    /// - Complexity: two block forwards over all samples plus 3 in^2 x tokens flops per site.
    public func grams(block index: Int, weights: LlamaBlockWeights) -> [LinearInputSite: SiteGrams] {
        var grams: [LinearInputSite: SiteGrams] = [:]
        let tracked = quantized != nil
        for site in LinearInputSite.allCases {
            let n = model.config.linearShape(of: site.layers[0])[1]
            grams[site] = SiteGrams(original: Matrix(rows: n, cols: n), quantized: tracked ? Matrix(rows: n, cols: n) : nil,
                                    cross: tracked ? Matrix(rows: n, cols: n) : nil, tokens: 0)
        }
        let width = model.config.hiddenSize, L = sequenceLength, skip = skippedPositions
        for rows in chunks {
            var chunk = original.rows(rows)
            var inputs: [LinearInputSite: [Float]] = [:]
            model.forwardBlock(index: index, weights: weights, hidden: &chunk, sequenceLength: L) { site, x, r, c in
                self.accumulateGram(x.baseAddress!, rows: r, cols: c, into: &grams[site]!.original)
                grams[site]!.tokens += (r / L) * (L - skip)
                if tracked { inputs[site] = Array(x[0..<(r * c)]) }
            }
            original.data.replaceSubrange((rows.lowerBound * width)..<(rows.upperBound * width), with: chunk.data)
            guard var q = quantized?.rows(rows) else { continue }
            model.forwardBlock(index: index, weights: weights, hidden: &q, sequenceLength: L) { site, xq, r, c in
                self.accumulateGram(xq.baseAddress!, rows: r, cols: c, into: &grams[site]!.quantized!)
                inputs[site]!.withUnsafeBufferPointer { px in
                    self.accumulateCross(px.baseAddress!, xq.baseAddress!, rows: r, cols: c, into: &grams[site]!.cross!)
                }
            }
        }
        for site in LinearInputSite.allCases {
            BLAS.mirrorUpperTriangle(&grams[site]!.original)
            if tracked { BLAS.mirrorUpperTriangle(&grams[site]!.quantized!) }
        }
        return grams
    }

    /// Upper triangle of H += X^T X over the kept positions of `rows` / L windows: one ssyrk over every
    /// row when no position is skipped, else one per window. The caller mirrors H once at the end.
    private func accumulateGram(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into h: inout Matrix) {
        let L = sequenceLength, skip = skippedPositions
        guard skip > 0 else { return BLAS.accumulateGramUpper(x, rows: rows, cols: cols, into: &h) }
        for w in 0..<(rows / L) {
            BLAS.accumulateGramUpper(x + (w * L + skip) * cols, rows: L - skip, cols: cols, into: &h)
        }
    }

    /// Hxq += X^T Xq over the kept positions (one sgemm, or one per window when positions are skipped).
    private func accumulateCross(_ x: UnsafePointer<Float>, _ xq: UnsafePointer<Float>, rows: Int, cols c: Int,
                                 into h: inout Matrix) {
        let L = sequenceLength, skip = skippedPositions
        let blocks = skip > 0 ? (0..<(rows / L)).map { (($0 * L + skip) * c, L - skip) } : [(0, rows)]
        h.data.withUnsafeMutableBufferPointer { ph in
            for (offset, k) in blocks {
                BLAS.gemm(.transposed, .none, m: c, n: c, k: k, a: x + offset, lda: c,
                          b: xq + offset, ldb: c, beta: 1, c: ph.baseAddress!, ldc: c)
            }
        }
    }

    /// Moves the quantized stream through block `index` with its quantized `weights` (no-op
    /// without quantized input).
    public func advanceQuantized(block index: Int, weights: LlamaBlockWeights) {
        guard quantized != nil else { return }
        let width = model.config.hiddenSize
        for rows in chunks {
            var q = quantized!.rows(rows)
            model.forwardBlock(index: index, weights: weights, hidden: &q, sequenceLength: sequenceLength)
            quantized!.data.replaceSubrange((rows.lowerBound * width)..<(rows.upperBound * width), with: q.data)
        }
    }
}
