import TensorCore

extension LlamaArchitecture {
    /// The reverse pass of one transformer block: given the block's input (rows x hidden, rows =
    /// sequences x L) and dL/d(block output), returns dL/d(block input) and the gradients of its
    /// linear layers (and norms when `.norms` is wanted).
    ///
    /// The block's internals are recomputed from `input` first, so nothing from the forward pass but
    /// the input is kept. Residuals pass the gradient through unchanged; RMSNorm, SwiGLU, RoPE (both
    /// layouts, by the transposed rotation), Qwen3's head norms, Qwen2's biases and grouped-query
    /// attention (K/V gradients summed over the query heads sharing them) are differentiated exactly.
    /// An activation-quantized layer (`LlamaBlockWeights.inputQuantizers`) multiplies its quantized
    /// input: dW = dY^T Q(X), and dX = dY W passes through Q as the identity (straight-through).
    /// `windows` labels the deliveries (default: 0..<sequences).
    ///
    /// - Complexity: about 3x the forward block's flops (recompute, dX = dY W, dW = dY^T X; the last
    ///   is skipped unless `.weight` is wanted), attention backward 6 full L x L sgemms per head.
    public func backwardBlock(weights w: LlamaBlockWeights, input: Matrix, sequenceLength L: Int,
                              dOutput: Matrix, wanting: Set<GradientKind>, windows: Range<Int>? = nil) -> BlockGradients {
        let c = config, rows = input.rows, width = c.hiddenSize
        precondition(input.cols == width && L > 0 && rows % L == 0, "input must be (sequences x L) x hidden")
        precondition(dOutput.rows == rows && dOutput.cols == width, "dOutput must match the input's shape")
        return backwardBlock(weights: w, activations: recompute(weights: w, input: input, sequenceLength: L),
                             sequenceLength: L, dOutput: dOutput, wanting: wanting, windows: windows)
    }

    /// The reverse pass from a forward pass's kept internals (`BlockTape`): the same gradients as
    /// `backwardBlock(weights:input:...)` without recomputing the forward.
    public func backwardBlock(tape: BlockTape, sequenceLength L: Int, dOutput: Matrix,
                              wanting: Set<GradientKind>) -> BlockGradients {
        precondition(dOutput.rows == tape.output.rows && dOutput.cols == tape.output.cols, "dOutput must match the output's shape")
        return backwardBlock(weights: tape.weights, activations: tape.activations, sequenceLength: L, dOutput: dOutput,
                             wanting: wanting, windows: nil)
    }

    private func backwardBlock(weights w: LlamaBlockWeights, activations act: BlockActivations, sequenceLength L: Int,
                               dOutput: Matrix, wanting: Set<GradientKind>, windows: Range<Int>?) -> BlockGradients {
        let c = config, width = c.hiddenSize, rows = act.input.count / width
        let context = LinearBackwardContext(rows: rows, wanting: wanting, windows: windows ?? 0..<(rows / L))
        var layers: [LinearKind: LayerGradients] = [:]
        var norms = BlockNormGradients(inputNorm: [], postAttentionNorm: [])
        let wantNorms = wanting.contains(.norms)

        // MLP: h2 = h1 + down(silu(gate m) * up m), m = norm2(h1).
        var dAct = [Float](repeating: 0, count: rows * c.intermediateSize)
        layers[.down] = context.backward(dY: dOutput.data, x: act.input(of: .down), weight: w[.down], hasBias: false,
                                         dX: &dAct, accumulate: false)
        var dGate = dAct, dUp = dAct
        act.gate.withUnsafeBufferPointer { pg in act.up.withUnsafeBufferPointer { pu in dAct.withUnsafeBufferPointer { pd in
            dGate.withUnsafeMutableBufferPointer { dg in dUp.withUnsafeMutableBufferPointer { du in
                BackwardKernels.swiGLUBackward(gate: pg.baseAddress!, up: pu.baseAddress!, dAct: pd.baseAddress!,
                                               dGate: dg.baseAddress!, dUp: du.baseAddress!, count: pg.count)
            } }
        } } }
        var dm = [Float](repeating: 0, count: rows * width)
        layers[.gate] = context.backward(dY: dGate, x: act.input(of: .gate), weight: w[.gate], hasBias: false, dX: &dm, accumulate: false)
        layers[.up] = context.backward(dY: dUp, x: act.input(of: .up), weight: w[.up], hasBias: false, dX: &dm, accumulate: true)
        var dh1 = dOutput.data
        norms.postAttentionNorm = normBackward(x: act.afterAttention, dy: dm, dx: &dh1, rows: rows,
                                               weight: w.postAttentionNorm, wantWeight: wantNorms)

        // Attention: h1 = h0 + o(attention(q, k, v)), q/k/v of a = norm1(h0).
        var dHeads = [Float](repeating: 0, count: rows * c.queryWidth)
        layers[.o] = context.backward(dY: dh1, x: act.input(of: .o), weight: w[.o], hasBias: false, dX: &dHeads, accumulate: false)
        var (dq, dk, dv) = attentionBackward(act, dHeads: dHeads, rows: rows, L: L)
        let table = ropeTable(L)
        dq.withUnsafeMutableBufferPointer { table.apply($0.baseAddress!, rows: rows, heads: c.numAttentionHeads, sequenceLength: L, transposed: true) }
        dk.withUnsafeMutableBufferPointer { table.apply($0.baseAddress!, rows: rows, heads: c.numKeyValueHeads, sequenceLength: L, transposed: true) }
        if let qn = w.qNorm, let qp = act.qProjected {
            norms.qNorm = headNormBackward(x: qp, dy: &dq, rows: rows * c.numAttentionHeads, weight: qn, wantWeight: wantNorms)
        }
        if let kn = w.kNorm, let kp = act.kProjected {
            norms.kNorm = headNormBackward(x: kp, dy: &dk, rows: rows * c.numKeyValueHeads, weight: kn, wantWeight: wantNorms)
        }
        var da = [Float](repeating: 0, count: rows * width)
        layers[.q] = context.backward(dY: dq, x: act.input(of: .q), weight: w[.q], hasBias: w.qBias != nil, dX: &da, accumulate: false)
        layers[.k] = context.backward(dY: dk, x: act.input(of: .k), weight: w[.k], hasBias: w.kBias != nil, dX: &da, accumulate: true)
        layers[.v] = context.backward(dY: dv, x: act.input(of: .v), weight: w[.v], hasBias: w.vBias != nil, dX: &da, accumulate: true)
        var dh0 = dh1
        norms.inputNorm = normBackward(x: act.input, dy: da, dx: &dh0, rows: rows, weight: w.inputNorm, wantWeight: wantNorms)
        return BlockGradients(input: Matrix(rows: rows, cols: width, data: dh0), layers: layers, norms: norms)
    }

