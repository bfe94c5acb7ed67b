import Foundation
import TensorCore

/// The head's share of a reverse pass: summed loss, dL/d(final hidden states) and head gradients.
struct HeadPass {
    /// Sum of the negative log-likelihoods (nats) of the predicted positions.
    var lossSum: Double
    /// dL/d(final hidden states), rows x hidden.
    var dHidden: Matrix
    /// dL/d(final norm weight), hidden.
    var dFinalNorm: [Float]
    /// dL/d(output projection), vocab x hidden, when wanted.
    var dProjection: Matrix?
}

/// The head's labels for one batch: `GradientLabels` with the batch's place in the call.
struct HeadLabels {
    let labels: GradientLabels
    /// Index in the call of the batch's first row (window x L + position), the draws' stream key.
    let firstRow: Int
    /// Gradient scale: 1 / predicted positions for the text's mean loss, 1 for drawn labels.
    let scale: Float

    init(_ labels: GradientLabels, firstRow: Int, predicted: Int) {
        self.labels = labels
        self.firstRow = firstRow
        if case .sampled = labels { scale = 1 } else { scale = 1 / Float(predicted) }
    }

    /// The uniform in [0, 1) that draws row `r`'s label (batch-local row), nil for text labels.
    func uniform(row r: Int) -> Float? {
        guard case let .sampled(seed) = labels else { return nil }
        var rng = SplitMix64(seed: seed ^ (UInt64(firstRow + r) &* 0xD1B5_4A32_D192_ED03))
        return rng.nextUnitFloat()
    }
}

extension LlamaArchitecture {
    /// Rows per head chunk: bounds the logits buffer (256 x vocab floats, 50 MB for 49,152 tokens).
    static let headChunk = 256

