import TensorCore
import TestSupport
@testable import Quant
@testable import Model
import XCTest

/// One block-wise step computed window by window (`BlockTuner.stepGradients`, each window on its own
/// core) against the same step on the whole minibatch at once: equal loss and dL/dW, for both losses.
final class BlockStepGradientsTests: XCTestCase {
    func testPerWindowStepEqualsWholeMinibatch() throws {
        let c = TinyLlama.config()
        let model = try LlamaModel(config: c, source: TinyLlama.tensors(c, seed: 5), ropeLayout: .adjacentPairs)
        let arch = model.architecture, L = 9
        let windows = (0..<4).map { TinyLlama.tokens(L, vocab: c.vocabSize, seed: 30 + UInt64($0)) }
        let w = try model.loadBlock(0)
        let inputs = try arch.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var targets = inputs
        arch.forwardBlock(weights: try model.loadBlock(1), hidden: &targets, sequenceLength: L)
        let picked = [3, 1, 2]
        for loss in BlockLoss.allCases {
            var tuner = BlockTuner(architecture: arch, formats: [:], options: SignRoundOptions(iterations: 1), sequenceLength: L)
            tuner.loss = loss
            tuner.skippedPositions = 1
            let rowWeights = loss.rowWeights(targets: targets, skipping: 1, of: L)
            let step = tuner.stepGradients(weights: w, inputs: inputs, targets: targets, rowWeights: rowWeights, picked: picked)

            let x = gather(inputs, picked, L), t = gather(targets, picked, L)
            let tape = arch.forwardKeepingActivations(weights: w, input: x, sequenceLength: L)
            let weights = picked.flatMap { rowWeights[($0 * L)..<(($0 + 1) * L)] }
            let (whole, dY) = BlockLoss.weightedSquaredError(tape.output, t, rowWeights: weights)
            let grads = arch.backwardBlock(tape: tape, sequenceLength: L, dOutput: dY, wanting: [.weight])
            XCTAssertGreaterThan(whole, 0)
            XCTAssertEqual(step.loss, whole, accuracy: 1e-5 * whole, "\(loss)")
            for kind in LinearKind.allCases {
                let expected = try XCTUnwrap(grads.layers[kind]?.weight, "\(kind)")
                let got = try XCTUnwrap(step.weights[kind], "\(kind)")
                let scale = expected.data.map(abs).max()!
                XCTAssertGreaterThan(scale, 0, "\(kind)")
                for (a, b) in zip(got.data, expected.data) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale, "\(loss) \(kind)") }
            }
        }
    }

    /// The rows of the windows `picked` (each `L` rows), in the given order: the whole minibatch.
    private func gather(_ m: Matrix, _ picked: [Int], _ L: Int) -> Matrix {
        Matrix(rows: picked.count * L, cols: m.cols, data: picked.flatMap { m.rows(($0 * L)..<(($0 + 1) * L)).data })
    }
}
