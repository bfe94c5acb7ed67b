import Formats
import TensorCore

extension OutputError {
    /// The output error of a layer in an activation format: (1 / tokens) sum_t ||Q(x_t) W'^T -
    /// x_t W^T||^2 over the raw inputs `X` (tokens x in), with Q the layer's input quantizer and W'
    /// the quantized weight: what the runtime's product changes, which a Gram matrix of X cannot
    /// give. Two sgemms (Q(X) W'^T, then minus X W^T), the squares summed in Double per row.
    /// Returns 0 for no tokens.
    /// - Precondition: `X.cols` is a multiple of the quantizer's group and the shapes match.
    /// - Complexity: 4 tokens x out x in flops.
    public static func activated(weight W: Matrix, quantized: Matrix, input X: Matrix, quantizer: ActivationQuantizer) -> Double {
        precondition(W.cols == X.cols && quantized.rows == W.rows && quantized.cols == W.cols, "shapes differ")
        guard X.rows > 0, W.rows > 0 else { return 0 }
        var qx = X
        quantizer.fakeQuantize(qx.data.withUnsafeMutableBufferPointer { $0.baseAddress! }, rows: X.rows, cols: X.cols)
        var e = [Float](repeating: 0, count: X.rows * W.rows)
        let (tokens, outs, ins) = (X.rows, W.rows, W.cols)
        e.withUnsafeMutableBufferPointer { pe in
            qx.data.withUnsafeBufferPointer { pq in quantized.data.withUnsafeBufferPointer { pw in
                BLAS.gemm(.none, .transposed, m: tokens, n: outs, k: ins, a: pq.baseAddress!, lda: ins,
                          b: pw.baseAddress!, ldb: ins, c: pe.baseAddress!, ldc: outs)
            } }
            X.data.withUnsafeBufferPointer { px in W.data.withUnsafeBufferPointer { pw in
                BLAS.gemm(.none, .transposed, m: tokens, n: outs, k: ins, alpha: -1, a: px.baseAddress!, lda: ins,
                          b: pw.baseAddress!, ldb: ins, beta: 1, c: pe.baseAddress!, ldc: outs)
            } }
        }
        var total = 0.0
        for t in 0..<tokens {
            var row: Float = 0
            for o in 0..<outs { let v = e[t * outs + o]; row += v * v }
            total += Double(row)
        }
        return total / Double(tokens)
    }
}
