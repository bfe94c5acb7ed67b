import Model
import Formats
import TensorCore

/// The quantized-input terms of one layer, computed from its outputs on both streams: with
/// Y = X W^T and Yq = Xq W^T, E = W (Hqq - Hxq) = (Yq - Y)^T Xq and c0 = ||Yq - Y||^2 (see
/// `LayerObjective`).
public struct LayerOutputTerms: Sendable {
    /// E (out x in), summed over tokens.
    public var crossTerm: Matrix
    /// c0, squared output summed over tokens (accumulated in Double).
    public var constant: Double
}

/// Input statistics of one linear-input site of a block, on both calibration streams.
public struct SiteGrams: Sendable {
    /// Hxx = X^T X over the original model's inputs (nil where the quantized-input terms come from
    /// the layers' outputs, `outputTerms`).
    public var original: Matrix?
    /// Hqq = Xq^T Xq over the inputs of the model whose earlier layers are quantized (nil: not tracked).
    public var quantized: Matrix?
    /// Hxq = X^T Xq (nil: not tracked, or terms from the outputs).
    public var cross: Matrix?
    /// E and c0 by layer where they come from the layers' outputs (see `CalibrationStreams.termsFromOutputs`).
    public var outputTerms: [LinearKind: LayerOutputTerms] = [:]
    /// Tokens summed over.
    public var tokens: Int

