import TensorCore

/// Receives the input of a block's linear layers: the site, and the rows x cols input matrix
/// (row-major, one row per token) exactly as the layers at that site multiply it.
public typealias LinearInputObserver = (LinearInputSite, UnsafeBufferPointer<Float>, _ rows: Int, _ cols: Int) -> Void

/// Receives a linear layer's product: the layer, its input (rows x in) and its output x W^T (+ bias)
/// (rows x out, row-major), while both are alive. Reported for q, k, v (before Q/K norm and RoPE),
/// gate, up (before SwiGLU) and down; not for o, whose product is accumulated straight into the
/// residual stream.
public typealias LinearProductObserver = (LinearKind, _ input: UnsafeBufferPointer<Float>,
                                          _ output: UnsafeBufferPointer<Float>, _ rows: Int) -> Void

/// The Llama-family transformer (Llama, SmolLM, Mistral, Qwen2 with Q/K/V bias, Qwen3 with Q/K norms)
/// as pure functions of a configuration and weights, in the order attention, MLP, block, model.
///
/// Activations are row-major Float32 matrices with one row per token. A batch stacks `count`
/// sequences of equal length L: row r is token r % L of sequence r / L. Every projection is one
/// sgemm over all rows of the batch; attention scores are one sgemm per (sequence, head).
public struct LlamaArchitecture: Sendable {
    public let config: ModelConfig
    public let family: LlamaFamily
    public let ropeLayout: RopeLayout
    let rope: RotaryEmbedding

