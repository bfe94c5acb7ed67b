import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// Block-wise SignRound on a tiny two-block model built in memory.
final class BlockSignRoundTests: XCTestCase {
    private let L = TinyBlockFixture.length

    private func model() throws -> LlamaModel { try TinyBlockFixture.model() }

    private func windows(_ count: Int, seed: UInt64 = 9) -> [[Int]] { TinyBlockFixture.windows(count, seed: seed) }

    private func formats(_ name: String = "int3/g32") throws -> [LayerID: QuantFormat] { try TinyBlockFixture.formats(name) }

    private func options(iterations: Int = 30, seed: UInt64 = 42, batch: Int = 4) -> QuantizeOptions {
        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = iterations
        o.batchSize = batch
        o.calibration.seed = seed
        return o
    }

    /// Every pass over the shuffled order covers each sample once; with 10 samples and batch 4 the
    /// order is reshuffled after two batches (2 left < 4), and the draws repeat for a seed.
    func testSamplerWalksShuffledPasses() {
        var a = MinibatchSampler(count: 10, batch: 4, seed: 3), b = MinibatchSampler(count: 10, batch: 4, seed: 3)
        var c = MinibatchSampler(count: 10, batch: 4, seed: 4)
        var drawsA: [[Int]] = [], drawsC: [[Int]] = []
        for _ in 0..<6 {
            let x = a.next()
            XCTAssertEqual(x, b.next())
            drawsA.append(x)
            drawsC.append(c.next())
        }
        for pass in 0..<3 {
            let used = drawsA[2 * pass] + drawsA[2 * pass + 1]
            XCTAssertEqual(Set(used).count, 8, "no sample twice within a pass")
            XCTAssertTrue(used.allSatisfy { (0..<10).contains($0) })
        }
        XCTAssertNotEqual(drawsA, drawsC, "another seed draws other minibatches")
        XCTAssertNotEqual(drawsA[0] + drawsA[1], Array(0..<8), "the order is shuffled")
    }

    /// The tuned blocks' output MSE over all samples is below round-to-nearest's on both blocks; the
    /// reported RTN error of block 0 is the MSE of the RTN block on the embeddings, recomputed here.
    func testBlockWiseBeatsRoundToNearest() throws {
        let m = try model(), w = windows(8)
        let result = try PlanApplier(model: m, formats: try formats(), options: options()).run(windows: w)
        XCTAssertEqual(result.stats.count, 14)
        for b in 0..<2 {
            let s = result.stats.filter { $0.name.hasPrefix("model.layers.\(b).") }
            XCTAssertEqual(Set(s.map(\.rtnError)).count, 1, "one block-level number per block")
            XCTAssertLessThan(s[0].signRoundError, 0.9 * s[0].rtnError, "block \(b)")
            XCTAssertEqual(s[0].iterations, 30)
        }
        // Block 0 by hand: embeddings through the original block vs the RTN block.
        let x = try m.architecture.embed(w.flatMap { $0 }, head: try m.loadHead())
        var original = try m.loadBlock(0)
        var rtn = original
        for k in LinearKind.allCases { rtn[k] = try QuantFormat(parsing: "int3/g32").quantizer.fakeQuantize(original[k]) }
        var y = x, yq = x
        m.architecture.forwardBlock(weights: original, hidden: &y, sequenceLength: L)
        m.architecture.forwardBlock(weights: rtn, hidden: &yq, sequenceLength: L)
        let mse = BlockTuner.meanSquaredError(yq, y).0
        XCTAssertEqual(result.stats[0].rtnError, mse, accuracy: mse * 1e-5)
        // The exported weight is the format's own fake quantization with the learned adjustments.
        let id = LayerID(block: 0, kind: .down)
        original = try m.loadBlock(0)
        let q = try XCTUnwrap(result.quantized[id])
        let unpacked = try QuantFormat(parsing: "int3/g32").quantizer.dequantize(q)
        XCTAssertEqual(unpacked.count, original[.down].count)
        XCTAssertNotEqual(result.weights[id], rtn[.down], "tuning moved the rounding")
        XCTAssertEqual(result.weights[id], unpacked)
    }

    /// Same seed, same weights; another seed draws other minibatches and ends elsewhere.
    func testDeterministicForASeed() throws {
        let m = try model(), w = windows(8), f = try formats("mxfp4")
        let a = try PlanApplier(model: m, formats: f, options: options(iterations: 12)).run(windows: w)
        let b = try PlanApplier(model: m, formats: f, options: options(iterations: 12)).run(windows: w)
        let c = try PlanApplier(model: m, formats: f, options: options(iterations: 12, seed: 7)).run(windows: w)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(a.stats.map(\.signRoundError), b.stats.map(\.signRoundError))
        XCTAssertNotEqual(a.weights, c.weights)
    }

    /// fp8 layers are only rounded (no iterations reported); 0 iterations is round-to-nearest.
    func testUntunedFormatsAndZeroIterations() throws {
        let m = try model(), w = windows(4)
        var f = try formats()
        f[LayerID(block: 0, kind: .q)] = try QuantFormat(parsing: "fp8")
        let r = try PlanApplier(model: m, formats: f, options: options(iterations: 5)).run(windows: w)
        let q0 = try XCTUnwrap(r.stats.first { $0.name == LayerID(block: 0, kind: .q).description })
        XCTAssertEqual(q0.iterations, 0)
        XCTAssertEqual(r.weights[LayerID(block: 0, kind: .q)], try QuantFormat(parsing: "fp8").quantizer.fakeQuantize(try m.loadBlock(0)[.q]))
        let zero = try PlanApplier(model: m, formats: f, options: options(iterations: 0)).run(windows: w)
        for s in zero.stats { XCTAssertEqual(s.signRoundError, s.rtnError, s.name) }
        var bad = options()
        bad.batchSize = 0
        XCTAssertThrowsError(try PlanApplier(model: m, formats: f, options: bad).run(windows: w))
    }
}
