import Model
import TensorCore

/// The loss and weight gradients of one block-wise SignRound step.
struct BlockStepGradients {
    /// The step's loss over the whole minibatch (`BlockLoss.weightedSquaredError`).
    var loss: Double
    /// dL/dQ of every linear layer (out x in), summed over the minibatch's windows.
    var weights: [LinearKind: Matrix]
    /// dL/d(norm weights) summed over the minibatch's windows, when `tunesNorms` (else nil).
    var norms: BlockNormGradients?
}

extension BlockTuner {
    /// One step's loss and dL/dQ on the windows `picked`: each window's forward (keeping its
    /// internals) and reverse pass runs as its own task with single-threaded products, so the cores
    /// work on separate windows instead of splitting each 576-wide product (whose hand-offs cost
    /// more than they save at this size); the windows' gradients are then summed in window order,
    /// so the result does not depend on scheduling. The loss is normalized by the whole minibatch's
    /// element count, so it and its gradient equal those of the minibatch taken at once (up to
    /// Float summation order).
    /// - Complexity: per window one block forward and a reverse pass (about 3 forwards) on L tokens.
    func stepGradients(weights current: LlamaBlockWeights, inputs: Matrix, targets: Matrix, rowWeights: [Float],
                       picked: [Int]) -> BlockStepGradients {
        let L = sequenceLength, width = inputs.cols, arch = architecture
        let window: @Sendable (Int) -> Range<Int> = { s in (s * L)..<((s + 1) * L) }
        let wanting: Set<GradientKind> = tunesNorms ? [.weight, .norms] : [.weight]
        let elements = picked.reduce(0) { n, s in n + rowWeights[window(s)].filter { $0 != 0 }.count } * width
        var parts = [(Double, BlockGradients)?](repeating: nil, count: picked.count)
        parts.withUnsafeMutableBufferPointer { buffer in
            let out = SharedBuffer(buffer)
            parallelFor(picked.count, blasThreadsPerTask: picked.count > 1 ? 1 : nil) { i in
                let rows = window(picked[i])
                let tape = arch.forwardKeepingActivations(weights: current, input: inputs.rows(rows), sequenceLength: L)
                let (loss, dY) = BlockLoss.weightedSquaredError(tape.output, targets.rows(rows), rowWeights: Array(rowWeights[rows]),
                                                                elements: elements)
                out[i] = (loss, arch.backwardBlock(tape: tape, sequenceLength: L, dOutput: dY, wanting: wanting))
            }
        }
        var loss = 0.0
        var sums: [LinearKind: Matrix] = [:]
        var norms: BlockNormGradients?
        for part in parts {
            let (l, g) = part!
            loss += l
            if tunesNorms {
                if norms == nil { norms = g.norms } else { norms!.add(g.norms) }
            }
            for (kind, layer) in g.layers {
                guard let dW = layer.weight else { continue }
                guard sums[kind] != nil else { sums[kind] = dW; continue }
                sums[kind]!.data.withUnsafeMutableBufferPointer { pa in dW.data.withUnsafeBufferPointer { pd in
                    VectorOps.addScaled(1, pd.baseAddress!, into: pa.baseAddress!, count: pa.count)
                } }
            }
        }
        return BlockStepGradients(loss: loss, weights: sums, norms: norms)
    }
}
