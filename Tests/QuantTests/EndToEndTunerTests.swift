import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// The end-to-end pass after block-wise SignRound, on a tiny two-block model built in memory.
final class EndToEndTunerTests: XCTestCase {
    private func options(steps: Int, lr: Float = 0.01) -> QuantizeOptions {
        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = 10
        o.batchSize = 4
        o.endToEnd = EndToEndOptions(steps: steps, learningRate: lr, batchSize: 4)
        return o
    }

    /// Mean KL(original || quantized) over every position of `w`, through the distillation pass.
    private func kl(_ m: LlamaModel, _ q: QuantizedWeights, _ w: [[Int]]) throws -> Double {
        let head = try m.loadHead()
        let original = try (0..<m.config.numHiddenLayers).map { try m.loadBlock($0) }
        var blocks = original
        q.apply(to: &blocks)
        let teacher = try ResidentLlama(architecture: m.architecture, head: head, blocks: original).hiddenStates(sequences: w)
        return try ModelDistillation.gradients(architecture: m.architecture, head: head, blocks: blocks, windows: w,
                                               teacherHidden: teacher, wanting: []) { _, _ in }.kl
    }

    /// The pass lowers the calibration KL; codes and zero points stay, only scales move, each one an
    /// fp16 value; the weights evaluated are the dequantized exported tensors; a seed repeats the result.
    func testScalesMoveTowardTheOriginalDistribution() throws {
        let m = try TinyBlockFixture.model(), w = TinyBlockFixture.windows(8), f = try TinyBlockFixture.formats("int2/g32")
        let before = try PlanApplier(model: m, formats: f, options: options(steps: 0)).run(windows: w)
        let after = try PlanApplier(model: m, formats: f, options: options(steps: 30)).run(windows: w)
        let klBefore = try kl(m, before, w), klAfter = try kl(m, after, w)
        XCTAssertLessThan(klAfter, 0.9 * klBefore, "KL \(klBefore) -> \(klAfter)")
        var moved = 0
        for (id, q) in after.quantized {
            let start = try XCTUnwrap(before.quantized[id])
            XCTAssertEqual(q.codes, start.codes, "\(id): codes are fixed")
            XCTAssertEqual(q.zeroPoints, start.zeroPoints, "\(id)")
            for s in q.scales { XCTAssertEqual(HalfPrecision.roundToF16(s), s, "\(id): scales stay fp16") }
            moved += zip(q.scales, start.scales).filter { $0 != $1 }.count
            XCTAssertEqual(after.weights[id], try f[id]!.quantizer.dequantize(q), "\(id): evaluated = exported")
        }
        XCTAssertGreaterThan(moved, 100)
        let again = try PlanApplier(model: m, formats: f, options: options(steps: 30)).run(windows: w)
        XCTAssertEqual(again.weights, after.weights)
    }

    /// The first step's KL is the block-wise model's KL on the first minibatch, measured here with a
    /// teacher run separately: for fresh windows (whose teacher states ride along block-wise
    /// SignRound's original stream) and for calibration-first windows (calibration, then fresh).
    func testFirstStepSeesItsWindowsAndTheirTeacher() throws {
        let m = try TinyBlockFixture.model(), w = TinyBlockFixture.windows(8), f = try TinyBlockFixture.formats("int2/g32")
        let extra = TinyBlockFixture.windows(6, seed: 77)
        let start = try PlanApplier(model: m, formats: f, options: options(steps: 0)).run(windows: w)
        for kind in EndToEndWindows.allCases {
            var o = options(steps: 2)
            o.endToEnd.windows = kind
            o.endToEnd.batchSize = 2
            let after = try PlanApplier(model: m, formats: f, options: o).run(windows: w, endToEndWindows: extra)
            let pool = kind == .fresh ? extra : w + extra
            var sampler = MinibatchSampler(count: pool.count, batch: 2, seed: o.calibration.seed ^ 0xE2E)
            let expected = try kl(m, start, sampler.next().map { pool[$0] })
            let stats = try XCTUnwrap(after.endToEnd)
            XCTAssertEqual(stats.firstKL, expected, accuracy: 1e-4 * expected, "\(kind)")
            XCTAssertEqual(stats.steps, 2)
            XCTAssertEqual(stats.scales, after.quantized.values.reduce(0) { $0 + $1.scales.count })
        }
    }

    /// Teacher states handed in (windows the original model wrote, with the states it computed on
    /// the way) stand for the ones the original stream would carry: the same first-step KL; states of
    /// the wrong shape are refused before any work.
    func testGivenTeacherStatesStandForTheCarriedOnes() throws {
        let m = try TinyBlockFixture.model(), w = TinyBlockFixture.windows(8), f = try TinyBlockFixture.formats("int2/g32")
        let resident = try m.resident()
        let sampled = try resident.sample(prompts: TinyBlockFixture.windows(6, seed: 77).map { Array($0.prefix(3)) },
                                          length: w[0].count, temperature: 1, seed: 5)
        var o = options(steps: 2)
        o.endToEnd.windows = .generated
        o.endToEnd.batchSize = 2
        let carried = try PlanApplier(model: m, formats: f, options: o).run(windows: w, endToEndWindows: sampled.tokens)
        let given = try PlanApplier(model: m, formats: f, options: o)
            .run(windows: w, endToEndWindows: sampled.tokens, endToEndTeacher: sampled.hidden)
        let a = try XCTUnwrap(carried.endToEnd), b = try XCTUnwrap(given.endToEnd)
        XCTAssertEqual(a.firstKL, b.firstKL, accuracy: 1e-4 * a.firstKL)
        XCTAssertEqual(a.lastKL, b.lastKL, accuracy: 1e-3 * a.lastKL)
        let short = Matrix(rows: sampled.hidden.rows - 1, cols: sampled.hidden.cols)
        XCTAssertThrowsError(try PlanApplier(model: m, formats: f, options: o)
            .run(windows: w, endToEndWindows: sampled.tokens, endToEndTeacher: short)) {
            XCTAssertTrue("\($0)".contains("teacher states are \(short.rows) x"), "\($0)")
        }
    }

    /// Formats whose scales have their own encodings (MXFP4's powers of two) are left as they were.
    func testNonIntLayersAreLeftAlone() throws {
        let m = try TinyBlockFixture.model(), w = TinyBlockFixture.windows(8), f = try TinyBlockFixture.formats("mxfp4")
        let before = try PlanApplier(model: m, formats: f, options: options(steps: 0)).run(windows: w)
        let after = try PlanApplier(model: m, formats: f, options: options(steps: 5)).run(windows: w)
        XCTAssertEqual(after.weights, before.weights)
        XCTAssertEqual(after.quantized, before.quantized)
    }
}
