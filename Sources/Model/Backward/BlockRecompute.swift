import TensorCore

/// The internals of one block's forward pass that its reverse pass reads, recomputed from the
/// block's input (activation recomputation). All buffers are row-major with one row per token.
struct BlockActivations: Sendable {
    /// Block input h0 (rows x hidden).
    var input: [Float]
    /// input_layernorm(h0): the input of q, k, v (rows x hidden).
    var attentionInput: [Float]
    /// Q and K as projected (after bias, before Qwen3's head norm and RoPE), kept for Qwen3 only.
    var qProjected: [Float]?, kProjected: [Float]?
    /// Q and K after head norm and RoPE, as the scores read them (rows x heads*d, rows x kvHeads*d).
    var q: [Float], k: [Float]
    /// V (rows x kvHeads*d).
    var v: [Float]
    /// Concatenated attention heads: the input of o (rows x heads*d).
    var heads: [Float]
    /// h1 = h0 + o(heads) (rows x hidden).
    var afterAttention: [Float]
    /// post_attention_layernorm(h1): the input of gate and up.
    var mlpInput: [Float]
    /// Gate and up projections before the activation (rows x intermediate).
    var gate: [Float], up: [Float]
    /// silu(gate) * up: the input of down.
    var mlpHidden: [Float]
    /// The quantized inputs of activation-quantized layers (`LlamaBlockWeights.inputQuantizers`):
    /// what those layers multiply instead of their site's input. Empty for weight-only blocks.
    var quantizedInputs: [LinearKind: [Float]] = [:]

    /// The input layer `kind` multiplies: its quantized copy, or its site's input.
    func input(of kind: LinearKind) -> [Float] {
        if let q = quantizedInputs[kind] { return q }
        switch kind.inputSite {
        case .attentionInput: return attentionInput
        case .attentionOutput: return heads
        case .mlpInput: return mlpInput
        case .mlpHidden: return mlpHidden
        }
    }
}

extension LlamaArchitecture {
    /// A RoPE table covering `L` positions.
    func ropeTable(_ L: Int) -> RotaryEmbedding {
        rope.positions >= L ? rope : { var r = rope; r.reserve(L); return r }()
    }

    /// Projects Q or K, applies Qwen3's per-head norm (if `norm`) and RoPE; returns (projected, rotated).
    private func rotated(_ x: UnsafePointer<Float>, rows: Int, L: Int, weight: Matrix, bias: [Float]?,
                         norm: [Float]?, heads: Int) -> (projected: [Float]?, rotated: [Float]) {
        let projected = project(x, rows: rows, weight, bias: bias)
        var out = projected
        out.withUnsafeMutableBufferPointer { p in
            if let norm {
                norm.withUnsafeBufferPointer {
                    Kernels.rmsNorm(p.baseAddress!, p.baseAddress!, rows: rows * heads, stride: config.headDim,
                                    weight: $0, eps: Float(config.rmsNormEps))
                }
            }
            ropeTable(L).apply(p.baseAddress!, rows: rows, heads: heads, sequenceLength: L)
        }
        return (norm == nil ? nil : projected, out)
    }

    /// Causal attention of rotated Q/K and V: heads output (rows x heads*d), computed as the forward
    /// pass does (query tiles of `queryTile` rows meeting only the keys up to their last position).
    /// - Complexity: at most 4 rows L d heads flops.
    func attend(q: [Float], k: [Float], v: [Float], rows: Int, L: Int) -> [Float] {
        let c = config, d = c.headDim, qW = c.queryWidth, kvW = c.keyValueWidth
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let scale = 1 / Float(d).squareRoot()
        var out = [Float](repeating: 0, count: rows * qW)
        var scores = [Float](repeating: 0, count: min(L, Self.queryTile) * L)
        q.withUnsafeBufferPointer { pq in k.withUnsafeBufferPointer { pk in v.withUnsafeBufferPointer { pv in
            out.withUnsafeMutableBufferPointer { po in scores.withUnsafeMutableBufferPointer { ps in
                for s in 0..<(rows / L) {
                    for h in 0..<c.numAttentionHeads {
                        let kv = s * L * kvW + (h / group) * d
                        for first in Swift.stride(from: 0, to: L, by: Self.queryTile) {
                            let m = min(Self.queryTile, L - first), keys = first + m
                            let qo = (s * L + first) * qW + h * d
                            BLAS.gemm(.none, .transposed, m: m, n: keys, k: d, a: pq.baseAddress! + qo, lda: qW,
                                      b: pk.baseAddress! + kv, ldb: kvW, c: ps.baseAddress!, ldc: L)
                            Kernels.causalSoftmax(ps.baseAddress!, rows: m, first: first, keys: keys, stride: L, scale: scale)
                            BLAS.gemm(.none, .none, m: m, n: d, k: keys, a: ps.baseAddress!, lda: L,
                                      b: pv.baseAddress! + kv, ldb: kvW, c: po.baseAddress! + qo, ldc: qW)
                        }
                    }
                }
            } }
        } } }
        return out
    }

