import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// The norm step and the kept iteration of block-wise SignRound on a tiny two-block model.
final class BlockNormStepTests: XCTestCase {
    private let L = TinyBlockFixture.length

    /// Iteration 1 of 3 with factor 0.6: eta = 0.6 / 3 x (1 - 1/3) = 2/15 of each starting value,
    /// against the gradient's sign; a zero gradient, a NaN gradient and a zero start leave the weight.
    func testStepByHand() {
        let step = BlockNormStep(factor: 0.6)
        var norm: [Float] = [1, -2, 0.5, 0, 3]
        let start: [Float] = [1, -2, 0.5, 0, 2]
        step.apply(&norm, start: start, gradient: [0.3, -1, 0, 5, .nan], iteration: 1, of: 3)
        let eta: Float = 0.6 / 3 * (1 - 1.0 / 3)
        XCTAssertEqual(norm[0], 1 - eta, accuracy: 1e-7)
        XCTAssertEqual(norm[1], -2 + 2 * eta, accuracy: 1e-7)
        XCTAssertEqual(Array(norm[2...]), [0.5, 0, 3])
        XCTAssertFalse(BlockNormStep(factor: 0).isActive)
    }

    private func run(normStep: Float, kept: BlockKeptIteration = .minibatchBest, iterations: Int = 20) throws
        -> (LlamaModel, [[Int]], QuantizedWeights) {
        let m = try TinyBlockFixture.model(), w = TinyBlockFixture.windows(8), f = try TinyBlockFixture.formats("int2/g32")
        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = iterations
        o.batchSize = 2
        o.blockLoss = .normalized
        o.normStep = normStep
        o.keptIteration = kept
        return (m, w, try PlanApplier(model: m, formats: f, options: o).run(windows: w))
    }

    /// With a norm step both blocks' norms move and are reported; block 0's reported error is the
    /// plain MSE of the embeddings through the tuned weights with the tuned norms (so the stream and
    /// the export use the same norms); without a norm step no norm is reported and the weights equal
    /// those of a run that never asked for norms.
    func testTunedNormsAreRecordedAndUsed() throws {
        let (m, w, tuned) = try run(normStep: 0.3)
        XCTAssertEqual(Set(tuned.norms.keys), [0, 1])
        let block0 = try m.loadBlock(0)
        XCTAssertNotEqual(tuned.norms[0]!.input, block0.inputNorm)
        XCTAssertNotEqual(tuned.norms[0]!.postAttention, block0.postAttentionNorm)
        var blocks = [block0, try m.loadBlock(1)]
        tuned.apply(to: &blocks)
        let b = blocks[0]
        let x = try m.architecture.embed(w.flatMap { $0 }, head: try m.loadHead())
        var y = x, yq = x
        m.architecture.forwardBlock(weights: block0, hidden: &y, sequenceLength: L)
        m.architecture.forwardBlock(weights: b, hidden: &yq, sequenceLength: L)
        let mse = BlockTuner.meanSquaredError(yq, y).0
        XCTAssertEqual(tuned.stats[0].signRoundError, mse, accuracy: mse * 1e-5)
        XCTAssertEqual(tuned.tensorReplacements["model.layers.1.post_attention_layernorm.weight"], tuned.norms[1]!.postAttention)
        XCTAssertEqual(tuned.tensorReplacements.count, 4)

        let (_, _, plain) = try run(normStep: 0)
        XCTAssertTrue(plain.norms.isEmpty)
        XCTAssertTrue(plain.tensorReplacements.isEmpty)
        XCTAssertNotEqual(plain.weights, tuned.weights, "the norms changed what the steps saw")
    }

    /// `last` keeps the parameters after the final step: every tuned layer reports iteration
    /// `iterations`, and its weights differ from the minibatch-best run's unless that run also kept
    /// the last iteration.
    func testLastKeepsTheFinalStep() throws {
        let (_, _, last) = try run(normStep: 0, kept: .last, iterations: 6)
        XCTAssertTrue(last.stats.allSatisfy { $0.bestIteration == 6 })
        let (_, _, best) = try run(normStep: 0, kept: .minibatchBest, iterations: 6)
        XCTAssertTrue(best.stats.allSatisfy { $0.bestIteration < 6 })
        XCTAssertNotEqual(last.weights, best.weights)
    }

    /// `average` keeps the mean of the parameters after steps 4, 5 and 6 of 6 (the second half): the
    /// reported iteration is 6 and the weights differ from both the last and the minibatch-best ones.
    func testAverageKeepsTheMeanOfTheSecondHalf() throws {
        let (_, _, mean) = try run(normStep: 0, kept: .average, iterations: 6)
        XCTAssertTrue(mean.stats.allSatisfy { $0.bestIteration == 6 })
        let (_, _, last) = try run(normStep: 0, kept: .last, iterations: 6)
        XCTAssertNotEqual(mean.weights, last.weights)
        var sums = BlockParameterMean()
        XCTAssertNil(sums.result(like: [:]))
        let w = Matrix(rows: 2, cols: 32, data: (0..<64).map { Float($0) / 10 - 3 })
        var p = try XCTUnwrap(SignRoundParameters(format: try QuantFormat(parsing: "int2/g32"), weights: w))
        p.set(offsets: [Float](repeating: 0.4, count: 64), maxClip: [0.9, 0.7], minClip: [1, 0.5])
        sums.add([.q: p], norms: ([2], [4]))
        p.set(offsets: [Float](repeating: -0.2, count: 64), maxClip: [0.7, 0.9], minClip: [0.5, 1])
        sums.add([.q: p], norms: ([4], [0]))
        let (m, n) = try XCTUnwrap(sums.result(like: [.q: p]))
        XCTAssertEqual(m[.q]!.offsets[0], 0.1, accuracy: 1e-6)
        for i in 0..<2 {
            XCTAssertEqual(m[.q]!.maxClip[i], 0.8, accuracy: 1e-6)
            XCTAssertEqual(m[.q]!.minClip[i], 0.75, accuracy: 1e-6)
        }
        XCTAssertEqual(n?.0, [3])
        XCTAssertEqual(n?.1, [2])
        var untuned = BlockParameterMean()
        untuned.add([.q: p], norms: nil)
        XCTAssertNil(try XCTUnwrap(untuned.result(like: [.q: p])).1, "untuned norms are not averaged")
    }
}
