import TensorCore

extension LlamaArchitecture {
    /// Reverse of causal grouped-query attention O = softmax(scale Q K^T) V per (sequence, head),
    /// given dO (rows x heads*d). Returns dQ, dK, dV with respect to the rotated Q and K and V.
    ///
    /// Per head, with P recomputed (one sgemm and the softmax): dV += P^T dO, dP = dO V^T,
    /// dS = scale P * (dP - rowsum(dP * P)), dQ = dS K, dK += dS^T Q. K/V gradients sum over the
    /// query heads of a group. Query rows go in tiles of `queryTile` that meet only the keys up to
    /// their last position; two tile x L buffers are reused across heads and tiles.
    /// - Complexity: about 12 rows L d heads flops for L <= queryTile, about 60% of that at L = 512
    ///   (six tile x keys x d sgemms per tile, head and sequence).
    func attentionBackward(_ act: BlockActivations, dHeads: [Float], rows: Int, L: Int)
        -> (dq: [Float], dk: [Float], dv: [Float]) {
        let c = config, d = c.headDim, qW = c.queryWidth, kvW = c.keyValueWidth
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let scale = 1 / Float(d).squareRoot()
        var dq = [Float](repeating: 0, count: rows * qW)
        var dk = [Float](repeating: 0, count: rows * kvW)
        var dv = dk
        var probs = [Float](repeating: 0, count: min(L, Self.queryTile) * L)
        var dProbs = probs
        act.q.withUnsafeBufferPointer { pq in act.k.withUnsafeBufferPointer { pk in act.v.withUnsafeBufferPointer { pv in
        dHeads.withUnsafeBufferPointer { pdo in
        dq.withUnsafeMutableBufferPointer { gq in dk.withUnsafeMutableBufferPointer { gk in dv.withUnsafeMutableBufferPointer { gv in
        probs.withUnsafeMutableBufferPointer { pp in dProbs.withUnsafeMutableBufferPointer { pdp in
            let p = pp.baseAddress!, dp = pdp.baseAddress!
            for s in 0..<(rows / L) {
                for h in 0..<c.numAttentionHeads {
                    let kvBase = s * L * kvW + (h / group) * d
                    let qk = pk.baseAddress! + kvBase, qv = pv.baseAddress! + kvBase
                    let gkh = gk.baseAddress! + kvBase, gvh = gv.baseAddress! + kvBase
                    // Query tiles only meet keys up to their last position (causal).
                    for first in Swift.stride(from: 0, to: L, by: Self.queryTile) {
                        let m = min(Self.queryTile, L - first), keys = first + m
                        let qo = (s * L + first) * qW + h * d
                        let qt = pq.baseAddress! + qo, dot = pdo.baseAddress! + qo
                        BLAS.gemm(.none, .transposed, m: m, n: keys, k: d, a: qt, lda: qW, b: qk, ldb: kvW, c: p, ldc: L)
                        Kernels.causalSoftmax(p, rows: m, first: first, keys: keys, stride: L, scale: scale)
                        BLAS.gemm(.transposed, .none, m: keys, n: d, k: m, a: p, lda: L, b: dot, ldb: qW,
                                  beta: 1, c: gvh, ldc: kvW)
                        BLAS.gemm(.none, .transposed, m: m, n: keys, k: d, a: dot, lda: qW, b: qv, ldb: kvW, c: dp, ldc: L)
                        BackwardKernels.causalSoftmaxBackward(p, dp, rows: m, first: first, keys: keys, stride: L, scale: scale)
                        BLAS.gemm(.none, .none, m: m, n: d, k: keys, a: dp, lda: L, b: qk, ldb: kvW,
                                  c: gq.baseAddress! + qo, ldc: qW)
                        BLAS.gemm(.transposed, .none, m: keys, n: d, k: m, a: dp, lda: L, b: qt, ldb: qW,
                                  beta: 1, c: gkh, ldc: kvW)
                    }
                }
            }
        } }
        } } }
        }
        } } }
        return (dq, dk, dv)
    }
}
