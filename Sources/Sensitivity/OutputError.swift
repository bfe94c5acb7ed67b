import TensorCore

/// The output error of a linear layer whose weight W moved by dW, measured on calibration inputs.
public enum OutputError {
    /// tr(dW H dW^T) / tokens = (1 / tokens) sum_t ||dW x_t||^2, with H = sum_t x_t x_t^T the input
    /// Gram matrix (in x in) and dW = W' - W (out x in).
    ///
    /// Computed as P = dW H by one sgemm into `scratch` (reused across calls), then the dot product
    /// of P and dW accumulated in Double per row. Returns 0 for `tokens == 0`.
    /// - Complexity: 2 out in^2 flops (sgemm) plus out x in for the dot product.
    public static func hessianWeighted(delta dW: Matrix, gram H: Matrix, tokens: Int,
                                       scratch: inout [Float]) -> Double {
        precondition(H.rows == dW.cols && H.cols == dW.cols, "Gram matrix must be \(dW.cols) x \(dW.cols)")
        guard tokens > 0, dW.count > 0 else { return 0 }
        if scratch.count < dW.count { scratch = [Float](repeating: 0, count: dW.count) }
        let rows = dW.rows, cols = dW.cols
        var total = 0.0
        dW.data.withUnsafeBufferPointer { pd in
            H.data.withUnsafeBufferPointer { ph in
                scratch.withUnsafeMutableBufferPointer { pp in
                    BLAS.gemm(.none, .none, m: rows, n: cols, k: cols, a: pd.baseAddress!, lda: cols,
                              b: ph.baseAddress!, ldb: cols, c: pp.baseAddress!, ldc: cols)
                    for r in 0..<rows {
                        var rowSum: Float = 0
                        let base = r * cols
                        for c in 0..<cols { rowSum += pp[base + c] * pd[base + c] }
                        total += Double(rowSum)
                    }
                }
            }
        }
        return max(total, 0) / Double(tokens)
    }

    /// dW = quantized - original, element by element. - Precondition: equal shapes.
    public static func delta(_ quantized: Matrix, _ original: Matrix) -> Matrix {
        precondition(quantized.rows == original.rows && quantized.cols == original.cols, "shapes differ")
        var d = quantized
        d.data.withUnsafeMutableBufferPointer { pd in
            original.data.withUnsafeBufferPointer { po in
                for i in 0..<pd.count { pd[i] -= po[i] }
            }
        }
        return d
    }
}