    /// Recomputes a block's forward pass from its input `hidden` (rows x hidden, rows = sequences x L),
    /// keeping every internal the reverse pass needs.
    /// - Complexity: the forward block's flops (projections, full-square attention scores).
    func recompute(weights w: LlamaBlockWeights, input hidden: Matrix, sequenceLength L: Int) -> BlockActivations {
        let c = config, rows = hidden.rows, width = c.hiddenSize, eps = Float(c.rmsNormEps)
        func normed(_ x: [Float], _ weight: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in weight.withUnsafeBufferPointer {
                Kernels.rmsNorm(px.baseAddress!, py.baseAddress!, rows: rows, stride: width, weight: $0, eps: eps)
            } } }
            return y
        }
        let a = normed(hidden.data, w.inputNorm)
        var quantized: [LinearKind: [Float]] = [:]
        let (qp, q, kp, k, v) = a.withUnsafeBufferPointer { pa in
            let xq = w.quantizedInputs(pa.baseAddress!, rows: rows, cols: width, kinds: [.q, .k, .v])
            quantized.merge(xq) { a, _ in a }
            let q = withLayerInput(.q, pa.baseAddress!, xq) {
                rotated($0, rows: rows, L: L, weight: w[.q], bias: w.qBias, norm: w.qNorm, heads: c.numAttentionHeads)
            }
            let k = withLayerInput(.k, pa.baseAddress!, xq) {
                rotated($0, rows: rows, L: L, weight: w[.k], bias: w.kBias, norm: w.kNorm, heads: c.numKeyValueHeads)
            }
            return (q.projected, q.rotated, k.projected, k.rotated,
                    withLayerInput(.v, pa.baseAddress!, xq) { project($0, rows: rows, w[.v], bias: w.vBias) })
        }
        let heads = attend(q: q, k: k, v: v, rows: rows, L: L)
        var h1 = hidden.data
        heads.withUnsafeBufferPointer { pa in h1.withUnsafeMutableBufferPointer { ph in w[.o].data.withUnsafeBufferPointer { pw in
            let hq = w.quantizedInputs(pa.baseAddress!, rows: rows, cols: c.queryWidth, kinds: [.o])
            quantized.merge(hq) { a, _ in a }
            withLayerInput(.o, pa.baseAddress!, hq) {
                BLAS.gemm(.none, .transposed, m: rows, n: width, k: c.queryWidth, a: $0, lda: c.queryWidth,
                          b: pw.baseAddress!, ldb: c.queryWidth, beta: 1, c: ph.baseAddress!, ldc: width)
            }
        } } }
        let m = normed(h1, w.postAttentionNorm)
        let (gate, up) = m.withUnsafeBufferPointer { pm in
            let mq = w.quantizedInputs(pm.baseAddress!, rows: rows, cols: width, kinds: [.gate, .up])
            quantized.merge(mq) { a, _ in a }
            return (withLayerInput(.gate, pm.baseAddress!, mq) { project($0, rows: rows, w[.gate]) },
                    withLayerInput(.up, pm.baseAddress!, mq) { project($0, rows: rows, w[.up]) })
        }
        var act = gate
        act.withUnsafeMutableBufferPointer { pg in up.withUnsafeBufferPointer {
            Kernels.swiGLU(pg.baseAddress!, $0.baseAddress!, count: pg.count)
        } }
        act.withUnsafeBufferPointer { pg in
            quantized.merge(w.quantizedInputs(pg.baseAddress!, rows: rows, cols: c.intermediateSize, kinds: [.down])) { a, _ in a }
        }
        return BlockActivations(input: hidden.data, attentionInput: a, qProjected: qp, kProjected: kp, q: q, k: k,
                                v: v, heads: heads, afterAttention: h1, mlpInput: m, gate: gate, up: up, mlpHidden: act,
                                quantizedInputs: quantized)
    }
}
