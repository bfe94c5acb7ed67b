import XCTest
import Model
import Formats
import TensorCore
@testable import Sensitivity

/// `BlockOutputError` (where `calibrated` measures q/k/v) and `ErrorSite` on the tiny model.
final class BlockOutputErrorTests: XCTestCase {
    private let config = TinyProfileModel.config()

    private func setUp(length: Int, windows: Int = 2) throws -> (LlamaModel, LlamaBlockWeights, Matrix) {
        let model = try TinyProfileModel.model(config, tensors: TinyProfileModel.tensors(config))
        let tokens = TinyProfileModel.tokens(windows * length, vocab: config.vocabSize)
        let replay = try LayerReplay(model: model, windows: (0..<windows).map { Array(tokens[($0 * length)..<(($0 + 1) * length)]) })
        return (model, try model.loadBlock(1), replay.blockInput(1))
    }

    private func perturbed(_ w: Matrix, seed: UInt64, scale: Float) -> Matrix {
        var rng = SplitMix64(seed: seed)
        var out = w
        for i in 0..<out.count { out.data[i] += scale * rng.nextGaussian() }
        return out
    }

    func testSiteOfEveryKind() {
        XCTAssertEqual(LinearKind.allCases.map { ErrorSite(kind: $0) },
                       [.blockOutput, .blockOutput, .blockOutput, .layerOutput, .layerOutput, .layerOutput, .layerOutput])
        XCTAssertEqual(ErrorSite.blockOutput.rawValue, "block_output")
    }

    /// Equals two block forwards compared in Double; 0 for the original weight; quadratic in a small
    /// perturbation (t = 1/8 gives 1/64 of the error within 10%: measured 0.96-1.04 x 1/64, the softmax
    /// adding higher-order terms for q and k; a root-mean-square would give 1/8).
    func testMatchesTwoForwardsAndIsQuadratic() throws {
        let (model, block, input) = try setUp(length: 16)
        let error = BlockOutputError(model: model, block: 1, weights: block, input: input, sequenceLength: 16)
        for (n, kind) in [LinearKind.q, .k, .v].enumerated() {
            let w = block[kind]
            XCTAssertEqual(error.meanSquaredChange(kind, replacement: w), 0)
            let changed = perturbed(w, seed: UInt64(n), scale: 0.02)
            let expected = ProfilerTests.blockError(model, block: 1, weights: block, replacing: kind, with: changed,
                                                    input: input, length: 16)
            let measured = error.meanSquaredChange(kind, replacement: changed)
            XCTAssertGreaterThan(measured, 0)
            XCTAssertEqual(measured, expected, accuracy: 1e-4 * expected, "\(kind)")
            var small = w
            for i in 0..<small.count { small.data[i] += (changed.data[i] - w.data[i]) / 8 }
            XCTAssertEqual(error.meanSquaredChange(kind, replacement: small) / measured, 1.0 / 64, accuracy: 0.1 / 64, "\(kind)")
        }
    }

    /// With one token per window every query meets only its own key (softmax weight exactly 1), so
    /// no q or k error reaches the block's output although their own outputs change; a v error does.
    func testQueryAndKeyErrorsVanishWhenEachTokenAttendsOnlyToItself() throws {
        let (model, block, input) = try setUp(length: 1, windows: 8)
        let error = BlockOutputError(model: model, block: 1, weights: block, input: input, sequenceLength: 1)
        for kind in [LinearKind.q, .k] {
            XCTAssertEqual(error.meanSquaredChange(kind, replacement: perturbed(block[kind], seed: 9, scale: 0.1)), 0, accuracy: 1e-12)
        }
        XCTAssertGreaterThan(error.meanSquaredChange(.v, replacement: perturbed(block[.v], seed: 9, scale: 0.1)), 1e-4)
    }
}
