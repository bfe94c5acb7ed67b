import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// Block-wise SignRound's importance-weighted start on a tiny two-block model, determinism for a
/// seed, and the recipes' options.
final class BlockSignRoundStartTests: XCTestCase {
    private let L = 16

    /// The tiny two-block model and its 8 calibration windows of `L` tokens.
    private func fixture() throws -> (model: LlamaModel, windows: [[Int]]) {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let t = TinyModel.tokens(8 * L, seed: 9)
        return (model, (0..<8).map { Array(t[($0 * L)..<(($0 + 1) * L)]) })
    }

    private func run(start: SignRoundStart, seed: UInt64 = 42,
                     iterations: Int = 12) throws -> QuantizedWeights {
        let (model, windows) = try fixture()
        let f = try QuantFormat(parsing: "int2/g32")
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<TinyModel.config.numHiddenLayers { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = f } }
        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = iterations
        o.batchSize = 4
        o.calibration.seed = seed
        o.signRoundStart = start
        return try BlockSignRound(model: model, formats: formats, options: o).run(windows: windows)
    }

    /// The same seed gives bit-identical weights from either start; another seed other minibatches.
    func testDeterministicForASeed() throws {
        for start in SignRoundStart.allCases {
            let a = try run(start: start), b = try run(start: start)
            XCTAssertEqual(a.weights, b.weights, "\(start)")
            let errors = { (r: QuantizedWeights) in r.stats.map { [$0.rtnError, $0.signRoundError, Double($0.bestIteration)] } }
            XCTAssertEqual(errors(a), errors(b), "\(start)")
            let c = try run(start: start, seed: 7)
            XCTAssertNotEqual(a.weights, c.weights, "\(start)")
        }
    }

    /// The start changes the result, and the tuned blocks stay below RTN's block MSE.
    func testStartTakesEffect() throws {
        let plain = try run(start: .rtn), weighted = try run(start: .weightedRTN)
        XCTAssertNotEqual(plain.weights, weighted.weights)
        for r in [plain, weighted] {
            for s in r.stats { XCTAssertLessThanOrEqual(s.signRoundError, s.rtnError * 1.0001, s.name) }
        }
    }

    /// The start's importance is each site's input energy in the round-to-nearest block (the inputs the
    /// quantized block will see), measured in the forward that also gives the RTN loss: with one
    /// iteration the kept parameters are the start's, so block 0 holds exactly those clips' weights.
    func testStartImportanceIsTheRoundedBlocksInputs() throws {
        let (model, windows) = try fixture()
        let f = try QuantFormat(parsing: "int2/g32")
        let out = try run(start: .weightedRTN, iterations: 1)
        let hidden = try model.architecture.embed(windows.flatMap { $0 }, head: try model.loadHead())
        let block = try model.loadBlock(0)
        var rounded = block
        for k in LinearKind.allCases { rounded[k] = try f.quantizer.fakeQuantize(block[k], name: "\(k)") }
        let planned = Dictionary(uniqueKeysWithValues: LinearKind.allCases.map { ($0, f) })
        func start(energyFrom energyBlock: LlamaBlockWeights) throws -> [LinearKind: Matrix] {
            let energy = BlockInputEnergy.measure(model: model, block: 0, weights: energyBlock, hidden: hidden, length: L)
            let clips = try BlockInputEnergy.startingClips(block: 0, weights: block, energy: energy, formats: planned)
            var weights: [LinearKind: Matrix] = [:]
            for (k, c) in clips { weights[k] = try f.quantizer.fakeQuantize(block[k], name: "\(k)", adjustments: c) }
            return weights
        }
        let expected = try start(energyFrom: rounded)
        for k in LinearKind.allCases {
            XCTAssertEqual(out.weights[LayerID(block: 0, kind: k)], expected[k], "\(k)")
            XCTAssertEqual(out.stats.first { $0.name == LayerID(block: 0, kind: k).description }?.bestIteration, 0)
        }
        // The original block's energies would start o, gate/up or down elsewhere: the test tells them apart.
        let fromOriginal = try start(energyFrom: block)
        XCTAssertTrue(LinearKind.allCases.contains { fromOriginal[$0] != expected[$0] })
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

    /// Recipes: explicit options override the recipe's values one by one; SignRound with iterations
    /// <= 0 is a typed error, round-to-nearest takes none.
    func testRecipesResolveAndReject() throws {
        let d = try RecipeOverrides().resolve(.default)
        XCTAssertEqual(d.scope, .block)
        XCTAssertEqual(d.method, .signround)
        XCTAssertEqual(d.signRound.iterations, 60)
        XCTAssertEqual(d.calibration.sampleCount, 32)
        XCTAssertEqual(d.calibration.sequenceLength, 256)
        XCTAssertEqual(d.batchSize, 2)
        XCTAssertEqual(d.signRoundStart, .weightedRTN)
        XCTAssertEqual(d.blockLoss, .normalized)
        XCTAssertEqual(d.signRound.effectiveLearningRate, 1 / 60, "the recipe's step factor over its iterations")
        XCTAssertEqual(try RecipeOverrides().resolve(.light).signRound.effectiveLearningRate, 0.5 / 30)
        var fewer = RecipeOverrides()
        fewer.iterations = 20
        XCTAssertEqual(try fewer.resolve(.light).signRound.effectiveLearningRate, 0.025, "follows --iters")
        fewer.learningRate = 0.3
        XCTAssertEqual(try fewer.resolve(.light).signRound.effectiveLearningRate, 0.3, "--lr wins")
        XCTAssertEqual(QuantizeOptions().blockLoss, .mse, "the library's default is AutoRound's loss")
        var o = RecipeOverrides()
        o.loss = .mse
        XCTAssertEqual(try o.resolve(.light).blockLoss, .mse, "given explicitly: wins over the recipe's")
        o.iterations = 5
        o.sequenceLength = 64
        o.batchSize = 100
        let r = try o.resolve(.best)
        XCTAssertEqual(r.signRound.iterations, 5)
        XCTAssertEqual(r.calibration.sequenceLength, 64)
        XCTAssertEqual(r.calibration.sampleCount, 64, "not overridden: the recipe's")
        XCTAssertEqual(r.batchSize, 64, "capped at the window count")
        o.iterations = 0
        XCTAssertThrowsError(try o.resolve(.light)) { XCTAssertEqual($0 as? RecipeError, .nonPositiveIterations(0)) }
        XCTAssertEqual(try o.resolve(.rtn).method, .rtn, "round-to-nearest takes no iterations")
        XCTAssertEqual(try RecipeOverrides().resolve(.rtn).signRound.iterations, 0)
        o.method = .rtnPlain
        XCTAssertEqual(try o.resolve(.best).signRound.iterations, 0)
        XCTAssertEqual(try o.resolve(.best).endToEnd.steps, 0, "round-to-nearest: no end-to-end pass")
    }

    /// The end-to-end pass: the recipes' steps, each option given wins, and it is refused where there
    /// are no block-wise scales to tune.
    func testEndToEndOptionsResolveAndReject() throws {
        XCTAssertEqual(try RecipeOverrides().resolve(.default).endToEnd, EndToEndOptions(steps: 44, windows: .generated))
        XCTAssertEqual(try RecipeOverrides().resolve(.best).endToEnd, EndToEndOptions(steps: 60, windows: .generated))
        XCTAssertEqual(try RecipeOverrides().resolve(.rtn).endToEnd.steps, 0)
        // Half the calibration windows are the original model's own in default and best, none elsewhere.
        XCTAssertEqual(try RecipeOverrides().resolve(.default).generatedWindows, 16)
        XCTAssertEqual(try RecipeOverrides().resolve(.best).generatedWindows, 32)
        XCTAssertEqual(try RecipeOverrides().resolve(.light).generatedWindows, 0)
        XCTAssertEqual(try RecipeOverrides().resolve(.rtn).generatedWindows, 0)
        var g = RecipeOverrides()
        g.samples = 3
        XCTAssertEqual(try g.resolve(.default).generatedWindows, 1, "3 x 0.5 rounded down")
        g.generatedWindows = 3
        XCTAssertEqual(try g.resolve(.light).generatedWindows, 3)
        g.generatedWindows = 4
        XCTAssertThrowsError(try g.resolve(.default)) {
            XCTAssertEqual($0 as? RecipeError, .generatedWindowsExceedSamples(4, samples: 3))
            XCTAssertEqual(($0 as? RecipeError)?.errorDescription, "--generated-windows 4 exceeds the 3 calibration windows (--nsamples).")
        }
        var o = RecipeOverrides()
        o.endToEndSteps = 7
        o.endToEndLearningRate = 0.01
        o.endToEndBatchSize = 3
        o.endToEndWindows = .fresh
        XCTAssertEqual(try o.resolve(.light).endToEnd, EndToEndOptions(steps: 7, learningRate: 0.01, batchSize: 3, windows: .fresh))
        o.endToEndTemperature = 1.5
        XCTAssertEqual(try o.resolve(.light).endToEnd.temperature, 1.5)
        XCTAssertEqual(EndToEndOptions(steps: 7, batchSize: 3, windows: .fresh).extraWindows(calibration: 32), 21)
        XCTAssertEqual(EndToEndOptions(steps: 20, batchSize: 2).extraWindows(calibration: 32), 8)
        XCTAssertEqual(EndToEndOptions(steps: 10, batchSize: 2).extraWindows(calibration: 32), 0)
        XCTAssertEqual(EndToEndOptions(steps: 40, batchSize: 2, windows: .generated).extraWindows(calibration: 32), 48)
        o.scope = .layer
        XCTAssertThrowsError(try o.resolve(.default)) { XCTAssertEqual($0 as? RecipeError, .endToEndNeedsBlockSignRound(steps: 7)) }
        o.endToEndSteps = nil
        XCTAssertEqual(try o.resolve(.default).endToEnd.steps, 0, "layer scope: the recipe's pass is dropped")
    }
}