    /// The SignRound objective of layer `kind` with `weights` at this site: quantized input when tracked.
    /// - Throws: `SignRoundError` for shapes that do not fit, or a site holding no Gram matrix.
    public func objective(kind: LinearKind, weights: Matrix, layer: String) throws -> LayerObjective {
        if let quantized, let terms = outputTerms[kind] {
            return try LayerObjective(quantizedGram: quantized, crossTerm: terms.crossTerm, constant: terms.constant,
                                      tokens: tokens, layer: layer)
        }
        guard let original else {
            throw SignRoundError.gramShape(layer: layer, expected: "a Gram matrix of the layer's input", actual: "none")
        }
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
/// Hxx = X^T X, Hqq = Xq^T Xq and Hxq = X^T Xq, or where cheaper (`termsFromOutputs`) Hqq and, per
/// layer, E and c0 from the layer's outputs on both streams; after the block is quantized,
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
    /// - Complexity: two block forwards over all samples (one without quantized input) plus, per
    ///   token, in^2 flops per site for Hxx, and with quantized input in^2 for Hqq and either 2 in^2
    ///   for Hxq or, where `termsFromOutputs`, 2 out in per layer for E.
    public func grams(block index: Int, weights: LlamaBlockWeights) -> [LinearInputSite: SiteGrams] {
        var grams = emptyGrams()
        let width = model.config.hiddenSize, L = sequenceLength, skip = skippedPositions
        let outputsNeeded = LinearInputSite.allCases.contains { termsFromOutputs($0) }
        for rows in chunks {
            var chunk = original.rows(rows)
            var inputs: [LinearInputSite: [Float]] = [:], outputs: [LinearKind: [Float]] = [:]
            model.forwardBlock(index: index, weights: weights, hidden: &chunk, sequenceLength: L, observer: { site, x, r, c in
                grams[site]!.tokens += (r / L) * (L - skip)
                guard grams[site]!.original != nil else { return }
                self.accumulateGram(x.baseAddress!, rows: r, cols: c, into: &grams[site]!.original!)
                if grams[site]!.cross != nil { inputs[site] = Array(x[0..<(r * c)]) }
            }, products: !outputsNeeded ? nil : { kind, _, y, _ in
                if grams[kind.inputSite]!.outputTerms[kind] != nil { outputs[kind] = Array(y) }
            })
            original.data.replaceSubrange((rows.lowerBound * width)..<(rows.upperBound * width), with: chunk.data)
            guard var q = quantized?.rows(rows) else { continue }
            model.forwardBlock(index: index, weights: weights, hidden: &q, sequenceLength: L, observer: { site, xq, r, c in
                self.accumulateGram(xq.baseAddress!, rows: r, cols: c, into: &grams[site]!.quantized!)
                inputs[site]?.withUnsafeBufferPointer { px in
                    self.accumulateCross(px.baseAddress!, xq.baseAddress!, rows: r, cols: c, into: &grams[site]!.cross!)
                }
            }, products: !outputsNeeded ? nil : { kind, xq, yq, r in
                guard outputs[kind] != nil else { return }
                self.accumulateOutputTerms(y: &outputs[kind]!, yq: yq, xq: xq, rows: r,
                                           into: &grams[kind.inputSite]!.outputTerms[kind]!)
            })
        }
        for site in LinearInputSite.allCases {
            if grams[site]!.original != nil { BLAS.mirrorUpperTriangle(&grams[site]!.original!) }
            if grams[site]!.quantized != nil { BLAS.mirrorUpperTriangle(&grams[site]!.quantized!) }
        }
        return grams
    }

    /// Whether the quantized-input terms of the layers at `site` come from their outputs on both
    /// streams (E = (Yq - Y)^T Xq, c0 = ||Yq - Y||^2: 2 out in flops per token and layer) rather
    /// than from Hxq and Hxx (3 in^2 per token for the site): where the layers' outputs together are
    /// less than 1.5 times narrower than their input, e.g. down (576 out of 1536) on SmolLM2. Never for
    /// o, whose product the forward does not report; never without quantized input.
    public func termsFromOutputs(_ site: LinearInputSite) -> Bool {
        guard quantized != nil, !site.layers.contains(.o) else { return false }
        let input = model.config.linearShape(of: site.layers[0])[1]
        let outputs = site.layers.reduce(0) { $0 + model.config.linearShape(of: $1)[0] }
        return 2 * outputs < 3 * input
    }

    private func emptyGrams() -> [LinearInputSite: SiteGrams] {
        var grams: [LinearInputSite: SiteGrams] = [:]
        let tracked = quantized != nil
        for site in LinearInputSite.allCases {
            let n = model.config.linearShape(of: site.layers[0])[1], fromOutputs = termsFromOutputs(site)
            var terms: [LinearKind: LayerOutputTerms] = [:]
            for kind in site.layers where fromOutputs {
                terms[kind] = LayerOutputTerms(crossTerm: Matrix(rows: model.config.linearShape(of: kind)[0], cols: n), constant: 0)
            }
            grams[site] = SiteGrams(original: fromOutputs ? nil : Matrix(rows: n, cols: n),
                                    quantized: tracked ? Matrix(rows: n, cols: n) : nil,
                                    cross: tracked && !fromOutputs ? Matrix(rows: n, cols: n) : nil,
                                    outputTerms: terms, tokens: 0)
        }
        return grams
    }

    /// Row blocks (first row, row count) of a chunk of `rows` rows that enter the statistics: all
    /// rows at once when no position is skipped, else each window without its first positions.
    private func keptRowBlocks(_ rows: Int) -> [(first: Int, count: Int)] {
        let L = sequenceLength, skip = skippedPositions
        return skip == 0 ? [(0, rows)] : (0..<(rows / L)).map { ($0 * L + skip, L - skip) }
    }

    /// Upper triangle of H += X^T X over the kept rows (one ssyrk per row block). The caller mirrors
    /// H once at the end.
    private func accumulateGram(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into h: inout Matrix) {
        for (first, count) in keptRowBlocks(rows) {
            BLAS.accumulateGramUpper(x + first * cols, rows: count, cols: cols, into: &h)
        }
    }

    /// Hxq += X^T Xq over the kept rows (one sgemm per row block).
    private func accumulateCross(_ x: UnsafePointer<Float>, _ xq: UnsafePointer<Float>, rows: Int, cols c: Int,
                                 into h: inout Matrix) {
        h.data.withUnsafeMutableBufferPointer { ph in
            for (first, count) in keptRowBlocks(rows) {
                BLAS.gemm(.transposed, .none, m: c, n: c, k: count, a: x + first * c, lda: c,
                          b: xq + first * c, ldb: c, beta: 1, c: ph.baseAddress!, ldc: c)
            }
        }
    }

    /// With D = Yq - Y (overwriting `y`): E += D^T Xq (one sgemm per row block) and c0 += ||D||^2
    /// (in Double), both over the kept rows.
    private func accumulateOutputTerms(y: inout [Float], yq: UnsafeBufferPointer<Float>, xq: UnsafeBufferPointer<Float>,
                                       rows: Int, into terms: inout LayerOutputTerms) {
        let out = terms.crossTerm.rows, n = terms.crossTerm.cols
        precondition(y.count == rows * out && yq.count == rows * out && xq.count >= rows * n, "output terms: shapes differ")
        var c0 = 0.0
        y.withUnsafeMutableBufferPointer { pd in
            for i in 0..<(rows * out) { pd[i] = yq[i] - pd[i] }
            terms.crossTerm.data.withUnsafeMutableBufferPointer { pe in
                for (first, count) in keptRowBlocks(rows) {
                    for i in (first * out)..<((first + count) * out) { c0 += Double(pd[i]) * Double(pd[i]) }
                    BLAS.gemm(.transposed, .none, m: out, n: n, k: count, a: pd.baseAddress! + first * out, lda: out,
                              b: xq.baseAddress! + first * n, ldb: n, beta: 1, c: pe.baseAddress!, ldc: n)
                }
            }
        }
        terms.constant += c0
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
