import TensorCore

/// One block's forward pass with the internals its reverse pass reads kept (the block output plus
/// about 6 hidden-wide and 3 intermediate-wide Floats per token), so that a training step runs the
/// forward once instead of again inside `backwardBlock`.
public struct BlockTape: Sendable {
    /// The block's output h2 = h1 + down(silu(gate m) * up m) (rows x hidden).
    public let output: Matrix
    let weights: LlamaBlockWeights
    let activations: BlockActivations
}

extension LlamaArchitecture {
    /// The block's forward pass on `input` (rows = sequences x L) keeping its internals; the output
    /// equals `forwardBlock`'s up to Float summation order.
    /// - Complexity: the forward block's flops.
    public func forwardKeepingActivations(weights w: LlamaBlockWeights, input: Matrix, sequenceLength L: Int) -> BlockTape {
        let c = config, rows = input.rows, width = c.hiddenSize
        precondition(input.cols == width && L > 0 && rows % L == 0, "input must be (sequences x L) x hidden")
        let act = recompute(weights: w, input: input, sequenceLength: L)
        var out = act.afterAttention
        act.input(of: .down).withUnsafeBufferPointer { pa in out.withUnsafeMutableBufferPointer { po in
            w[.down].data.withUnsafeBufferPointer { pw in
                BLAS.gemm(.none, .transposed, m: rows, n: width, k: c.intermediateSize, a: pa.baseAddress!,
                          lda: c.intermediateSize, b: pw.baseAddress!, ldb: c.intermediateSize, beta: 1,
                          c: po.baseAddress!, ldc: width)
            }
        } }
        return BlockTape(output: Matrix(rows: rows, cols: width, data: out), weights: w, activations: act)
    }
}