    /// Causal-LM cross-entropy of the final hidden states and its reverse pass. Row r (token r % L of
    /// window r / L) predicts `tokens[r + 1]` unless it is the last of its window; the returned loss
    /// is the summed NLL of those. The gradient is of the text's mean NLL, or with drawn labels of
    /// the summed NLL of one label per row drawn from the row's softmax (`HeadLabels`).
    ///
    /// Per chunk of rows: final RMSNorm, logits = F P^T (sgemm), softmax with exponentials in Float
    /// and the partition sum in Double (as `Divergence.logPartition`), dLogits = scale (softmax -
    /// onehot), dF = dLogits P (sgemm), dP += dLogits^T F (sgemm, when `wantProjection`), then the
    /// RMSNorm reverse. - Complexity: 4 (6 with the projection) rows hidden vocab flops.
    func headBackward(hidden: Matrix, tokens: [Int], sequenceLength L: Int, head: LlamaHeadWeights,
                      labels: HeadLabels, wantProjection: Bool) -> HeadPass {
        let rows = hidden.rows, width = config.hiddenSize, vocab = head.outputProjection.rows
        var pass = HeadPass(lossSum: 0, dHidden: Matrix(rows: rows, cols: width),
                            dFinalNorm: [Float](repeating: 0, count: width),
                            dProjection: wantProjection ? Matrix(rows: vocab, cols: width) : nil)
        let chunk = min(Self.headChunk, rows)
        var normed = [Float](repeating: 0, count: chunk * width)
        var logits = [Float](repeating: 0, count: chunk * vocab)
        var dNormed = normed
        var rowLoss = [Double](repeating: 0, count: chunk)
        for first in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - first)
            headLogits(hidden, first: first, rows: m, head: head, normed: &normed, logits: &logits)
            logits.withUnsafeMutableBufferPointer { pl in
                rowLoss.withUnsafeMutableBufferPointer { pr in
                    let rowLogits = StridedRows(pl.baseAddress!, rows: m, cols: vocab), losses = SharedBuffer(pr)
                    parallelFor(m) { i in
                        let r = first + i
                        let target = r % L == L - 1 ? nil : tokens[r + 1]
                        losses[i] = Self.softmaxGradient(rowLogits.row(i), count: vocab, target: target,
                                                         draw: labels.uniform(row: r), scale: labels.scale)
                    }
                }
            }
            if wantProjection {
                normed.withUnsafeBufferPointer { pn in logits.withUnsafeBufferPointer { pl in
                    pass.dProjection!.data.withUnsafeMutableBufferPointer { pd in
                        BLAS.gemm(.transposed, .none, m: vocab, n: width, k: m, a: pl.baseAddress!, lda: vocab,
                                  b: pn.baseAddress!, ldb: width, beta: 1, c: pd.baseAddress!, ldc: width)
                    }
                } }
            }
            for i in 0..<m { pass.lossSum += rowLoss[i] }
            headReverse(dLogits: logits, hidden: hidden, first: first, rows: m, head: head, dNormed: &dNormed, into: &pass)
        }
        return pass
    }

    /// Rows first..<first+m of the final hidden states through the final RMSNorm into `normed` and
    /// the output projection into `logits` (m x vocab, one sgemm).
    func headLogits(_ hidden: Matrix, first: Int, rows m: Int, head: LlamaHeadWeights,
                    normed: inout [Float], logits: inout [Float]) {
        let width = config.hiddenSize, vocab = head.outputProjection.rows, eps = Float(config.rmsNormEps)
        hidden.data.withUnsafeBufferPointer { ph in head.finalNorm.withUnsafeBufferPointer { pw in
            normed.withUnsafeMutableBufferPointer { pn in
                Kernels.rmsNorm(ph.baseAddress! + first * width, pn.baseAddress!, rows: m, stride: width, weight: pw, eps: eps)
            }
        } }
        normed.withUnsafeBufferPointer { pn in head.outputProjection.data.withUnsafeBufferPointer { pp in
            logits.withUnsafeMutableBufferPointer { pl in
                BLAS.gemm(.none, .transposed, m: m, n: vocab, k: width, a: pn.baseAddress!, lda: width,
                          b: pp.baseAddress!, ldb: width, c: pl.baseAddress!, ldc: vocab)
            }
        } }
    }

    /// The head's reverse for rows first..<first+m from their dL/d(logits) (m x vocab): dNormed =
    /// dLogits P (one sgemm), then the final RMSNorm's reverse into `pass.dHidden`'s rows and
    /// `pass.dFinalNorm` (accumulated).
    func headReverse(dLogits: [Float], hidden: Matrix, first: Int, rows m: Int, head: LlamaHeadWeights,
                     dNormed: inout [Float], into pass: inout HeadPass) {
        let width = config.hiddenSize, vocab = head.outputProjection.rows, eps = Float(config.rmsNormEps)
        dLogits.withUnsafeBufferPointer { pl in head.outputProjection.data.withUnsafeBufferPointer { pp in
            dNormed.withUnsafeMutableBufferPointer { pg in
                BLAS.gemm(.none, .none, m: m, n: width, k: vocab, a: pl.baseAddress!, lda: vocab,
                          b: pp.baseAddress!, ldb: width, c: pg.baseAddress!, ldc: width)
            }
        } }
        hidden.data.withUnsafeBufferPointer { ph in head.finalNorm.withUnsafeBufferPointer { pw in
            dNormed.withUnsafeBufferPointer { pg in pass.dHidden.data.withUnsafeMutableBufferPointer { pdh in
                pass.dFinalNorm.withUnsafeMutableBufferPointer { pdw in
                    BackwardKernels.rmsNormBackward(ph.baseAddress! + first * width, pg.baseAddress!,
                                                    pdh.baseAddress! + first * width, rows: m, stride: width,
                                                    weight: pw, eps: eps, dWeight: pdw.baseAddress!, accumulate: false)
                }
            } }
        } }
    }

    /// Replaces a logit row by scale x (softmax - onehot(label)) and returns -log softmax[target]
    /// (0 when `target` is nil). The label is `target`, or with `draw` = u in [0, 1) the first index
    /// whose cumulative softmax exceeds u (the last index if rounding leaves u above the total); a
    /// row with neither becomes zeros. Exponentials in Float, the partition sum in Double.
    static func softmaxGradient(_ row: UnsafeMutablePointer<Float>, count: Int, target: Int?, draw: Float? = nil,
                                scale: Float) -> Double {
        guard target != nil || draw != nil else {
            row.update(repeating: 0, count: count)
            return 0
        }
        var m = -Float.infinity
        for j in 0..<count { m = max(m, row[j]) }
        let targetLogit = target.map { row[$0] }
        var sum = 0.0
        for j in 0..<count {
            let e = expf(row[j] - m)
            row[j] = e
            sum += Double(e)
        }
        let label = draw.map { drawIndex(row, count: count, threshold: Double($0) * sum) } ?? target!
        let factor = scale / Float(sum)
        for j in 0..<count { row[j] *= factor }
        row[label] -= scale
        return targetLogit.map { Double(m) + log(sum) - Double($0) } ?? 0
    }

    /// The first j whose running sum of `row[0...j]` (in Double) exceeds `threshold`; count - 1 if none.
    static func drawIndex(_ row: UnsafePointer<Float>, count: Int, threshold: Double) -> Int {
        var running = 0.0
        for j in 0..<count {
            running += Double(row[j])
            if running > threshold { return j }
        }
        return count - 1
    }
}
