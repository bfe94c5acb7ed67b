import TensorCore

/// What block-wise SignRound minimizes between the block's output Y and its target T (rows are tokens).
public enum BlockLoss: String, Codable, Sendable, CaseIterable {
    /// mean((Y - T)^2) over every element kept (AutoRound's block loss).
    case mse
    /// Each token's squared error divided by the mean square of its target row,
    /// mean_r,j ((Y_rj - T_rj)^2 / ms(T_r)) with ms(T_r) = mean_j T_rj^2: the error as the next
    /// RMSNorm sees it (every reader of the residual stream divides each token by its RMS). A token
    /// with activations 100x the others (the attention sink) weighs as much as any other, not 10^4x.
    case normalized

    /// Weight of each row of `targets` (`length` rows per window; the first `skipped` rows of every
    /// window weigh 0): 1 for `.mse`, 1 / max(ms(T_r), 1e-30) for `.normalized`.
    func rowWeights(targets t: Matrix, skipping skipped: Int, of length: Int) -> [Float] {
        precondition(skipped == 0 || skipped < length, "BlockLoss: skipped positions out of range")
        var w = [Float](repeating: 1, count: t.rows)
        let cols = t.cols
        t.data.withUnsafeBufferPointer { pt in
            for r in 0..<t.rows {
                if r % length < skipped { w[r] = 0; continue }
                guard self == .normalized else { continue }
                var acc: Float = 0
                for j in (r * cols)..<((r + 1) * cols) { acc += pt[j] * pt[j] }
                w[r] = 1 / max(acc / Float(cols), 1e-30)
            }
        }
        return w
    }

    /// sum_r w_r sum_j (y_rj - t_rj)^2 / n (accumulated in Double) and its gradient
    /// 2 w_r (y_rj - t_rj) / n, with n = `elements` (the count of a whole minibatch when these rows
    /// are one part of it) or by default (rows of non-zero weight) x cols.
    static func weightedSquaredError(_ y: Matrix, _ t: Matrix, rowWeights w: [Float], elements: Int? = nil) -> (Double, Matrix) {
        precondition(y.rows == t.rows && y.cols == t.cols && w.count == y.rows, "BlockLoss: shapes differ")
        var d = Matrix(rows: y.rows, cols: y.cols)
        let cols = y.cols
        let n = elements ?? w.filter { $0 != 0 }.count * cols, scale = 2 / Float(max(n, 1))
        var sum = 0.0
        y.data.withUnsafeBufferPointer { py in t.data.withUnsafeBufferPointer { pt in
            d.data.withUnsafeMutableBufferPointer { pd in
                for r in 0..<y.rows where w[r] != 0 {
                    var acc: Float = 0
                    let g = scale * w[r]
                    for j in (r * cols)..<((r + 1) * cols) {
                        let e = py[j] - pt[j]
                        acc += e * e
                        pd[j] = g * e
                    }
                    sum += Double(w[r]) * Double(acc)
                }
            }
        } }
        return (sum / Double(max(n, 1)), d)
    }
}
