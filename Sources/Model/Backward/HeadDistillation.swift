import Foundation
import TensorCore

extension LlamaArchitecture {
    /// KL(teacher || student) of the next-token distributions at every row, and its reverse pass
    /// through the head: the distillation loss of an end-to-end pass.
    ///
    /// Row r of `hidden` (the student's final hidden states, before the final norm) is compared with
    /// row r of `teacherHidden` (the original model's), both through `head` (final RMSNorm, output
    /// projection). Every row counts, the last of each window too, as in the evaluation's KL.
    /// The gradient is of the mean over rows: dLogits = (softmax(student) - softmax(teacher)) / rows.
    ///
    /// Per chunk of rows: both final norms, two logit sgemms, the row softmaxes (exponentials in
    /// Float, sums in Double), dF = dLogits P (sgemm), the RMSNorm reverse.
    /// - Returns: `lossSum` = the summed KL in nats over the rows; `dHidden`; `dFinalNorm`.
    /// - Complexity: 6 rows hidden vocab flops (three sgemms).
    func headDistillationBackward(hidden: Matrix, teacherHidden: Matrix, head: LlamaHeadWeights) -> HeadPass {
        precondition(hidden.rows == teacherHidden.rows && hidden.cols == teacherHidden.cols, "one teacher row per student row")
        let rows = hidden.rows, width = config.hiddenSize, eps = Float(config.rmsNormEps)
        let projection = head.outputProjection, vocab = projection.rows
        var pass = HeadPass(lossSum: 0, dHidden: Matrix(rows: rows, cols: width),
                            dFinalNorm: [Float](repeating: 0, count: width), dProjection: nil)
        let chunk = min(Self.headChunk, rows), scale = 1 / Float(rows)
        var normed = [Float](repeating: 0, count: chunk * width), teacherNormed = normed, dNormed = normed
        var logits = [Float](repeating: 0, count: chunk * vocab), teacherLogits = logits
        var rowLoss = [Double](repeating: 0, count: chunk)
        for first in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - first)
            head.finalNorm.withUnsafeBufferPointer { pw in
                hidden.data.withUnsafeBufferPointer { ph in normed.withUnsafeMutableBufferPointer { pn in
                    Kernels.rmsNorm(ph.baseAddress! + first * width, pn.baseAddress!, rows: m, stride: width, weight: pw, eps: eps)
                } }
                teacherHidden.data.withUnsafeBufferPointer { ph in teacherNormed.withUnsafeMutableBufferPointer { pn in
                    Kernels.rmsNorm(ph.baseAddress! + first * width, pn.baseAddress!, rows: m, stride: width, weight: pw, eps: eps)
                } }
            }
            projection.data.withUnsafeBufferPointer { pp in
                normed.withUnsafeBufferPointer { pn in logits.withUnsafeMutableBufferPointer { pl in
                    BLAS.gemm(.none, .transposed, m: m, n: vocab, k: width, a: pn.baseAddress!, lda: width,
                              b: pp.baseAddress!, ldb: width, c: pl.baseAddress!, ldc: vocab)
                } }
                teacherNormed.withUnsafeBufferPointer { pn in teacherLogits.withUnsafeMutableBufferPointer { pl in
                    BLAS.gemm(.none, .transposed, m: m, n: vocab, k: width, a: pn.baseAddress!, lda: width,
                              b: pp.baseAddress!, ldb: width, c: pl.baseAddress!, ldc: vocab)
                } }
                logits.withUnsafeMutableBufferPointer { pl in teacherLogits.withUnsafeMutableBufferPointer { pt in
                    rowLoss.withUnsafeMutableBufferPointer { pr in
                        let student = StridedRows(pl.baseAddress!, rows: m, cols: vocab)
                        let teacher = StridedRows(pt.baseAddress!, rows: m, cols: vocab)
                        let losses = SharedBuffer(pr)
                        parallelFor(m) { i in
                            losses[i] = Self.distillationGradient(student.row(i), teacher: teacher.row(i),
                                                                  count: vocab, scale: scale)
                        }
                    }
                    dNormed.withUnsafeMutableBufferPointer { pg in
                        BLAS.gemm(.none, .none, m: m, n: width, k: vocab, a: pl.baseAddress!, lda: vocab,
                                  b: pp.baseAddress!, ldb: width, c: pg.baseAddress!, ldc: width)
                    }
                } }
            }
            for i in 0..<m { pass.lossSum += rowLoss[i] }
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
        return pass
    }

    /// Replaces a student logit row by scale x (softmax(student) - softmax(teacher)) and returns
    /// KL(softmax(teacher) || softmax(student)) in nats. The teacher row is overwritten (its
    /// exponentials). Exponentials in Float, partition sums and the KL in Double.
    static func distillationGradient(_ row: UnsafeMutablePointer<Float>, teacher: UnsafeMutablePointer<Float>,
                                     count: Int, scale: Float) -> Double {
        var ms = -Float.infinity, mt = -Float.infinity
        for j in 0..<count { ms = max(ms, row[j]); mt = max(mt, teacher[j]) }
        var sumS = 0.0, sumT = 0.0, cross = 0.0
        for j in 0..<count {
            let es = expf(row[j] - ms), et = expf(teacher[j] - mt)
            cross += Double(et) * Double((teacher[j] - mt) - (row[j] - ms))
            row[j] = es
            teacher[j] = et
            sumS += Double(es)
            sumT += Double(et)
        }
        // KL = sum_j pt_j (t_j - mt - log sumT - (s_j - ms - log sumS)).
        let kl = cross / sumT - log(sumT) + log(sumS)
        let fs = scale / Float(sumS), ft = scale / Float(sumT)
        for j in 0..<count { row[j] = row[j] * fs - teacher[j] * ft }
        return max(kl, 0)
    }
}
