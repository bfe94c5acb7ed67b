import Foundation
import TensorCore
@testable import Export
@testable import Model
@testable import Quant
import XCTest

/// Block-wise SignRound's new paths on a tiny two-block model: the importance-weighted start, Adam
/// steps, determinism for a seed, and the recipes' options.
final class BlockSignRoundStartTests: XCTestCase {
    private let L = 16

    private func run(start: SignRoundStart, optimizer: SignRoundOptimizer, seed: UInt64 = 42,
                     iterations: Int = 12) throws -> QuantizedWeights {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let t = TinyModel.tokens(8 * L, seed: 9)
        let windows = (0..<8).map { Array(t[($0 * L)..<(($0 + 1) * L)]) }
        let f = try QuantFormat(parsing: "int2/g32")
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<TinyModel.config.numHiddenLayers { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = f } }
        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = iterations
        o.batchSize = 4
        o.calibration.seed = seed
        o.signRoundStart = start
        o.optimizer = optimizer
        return try BlockSignRound(model: model, formats: formats, options: o).run(windows: windows)
    }

    /// The same seed gives bit-identical weights on every path; another seed other minibatches.
    func testDeterministicForASeed() throws {
        for (start, optimizer) in [(SignRoundStart.weightedRTN, SignRoundOptimizer.adam), (.weightedRTN, .signSGD), (.rtn, .adam)] {
            let a = try run(start: start, optimizer: optimizer), b = try run(start: start, optimizer: optimizer)
            XCTAssertEqual(a.weights, b.weights, "\(start) \(optimizer)")
            let errors = { (r: QuantizedWeights) in r.stats.map { [$0.rtnError, $0.signRoundError, Double($0.bestIteration)] } }
            XCTAssertEqual(errors(a), errors(b), "\(start) \(optimizer)")
            let c = try run(start: start, optimizer: optimizer, seed: 7)
            XCTAssertNotEqual(a.weights, c.weights, "\(start) \(optimizer)")
        }
    }

    /// The start and the optimizer change the result, and the tuned blocks stay below RTN's block MSE.
    func testStartAndOptimizerTakeEffect() throws {
        let plain = try run(start: .rtn, optimizer: .signSGD), weighted = try run(start: .weightedRTN, optimizer: .signSGD)
        let adam = try run(start: .weightedRTN, optimizer: .adam)
        XCTAssertNotEqual(plain.weights, weighted.weights)
        XCTAssertNotEqual(weighted.weights, adam.weights)
        for r in [plain, weighted, adam] {
            for s in r.stats { XCTAssertLessThanOrEqual(s.signRoundError, s.rtnError * 1.0001, s.name) }
        }
    }

    /// Starting the clips from given adjustments; wrong counts are a typed error naming the layer.
    func testStartFromAdjustments() throws {
        let w = Matrix(rows: 2, cols: 64, data: (0..<128).map { Float($0 % 7) - 3 })
        var p = try XCTUnwrap(SignRoundParameters(format: try QuantFormat(parsing: "int3a/g32"), weights: w))
        try p.start(from: RoundingAdjustments(maxClip: [0.9, 0.8, 0.7, 0.6], minClip: [1, 1, 0.5, 0.5]), name: "l")
        XCTAssertEqual(p.maxClip, [0.9, 0.8, 0.7, 0.6])
        XCTAssertEqual(p.minClip, [1, 1, 0.5, 0.5])
        XCTAssertThrowsError(try p.start(from: RoundingAdjustments(maxClip: [0.9]), name: "l")) {
            guard case .invalidAdjustments(let t, _)? = $0 as? QuantError else { return XCTFail("\($0)") }
            XCTAssertEqual(t, "l")
        }
    }

    /// Recipes: explicit options override the recipe's values; typed errors for an unknown name,
    /// SignRound with iterations <= 0 and a calibration text shorter than samples x seqlen.
    func testRecipesResolveAndReject() throws {
        XCTAssertEqual(try QuantizeRecipe.named("LIGHT"), .light)
        XCTAssertThrowsError(try QuantizeRecipe.named("fast")) {
            XCTAssertEqual($0 as? RecipeError, .unknownRecipe(name: "fast"))
            XCTAssertTrue(($0 as? RecipeError)?.errorDescription?.contains("best, default, light, rtn") == true)
        }
        let d = try RecipeOverrides().resolve(.default)
        XCTAssertEqual(d.scope, .block)
        XCTAssertEqual(d.signRound.iterations, QuantizeRecipe.default.settings.iterations)
        var o = RecipeOverrides()
        o.iterations = 5
        o.sequenceLength = 64
        let r = try o.resolve(.best)
        XCTAssertEqual(r.signRound.iterations, 5)
        XCTAssertEqual(r.calibration.sequenceLength, 64)
        XCTAssertEqual(r.calibration.sampleCount, QuantizeRecipe.best.settings.samples)
        o.iterations = 0
        XCTAssertThrowsError(try o.resolve(.light)) { XCTAssertEqual($0 as? RecipeError, .nonPositiveIterations(0)) }
        XCTAssertEqual(try o.resolve(.rtn).method, .rtn, "round-to-nearest takes no iterations")
        XCTAssertEqual(try RecipeOverrides().resolve(.rtn).signRound.iterations, 0)
        XCTAssertThrowsError(try RecipeError.checkCalibration(tokens: 1000, path: "c.txt", options: d)) {
            XCTAssertEqual($0 as? RecipeError, .calibrationTooShort(path: "c.txt", tokens: 1000, samples: 32, length: 256))
        }
        XCTAssertNoThrow(try RecipeError.checkCalibration(tokens: 32 * 256, path: "c.txt", options: d))
    }
}
