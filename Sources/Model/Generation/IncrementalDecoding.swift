import Foundation
import TensorCore

/// Keys (after RoPE) and values of every block for a batch of sequences decoded one position at a
/// time, so that each new token attends to the earlier ones without recomputing them.
struct KeyValueCache {
    let sequences: Int
    /// Positions each sequence can hold.
    let capacity: Int
    /// Key/value width (kv heads x head_dim).
    let width: Int
    /// Per block: sequences x capacity x width, row (s, p) at (s * capacity + p) * width.
    var keys: [[Float]]
    var values: [[Float]]

    init(blocks: Int, sequences: Int, capacity: Int, width: Int) {
        self.sequences = sequences
        self.capacity = capacity
        self.width = width
        let empty = [Float](repeating: 0, count: sequences * capacity * width)
        keys = Array(repeating: empty, count: blocks)
        values = keys
    }
}

extension LlamaArchitecture {
    /// One decoding step of `tokens.count` sequences that all stand at `position`: each sequence's
    /// token there runs through every block, attending to its own positions 0...position through
    /// `cache` (which receives this position's keys and values). Returns the final hidden states
    /// (sequences x hidden, before the final norm): the rows a whole-window `forwardBlock` pass gives
    /// at that position, up to Float summation order.
    /// - Precondition: `cache` holds positions 0..<position of every sequence and has room for one more.
    /// - Complexity: 2 x sequences x (linear parameters) flops plus 4 x sequences x (position + 1) x
    ///   head_dim x heads for attention.
    func decodeStep(blocks: [LlamaBlockWeights], head: LlamaHeadWeights, tokens: [Int], position: Int,
                    cache: inout KeyValueCache) throws -> Matrix {
        let rows = tokens.count
        precondition(rows == cache.sequences && position < cache.capacity, "decode step outside the cache")
        var hidden = try embed(tokens, head: head)
        let table = rope.positions > position ? rope : { var r = rope; r.reserve(position + 1); return r }()
        for (b, w) in blocks.enumerated() {
            decodeBlock(weights: w, hidden: &hidden, position: position, rope: table,
                        keys: &cache.keys[b], values: &cache.values[b], capacity: cache.capacity)
        }
        return hidden
    }

    /// `forwardBlock` for one position of each sequence, with the keys and values of the earlier
    /// positions taken from (and this position's written into) `keys` and `values`.
    private func decodeBlock(weights w: LlamaBlockWeights, hidden: inout Matrix, position p: Int, rope table: RotaryEmbedding,
                             keys: inout [Float], values: inout [Float], capacity: Int) {
        let c = config, rows = hidden.rows, width = c.hiddenSize
        let eps = Float(c.rmsNormEps), kvW = c.keyValueWidth, qW = c.queryWidth
        var normed = [Float](repeating: 0, count: rows * width)
        hidden.data.withUnsafeMutableBufferPointer { ph in
            normed.withUnsafeMutableBufferPointer { pn in
                w.inputNorm.withUnsafeBufferPointer {
                    Kernels.rmsNorm(ph.baseAddress!, pn.baseAddress!, rows: rows, stride: width, weight: $0, eps: eps)
                }
                let x = pn.baseAddress!
                let xq = w.quantizedInputs(x, rows: rows, cols: width, kinds: [.q, .k, .v])
                var q = withLayerInput(.q, x, xq) { project($0, rows: rows, w[.q], bias: w.qBias) }
                var k = withLayerInput(.k, x, xq) { project($0, rows: rows, w[.k], bias: w.kBias) }
                let v = withLayerInput(.v, x, xq) { project($0, rows: rows, w[.v], bias: w.vBias) }
                normAndRotate(&q, rows: rows, heads: c.numAttentionHeads, norm: w.qNorm) {
                    table.apply($0, rows: rows, heads: $1, position: p)
                }
                normAndRotate(&k, rows: rows, heads: c.numKeyValueHeads, norm: w.kNorm) {
                    table.apply($0, rows: rows, heads: $1, position: p)
                }
                for s in 0..<rows {
                    let at = (s * capacity + p) * kvW
                    keys.replaceSubrange(at..<(at + kvW), with: k[(s * kvW)..<((s + 1) * kvW)])
                    values.replaceSubrange(at..<(at + kvW), with: v[(s * kvW)..<((s + 1) * kvW)])
                }
                var heads = [Float](repeating: 0, count: rows * qW)
                q.withUnsafeBufferPointer { pq in keys.withUnsafeBufferPointer { pk in values.withUnsafeBufferPointer { pv in
                    heads.withUnsafeMutableBufferPointer { po in
                        // In the calling thread: `ResidentLlama.sample` runs one decoding task per core.
                        for s in 0..<rows {
                            attendPosition(q: pq.baseAddress! + s * qW, keys: pk.baseAddress! + s * capacity * kvW,
                                           values: pv.baseAddress! + s * capacity * kvW, out: po.baseAddress! + s * qW, position: p)
                        }
                    }
                } } }
                heads.withUnsafeBufferPointer { pa in
                    let hq = w.quantizedInputs(pa.baseAddress!, rows: rows, cols: qW, kinds: [.o])
                    withLayerInput(.o, pa.baseAddress!, hq) { input in
                        w[.o].data.withUnsafeBufferPointer { pw in
                            BLAS.gemm(.none, .transposed, m: rows, n: width, k: qW, a: input, lda: qW,
                                      b: pw.baseAddress!, ldb: qW, beta: 1, c: ph.baseAddress!, ldc: width)
                        }
                    }
                }
                w.postAttentionNorm.withUnsafeBufferPointer {
                    Kernels.rmsNorm(ph.baseAddress!, pn.baseAddress!, rows: rows, stride: width, weight: $0, eps: eps)
                }
                let down = mlp(pn.baseAddress!, rows: rows, weights: w, observer: nil)
                for i in 0..<(rows * width) { ph[i] += down[i] }
            }
        }
    }

    /// Every query head of one token at position `p` against keys and values 0...p of its sequence
    /// (rows `kvW` apart): per key/value head, the scores of the query heads that read it (one sgemm,
    /// scaled by 1/sqrt(d)), soft-maxed in Float after subtracting the maximum, and their product with
    /// the values (one sgemm) written to those heads' columns of `out`.
    private func attendPosition(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                out: UnsafeMutablePointer<Float>, position p: Int) {
        let c = config, d = c.headDim, kvW = c.keyValueWidth, group = c.numAttentionHeads / c.numKeyValueHeads
        let scale = 1 / Float(d).squareRoot(), n = p + 1
        var scores = [Float](repeating: 0, count: group * n)
        scores.withUnsafeMutableBufferPointer { ps in
            let s = ps.baseAddress!
            for g in 0..<c.numKeyValueHeads {
                BLAS.gemm(.none, .transposed, m: group, n: n, k: d, alpha: scale, a: q + g * group * d, lda: d,
                          b: keys + g * d, ldb: kvW, c: s, ldc: n)
                for r in 0..<group {  // every query head sees all n keys: the last row of a causal tile
                    Kernels.causalSoftmax(s + r * n, rows: 1, first: n - 1, keys: n, stride: n, scale: 1)
                }
                BLAS.gemm(.none, .none, m: group, n: d, k: n, a: s, lda: n, b: values + g * d, ldb: kvW,
                          c: out + g * group * d, ldc: d)
            }
        }
    }
}
