import TensorCore

extension LlamaArchitecture {
    /// Reverse of causal grouped-query attention O = softmax(scale Q K^T) V per (sequence, head),
    /// given dO (rows x heads*d). Returns dQ, dK, dV with respect to the rotated Q and K and V.
    ///
    /// Per head, with P recomputed (one sgemm and the softmax): dV += P^T dO, dP = dO V^T,
    /// dS = scale P * (dP - rowsum(dP * P)), dQ = dS K, dK += dS^T Q. K/V gradients sum over the
    /// query heads of a group. Two L x L buffers are reused across heads.
    /// - Complexity: 12 rows L d heads flops (six L x L x d sgemms per head and sequence).
    func attentionBackward(_ act: BlockActivations, dHeads: [Float], rows: Int, L: Int)
        -> (dq: [Float], dk: [Float], dv: [Float]) {
        let c = config, d = c.headDim, qW = c.queryWidth, kvW = c.keyValueWidth
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let scale = 1 / Float(d).squareRoot()
        var dq = [Float](repeating: 0, count: rows * qW)
        var dk = [Float](repeating: 0, count: rows * kvW)
        var dv = dk
        var probs = [Float](repeating: 0, count: L * L)
        var dProbs = probs
        act.q.withUnsafeBufferPointer { pq in act.k.withUnsafeBufferPointer { pk in act.v.withUnsafeBufferPointer { pv in
        dHeads.withUnsafeBufferPointer { pdo in
        dq.withUnsafeMutableBufferPointer { gq in dk.withUnsafeMutableBufferPointer { gk in dv.withUnsafeMutableBufferPointer { gv in
        probs.withUnsafeMutableBufferPointer { pp in dProbs.withUnsafeMutableBufferPointer { pdp in
            let p = pp.baseAddress!, dp = pdp.baseAddress!
            for s in 0..<(rows / L) {
                for h in 0..<c.numAttentionHeads {
                    let kv = s * L * kvW + (h / group) * d, qo = s * L * qW + h * d
                    BLAS.gemm(.none, .transposed, m: L, n: L, k: d, a: pq.baseAddress! + qo, lda: qW,
                              b: pk.baseAddress! + kv, ldb: kvW, c: p, ldc: L)
                    Kernels.causalSoftmax(p, rows: L, first: 0, keys: L, stride: L, scale: scale)
                    BLAS.gemm(.transposed, .none, m: L, n: d, k: L, a: p, lda: L, b: pdo.baseAddress! + qo, ldb: qW,
                              beta: 1, c: gv.baseAddress! + kv, ldc: kvW)
                    BLAS.gemm(.none, .transposed, m: L, n: L, k: d, a: pdo.baseAddress! + qo, lda: qW,
                              b: pv.baseAddress! + kv, ldb: kvW, c: dp, ldc: L)
                    BackwardKernels.causalSoftmaxBackward(p, dp, rows: L, first: 0, keys: L, stride: L, scale: scale)
                    BLAS.gemm(.none, .none, m: L, n: d, k: L, a: dp, lda: L, b: pk.baseAddress! + kv, ldb: kvW,
                              c: gq.baseAddress! + qo, ldc: qW)
                    BLAS.gemm(.transposed, .none, m: L, n: d, k: L, a: dp, lda: L, b: pq.baseAddress! + qo, ldb: qW,
                              beta: 1, c: gk.baseAddress! + kv, ldc: kvW)
                }
            }
        } }
        } } }
        }
        } } }
        return (dq, dk, dv)
    }
}