    /// Adds the reverse of a hidden-wide RMSNorm to `dx`; returns the weight gradient ([] if not wanted).
    private func normBackward(x: [Float], dy: [Float], dx: inout [Float], rows: Int, weight: [Float],
                              wantWeight: Bool) -> [Float] {
        var dWeight = [Float](repeating: 0, count: wantWeight ? weight.count : 0)
        x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pd in dx.withUnsafeMutableBufferPointer { pdx in
            weight.withUnsafeBufferPointer { pw in dWeight.withUnsafeMutableBufferPointer { pdw in
                BackwardKernels.rmsNormBackward(px.baseAddress!, pd.baseAddress!, pdx.baseAddress!, rows: rows,
                                                stride: weight.count, weight: pw, eps: Float(config.rmsNormEps),
                                                dWeight: wantWeight ? pdw.baseAddress! : nil, accumulate: true)
            } }
        } } }
        return dWeight
    }

    /// Replaces `dy` (gradient after a per-head RMSNorm of width head_dim) by the gradient before it.
    private func headNormBackward(x: [Float], dy: inout [Float], rows: Int, weight: [Float], wantWeight: Bool) -> [Float] {
        let g = dy
        var zero = [Float](repeating: 0, count: dy.count)
        let dWeight = normBackward(x: x, dy: g, dx: &zero, rows: rows, weight: weight, wantWeight: wantWeight)
        dy = zero
        return dWeight
    }
}

/// The shared settings of a block's linear-layer reverse passes.
struct LinearBackwardContext {
    let rows: Int
    let wanting: Set<GradientKind>
    let windows: Range<Int>

    /// For y = x W^T (+ b): dX (+)= dY W (one sgemm), and as wanted dW = dY^T X (one sgemm),
    /// db = column sums of dY, copies of dY and X.
    /// - Complexity: 2 rows out in flops for dX, as many again for dW.
    func backward(dY: [Float], x: [Float], weight: Matrix, hasBias: Bool, dX: inout [Float],
                  accumulate: Bool) -> LayerGradients {
        let out = weight.rows, inWidth = weight.cols
        precondition(dY.count == rows * out && x.count == rows * inWidth && dX.count == rows * inWidth,
                     "linear backward buffers do not match \(rows) x \(out) x \(inWidth)")
        var result = LayerGradients(weight: nil, bias: nil, outputGradient: nil, input: nil, windows: windows)
        dY.withUnsafeBufferPointer { pdy in
            weight.data.withUnsafeBufferPointer { pw in dX.withUnsafeMutableBufferPointer { pdx in
                BLAS.gemm(.none, .none, m: rows, n: inWidth, k: out, a: pdy.baseAddress!, lda: out,
                          b: pw.baseAddress!, ldb: inWidth, beta: accumulate ? 1 : 0, c: pdx.baseAddress!, ldc: inWidth)
            } }
            if wanting.contains(.weight) {
                var dW = Matrix(rows: out, cols: inWidth)
                x.withUnsafeBufferPointer { px in dW.data.withUnsafeMutableBufferPointer { pdw in
                    BLAS.gemm(.transposed, .none, m: out, n: inWidth, k: rows, a: pdy.baseAddress!, lda: out,
                              b: px.baseAddress!, ldb: inWidth, c: pdw.baseAddress!, ldc: inWidth)
                } }
                result.weight = dW
                if hasBias { result.bias = BackwardKernels.columnSums(pdy.baseAddress!, rows: rows, cols: out) }
            }
        }
        if wanting.contains(.outputGradient) { result.outputGradient = Matrix(rows: rows, cols: out, data: dY) }
        if wanting.contains(.input) { result.input = Matrix(rows: rows, cols: inWidth, data: x) }
        return result
    }
}
