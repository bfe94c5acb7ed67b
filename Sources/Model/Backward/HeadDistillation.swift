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
        let rows = hidden.rows, width = config.hiddenSize, vocab = head.outputProjection.rows
        var pass = HeadPass(lossSum: 0, dHidden: Matrix(rows: rows, cols: width),
                            dFinalNorm: [Float](repeating: 0, count: width), dProjection: nil)
        let chunk = min(Self.headChunk, rows), scale = 1 / Float(rows)
        var normed = [Float](repeating: 0, count: chunk * width), dNormed = normed
        var logits = [Float](repeating: 0, count: chunk * vocab), teacherLogits = logits
        var rowLoss = [Double](repeating: 0, count: chunk)
        for first in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - first)
            headLogits(teacherHidden, first: first, rows: m, head: head, normed: &normed, logits: &teacherLogits)
            headLogits(hidden, first: first, rows: m, head: head, normed: &normed, logits: &logits)
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
            } }
            for i in 0..<m { pass.lossSum += rowLoss[i] }
            headReverse(dLogits: logits, hidden: hidden, first: first, rows: m, head: head, dNormed: &dNormed, into: &pass)
        }
        return pass
    }

    /// Replaces a student logit row by scale x (softmax(student) - softmax(teacher)) and returns
    /// KL(softmax(teacher) || softmax(student)) in nats. The teacher row is overwritten (its
    /// exponentials). Exponentials in Float, partition sums and the KL in Double. Exponentials and
    /// gradient entries below Float's smallest normal (1.2e-38, a logit more than 87 below its row's
    /// largest) are flushed to 0: they change no sum they enter, and as operands of the head's reverse
    /// sgemm they slowed the 2.5-bit default recipe's end-to-end pass by 5% (113 s against 108 s).
    static func distillationGradient(_ row: UnsafeMutablePointer<Float>, teacher: UnsafeMutablePointer<Float>,
                                     count: Int, scale: Float) -> Double {
        var ms = -Float.infinity, mt = -Float.infinity
        for j in 0..<count { ms = max(ms, row[j]); mt = max(mt, teacher[j]) }
        var sumS = 0.0, sumT = 0.0, cross = 0.0
        let tiny = Float.leastNormalMagnitude
        for j in 0..<count {
            var es = expf(row[j] - ms), et = expf(teacher[j] - mt)
            if es < tiny { es = 0 }
            if et < tiny { et = 0 }
            cross += Double(et) * Double((teacher[j] - mt) - (row[j] - ms))
            row[j] = es
            teacher[j] = et
            sumS += Double(es)
            sumT += Double(et)
        }
        // KL = sum_j pt_j (t_j - mt - log sumT - (s_j - ms - log sumS)).
        let kl = cross / sumT - log(sumT) + log(sumS)
        let fs = scale / Float(sumS), ft = scale / Float(sumT)
        for j in 0..<count {
            let d = row[j] * fs - teacher[j] * ft
            row[j] = abs(d) < tiny ? 0 : d
        }
        return max(kl, 0)
    }
}