    /// Validates the configuration. Throws `LlamaError` for an unknown `model_type`, head counts
    /// that do not divide, an odd head width or non-positive sizes.
    public init(config: ModelConfig, ropeLayout: RopeLayout) throws {
        HeapTuning.applyOnce()
        guard let family = LlamaFamily(rawValue: config.modelType) else {
            throw LlamaError.unsupportedModelType(config.modelType)
        }
        let positive: [(String, Int)] = [
            ("hidden_size", config.hiddenSize), ("num_hidden_layers", config.numHiddenLayers),
            ("num_attention_heads", config.numAttentionHeads), ("num_key_value_heads", config.numKeyValueHeads),
            ("head_dim", config.headDim), ("intermediate_size", config.intermediateSize),
            ("vocab_size", config.vocabSize)]
        for (field, value) in positive where value <= 0 {
            throw LlamaError.unsupportedConfig(field: field, value: value, reason: "must be positive")
        }
        if config.hiddenSize % config.numAttentionHeads != 0
            && config.headDim == config.hiddenSize / config.numAttentionHeads {
            throw LlamaError.unsupportedConfig(
                field: "num_attention_heads", value: config.numAttentionHeads,
                reason: "does not divide hidden_size \(config.hiddenSize) and no head_dim is given")
        }
        if config.numAttentionHeads % config.numKeyValueHeads != 0 {
            throw LlamaError.unsupportedConfig(
                field: "num_key_value_heads", value: config.numKeyValueHeads,
                reason: "does not divide num_attention_heads \(config.numAttentionHeads)")
        }
        if config.headDim % 2 != 0 {
            throw LlamaError.unsupportedConfig(field: "head_dim", value: config.headDim,
                                               reason: "RoPE needs an even head width")
        }
        self.config = config
        self.family = family
        self.ropeLayout = ropeLayout
        var rope = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta, layout: ropeLayout)
        rope.reserve(min(max(config.maxPositionEmbeddings, 1), 4096))
        self.rope = rope
    }

    // MARK: Attention

    /// Query rows per attention tile.
    static let queryTile = 128

    /// Grouped-query causal self-attention of RMSNorm'd inputs `x` (rows x hidden); returns the
    /// concatenated head outputs (rows x heads*d), before the output projection.
    ///
    /// Query head h reads key/value head h / (heads / kvHeads). Scores are scaled by 1/sqrt(d) and
    /// soft-maxed in Float after subtracting the row maximum.
    func attention(_ x: UnsafePointer<Float>, rows: Int, sequenceLength L: Int,
                   weights w: LlamaBlockWeights, products: LinearProductObserver? = nil) -> [Float] {
        let c = config
        let xq = w.quantizedInputs(x, rows: rows, cols: c.hiddenSize, kinds: [.q, .k, .v])
        var q = withLayerInput(.q, x, xq) { project($0, rows: rows, w[.q], bias: w.qBias) }
        var k = withLayerInput(.k, x, xq) { project($0, rows: rows, w[.k], bias: w.kBias) }
        let v = withLayerInput(.v, x, xq) { project($0, rows: rows, w[.v], bias: w.vBias) }
        if let products {
            for (kind, y) in [(LinearKind.q, q), (.k, k), (.v, v)] {
                withLayerInput(kind, x, xq) { input in
                    y.withUnsafeBufferPointer { products(kind, UnsafeBufferPointer(start: input, count: rows * w[kind].cols), $0, rows) }
                }
            }
        }
        let table = rope.positions >= L ? rope : { var r = rope; r.reserve(L); return r }()
        normAndRotate(&q, rows: rows, heads: c.numAttentionHeads, norm: w.qNorm) {
            table.apply($0, rows: rows, heads: $1, sequenceLength: L)
        }
        normAndRotate(&k, rows: rows, heads: c.numKeyValueHeads, norm: w.kNorm) {
            table.apply($0, rows: rows, heads: $1, sequenceLength: L)
        }
        // Every element is written by a head's product below.
        var out = [Float](unsafeUninitializedCapacity: rows * c.queryWidth) { _, n in n = rows * c.queryWidth }
        let heads = c.numAttentionHeads
        q.withUnsafeBufferPointer { pq in k.withUnsafeBufferPointer { pk in v.withUnsafeBufferPointer { pv in
            out.withUnsafeMutableBufferPointer { po in
                // One single-threaded task per (sequence, head): the products are small (a 128-row tile
                // against at most L keys of width d), so both cores run whole heads side by side.
                let (q, k, v, o) = (SharedBuffer(pq), SharedBuffer(pk), SharedBuffer(pv), SharedBuffer(po))
                parallelFor((rows / L) * heads, blasThreadsPerTask: 1) { task in
                    attendHead(q: q.base, k: k.base, v: v.base, out: o.base,
                               sequence: task / heads, head: task % heads, sequenceLength: L)
                }
            }
        } } }
        return out
    }

    /// Qwen3's per-head RMSNorm of Q or K (when `norm` is given), then RoPE by `rotate` (given the
    /// buffer and `heads`), of `rows` rows of `heads` heads of width head_dim, in place.
    func normAndRotate(_ x: inout [Float], rows: Int, heads: Int, norm: [Float]?,
                       rotate: (UnsafeMutablePointer<Float>, _ heads: Int) -> Void) {
        x.withUnsafeMutableBufferPointer { px in
            if let norm { norm.withUnsafeBufferPointer {
                Kernels.rmsNorm(px.baseAddress!, px.baseAddress!, rows: rows * heads, stride: config.headDim, weight: $0,
                                eps: Float(config.rmsNormEps))
            } }
            rotate(px.baseAddress!, heads)
        }
    }

    /// Causal attention of query head `head` of sequence `sequence`: for each tile of `queryTile`
    /// query rows, scores against the keys up to the tile's last position (one sgemm), a causal
    /// softmax of the scores scaled by 1/sqrt(d), and their product with V (one sgemm) written to the
    /// head's columns of `out`. Query tiles only meet keys up to their last position, halving the work.
    /// - Complexity: about 2 L^2 d flops.
    private func attendHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            out: UnsafeMutablePointer<Float>, sequence s: Int, head h: Int, sequenceLength L: Int) {
        let c = config, d = c.headDim, qW = c.queryWidth, kvW = c.keyValueWidth
        let kvh = h / (c.numAttentionHeads / c.numKeyValueHeads)
        let scale = 1 / Float(d).squareRoot()
        let kh = k + s * L * kvW + kvh * d, vh = v + s * L * kvW + kvh * d
        var scores = [Float](unsafeUninitializedCapacity: min(L, Self.queryTile) * L) { _, n in
            n = min(L, Self.queryTile) * L
        }
        scores.withUnsafeMutableBufferPointer { ps in
            for first in Swift.stride(from: 0, to: L, by: Self.queryTile) {
                let m = min(Self.queryTile, L - first), keys = first + m
                // The scale rides on the product (alpha): one rounding of sum x scale, as scaling afterwards.
                BLAS.gemm(.none, .transposed, m: m, n: keys, k: d, alpha: scale, a: q + (s * L + first) * qW + h * d,
                          lda: qW, b: kh, ldb: kvW, c: ps.baseAddress!, ldc: L)
                Kernels.causalSoftmax(ps.baseAddress!, rows: m, first: first, keys: keys, stride: L, scale: 1)
                BLAS.gemm(.none, .none, m: m, n: d, k: keys, a: ps.baseAddress!, lda: L, b: vh, ldb: kvW,
                          c: out + (s * L + first) * qW + h * d, ldc: qW)
            }
        }
    }

    /// x W^T (+ bias) for a rows x in input: one sgemm. - Complexity: 2 rows out in flops.
    func project(_ x: UnsafePointer<Float>, rows: Int, _ w: Matrix, bias: [Float]? = nil) -> [Float] {
        var y = [Float](unsafeUninitializedCapacity: rows * w.rows) { _, n in n = rows * w.rows }
        y.withUnsafeMutableBufferPointer { py in
            w.data.withUnsafeBufferPointer { pw in
                BLAS.gemm(.none, .transposed, m: rows, n: w.rows, k: w.cols, a: x, lda: w.cols,
                          b: pw.baseAddress!, ldb: w.cols, c: py.baseAddress!, ldc: w.rows)
            }
            if let bias { Kernels.addBias(py.baseAddress!, rows: rows, bias: bias) }
        }
        return y
    }

    // MARK: MLP

    /// SwiGLU MLP input -> down(silu(gate x) * up x); `observer` sees the down projection's input.
    func mlp(_ x: UnsafePointer<Float>, rows: Int, weights w: LlamaBlockWeights,
             observer: LinearInputObserver?, products: LinearProductObserver? = nil) -> [Float] {
        let xq = w.quantizedInputs(x, rows: rows, cols: config.hiddenSize, kinds: [.gate, .up])
        var gate = withLayerInput(.gate, x, xq) { project($0, rows: rows, w[.gate]) }
        let up = withLayerInput(.up, x, xq) { project($0, rows: rows, w[.up]) }
        let inter = config.intermediateSize
        if let products {
            for (kind, y) in [(LinearKind.gate, gate), (.up, up)] {
                withLayerInput(kind, x, xq) { input in
                    y.withUnsafeBufferPointer { products(kind, UnsafeBufferPointer(start: input, count: rows * w[kind].cols), $0, rows) }
                }
            }
        }
        return gate.withUnsafeMutableBufferPointer { pg in
            up.withUnsafeBufferPointer { Kernels.parallelSwiGLU(pg.baseAddress!, $0.baseAddress!, count: rows * inter) }
            observer?(.mlpHidden, UnsafeBufferPointer(pg), rows, inter)
            let hq = w.quantizedInputs(pg.baseAddress!, rows: rows, cols: inter, kinds: [.down])
            return withLayerInput(.down, pg.baseAddress!, hq) { input in
                let down = project(input, rows: rows, w[.down])
                down.withUnsafeBufferPointer { products?(.down, UnsafeBufferPointer(start: input, count: rows * inter), $0, rows) }
                return down
            }
        }
    }

    // MARK: Block

    /// One transformer block in place on `hidden` (rows = sequences x L, hidden wide):
    /// h += o(attention(norm1(h))); h += mlp(norm2(h)). `observer` sees the four linear inputs,
    /// `products` the products of every layer but o (see `LinearProductObserver`).
    ///
    /// - Complexity: 2 x rows x (the block's linear parameters) flops for the projections plus
    ///   4 x rows x L x head_dim x heads for attention scores and their product with V.
    public func forwardBlock(weights w: LlamaBlockWeights, hidden: inout Matrix, sequenceLength L: Int,
                             observer: LinearInputObserver? = nil, products: LinearProductObserver? = nil) {
        let c = config, rows = hidden.rows, width = c.hiddenSize
        precondition(hidden.cols == width && L > 0 && rows % L == 0, "hidden must be (sequences x L) x hidden")
        let eps = Float(c.rmsNormEps)
        var normed = [Float](unsafeUninitializedCapacity: rows * width) { _, n in n = rows * width }  // RMSNorm writes all
        hidden.data.withUnsafeMutableBufferPointer { ph in
            normed.withUnsafeMutableBufferPointer { pn in
                w.inputNorm.withUnsafeBufferPointer {
                    Kernels.rmsNorm(ph.baseAddress!, pn.baseAddress!, rows: rows, stride: width, weight: $0, eps: eps)
                }
                observer?(.attentionInput, UnsafeBufferPointer(pn), rows, width)
                let heads = attention(pn.baseAddress!, rows: rows, sequenceLength: L, weights: w, products: products)
                heads.withUnsafeBufferPointer { pa in
                    observer?(.attentionOutput, pa, rows, c.queryWidth)
                    let hq = w.quantizedInputs(pa.baseAddress!, rows: rows, cols: c.queryWidth, kinds: [.o])
                    withLayerInput(.o, pa.baseAddress!, hq) { input in
                        w[.o].data.withUnsafeBufferPointer { pw in
                            BLAS.gemm(.none, .transposed, m: rows, n: width, k: c.queryWidth, a: input,
                                      lda: c.queryWidth, b: pw.baseAddress!, ldb: c.queryWidth, beta: 1,
                                      c: ph.baseAddress!, ldc: width)
                        }
                    }
                }
                w.postAttentionNorm.withUnsafeBufferPointer {
                    Kernels.rmsNorm(ph.baseAddress!, pn.baseAddress!, rows: rows, stride: width, weight: $0, eps: eps)
                }
                observer?(.mlpInput, UnsafeBufferPointer(pn), rows, width)
                let down = mlp(pn.baseAddress!, rows: rows, weights: w, observer: observer, products: products)
                for i in 0..<(rows * width) { ph[i] += down[i] }
            }
        }
    }

    // MARK: Model

    /// Embedding rows of `tokens` (tokens.count x hidden). Throws for an id outside the vocabulary.
    public func embed(_ tokens: [Int], head: LlamaHeadWeights) throws -> Matrix {
        let width = config.hiddenSize
        var out = Matrix(rows: tokens.count, cols: width)
        for (r, t) in tokens.enumerated() {
            guard t >= 0 && t < head.embedding.rows else {
                throw LlamaError.tokenOutOfRange(token: t, vocabSize: head.embedding.rows)
            }
            out.data.replaceSubrange((r * width)..<((r + 1) * width),
                                     with: head.embedding.data[(t * width)..<((t + 1) * width)])
        }
        return out
    }

    /// Logits (selected rows x vocab) of the final hidden states: final RMSNorm of the rows in
    /// `rows` (all when nil), then one sgemm against the LM head (or the tied embedding).
    /// - Complexity: 2 rows hidden vocab flops.
    public func logits(_ hidden: Matrix, head: LlamaHeadWeights, rows selected: [Int]? = nil) -> Matrix {
        let width = config.hiddenSize
        let picked = selected ?? Array(0..<hidden.rows)
        var normed = Matrix(rows: picked.count, cols: width)
        hidden.data.withUnsafeBufferPointer { ph in
            normed.data.withUnsafeMutableBufferPointer { pn in
                head.finalNorm.withUnsafeBufferPointer { pw in
                    for (i, r) in picked.enumerated() {
                        precondition(r >= 0 && r < hidden.rows, "row \(r) outside the hidden states")
                        Kernels.rmsNorm(ph.baseAddress! + r * width, pn.baseAddress! + i * width, rows: 1,
                                        stride: width, weight: pw, eps: Float(config.rmsNormEps))
                    }
                }
            }
        }
        return BLAS.linear(normed, head.outputProjection)
    }
}
