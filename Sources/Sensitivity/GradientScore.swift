import TensorCore

/// The two gradient scores of one linear layer y = x W^T for one weight change D = W' - W.
public enum GradientScore {
    /// sum_ij |G_ij D_ij| with G = dL/dW (out x in): AutoRound AutoScheme's score, the first-order
    /// loss change without sign cancellation. Products in Float, row sums in Double.
    /// - Precondition: equal shapes.
    /// - Complexity: out x in.
    public static func deltaLoss(gradient G: Matrix, delta D: Matrix) -> Double {
        precondition(G.rows == D.rows && G.cols == D.cols, "gradient and delta shapes differ")
        return G.data.withUnsafeBufferPointer { pg in
            D.data.withUnsafeBufferPointer { pd in
                VectorOps.rowSummed(pg.baseAddress!, pd.baseAddress!, rows: D.rows, cols: D.cols) { abs($0 * $1) }
            }
        }
    }

    /// sum_t sum_o dY_to^2 E_to^2 with E = X D^T (tokens x out), the output change of the layer:
    /// ModelOpt auto_quantize's Fisher score. E by one sgemm into `scratch` (reused across calls),
    /// then products in Float, row sums in Double.
    /// - Parameters: outputGradient dL/dY (tokens x out), input X (tokens x in), delta D (out x in).
    /// - Precondition: matching shapes.
    /// - Complexity: 2 tokens x out x in flops plus tokens x out.
    public static func fisher(outputGradient dY: Matrix, input X: Matrix, delta D: Matrix,
                              scratch: inout [Float]) -> Double {
        var total = 0.0
        withOutputChange(outputGradient: dY, input: X, delta: D, scratch: &scratch) { pg, pe, tokens, outs in
            for t in 0..<tokens {
                var rowSum: Float = 0
                for i in (t * outs)..<((t + 1) * outs) {
                    let p = pg[i] * pe[i]
                    rowSum += p * p
                }
                total += Double(rowSum)
            }
        }
        return total
    }

    /// sum_t (sum_o dY_to E_to)^2 with E = X D^T (tokens x out): per token, the square of the
    /// first-order change of the differentiated log-likelihood. With dY from labels drawn from the
    /// model (`GradientLabels.sampled`) its expectation is sum_t E_t^T F_t E_t, F_t the Fisher
    /// information of token t's output: twice the second-order KL of the change, without the terms
    /// that couple two tokens. Also returns sum_to E_to^2, the output error's numerator on these
    /// tokens (tr(D X^T X D^T)) from the same product. E by one sgemm into `scratch`, per-token sums
    /// in Float, totals in Double.
    /// - Parameters: outputGradient dL/dY (tokens x out), input X (tokens x in), delta D (out x in).
    /// - Precondition: matching shapes.
    /// - Complexity: 2 tokens x out x in flops plus 2 tokens x out.
    public static func projectedFisher(outputGradient dY: Matrix, input X: Matrix, delta D: Matrix,
                                       scratch: inout [Float]) -> (projected: Double, outputSquared: Double) {
        var projected = 0.0, squared = 0.0
        withOutputChange(outputGradient: dY, input: X, delta: D, scratch: &scratch) { pg, pe, tokens, outs in
            for t in 0..<tokens {
                var dot: Float = 0, norm: Float = 0
                for i in (t * outs)..<((t + 1) * outs) {
                    dot += pg[i] * pe[i]
                    norm += pe[i] * pe[i]
                }
                projected += Double(dot) * Double(dot)
                squared += Double(norm)
            }
        }
        return (projected, squared)
    }

    /// E = X D^T (tokens x out) by one sgemm into `scratch`, then `body(dY, E, tokens, out)`; no
    /// call for an empty X or D. - Precondition: matching shapes.
    private static func withOutputChange(outputGradient dY: Matrix, input X: Matrix, delta D: Matrix, scratch: inout [Float],
                                         _ body: (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int) -> Void) {
        precondition(dY.rows == X.rows && dY.cols == D.rows && X.cols == D.cols, "fisher shapes differ")
        let tokens = X.rows, outs = D.rows, ins = D.cols
        guard tokens > 0, outs > 0 else { return }
        if scratch.count < tokens * outs { scratch = [Float](repeating: 0, count: tokens * outs) }
        X.data.withUnsafeBufferPointer { px in D.data.withUnsafeBufferPointer { pd in
            dY.data.withUnsafeBufferPointer { pg in scratch.withUnsafeMutableBufferPointer { pe in
                BLAS.gemm(.none, .transposed, m: tokens, n: outs, k: ins, a: px.baseAddress!, lda: ins,
                          b: pd.baseAddress!, ldb: ins, c: pe.baseAddress!, ldc: outs)
                body(pg.baseAddress!, UnsafePointer(pe.baseAddress!), tokens, outs)
            } }
        } }
    }
}
