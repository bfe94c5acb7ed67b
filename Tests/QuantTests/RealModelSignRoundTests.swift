import Foundation
import TensorCore
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// SignRound end to end on the default model (SmolLM2-135M-Instruct): the first 3 blocks, int3/g128
/// on every layer, calibrated on lcet10.txt with quantized input. Runs in about a minute in release
/// mode; skipped when the asset cache is absent.
final class RealModelSignRoundTests: XCTestCase {
    func testSignRoundBeatsRoundToNearestOnTheFirstBlocks() throws {
        guard let modelPath = Assets.cachedPath(.defaultModel), let textPath = Assets.cachedPath(.lcet10) else {
            throw XCTSkip("default model or lcet10.txt not cached in \(Assets.cacheDirectory); run scripts/fetch-assets")
        }
        let description = try ModelLoader.open(modelPath)
        var config = description.config
        config.numHiddenLayers = 3
        let model = try LlamaModel(config: config, source: description.tensors, ropeLayout: description.ropeLayout)
        let tokenizer = try Tokenizer(model: description)
        let tokens = tokenizer.encode(try Tokenizer.loadText(URL(fileURLWithPath: textPath)), addSpecialTokens: false)
        let windows = try CalibrationWindows.sample(tokens: tokens, count: 4, length: 256, seed: 42)
        let format = try QuantFormat(parsing: "int3/g128")
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<3 { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = format } }
        var options = QuantizeOptions()
        options.signRound.iterations = 40
        let result = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows)
        XCTAssertEqual(result.stats.count, 21)
        for s in result.stats {
            XCTAssertLessThanOrEqual(s.signRoundError, s.rtnError, s.name)
            XCTAssertGreaterThan(s.rtnError, 0, s.name)
        }
        let improved = result.stats.filter { $0.signRoundError < 0.95 * $0.rtnError }.count
        XCTAssertGreaterThanOrEqual(Double(improved) / 21, 0.95, "layers with at least 5% lower output error")
        // The first block's q_proj sees the original input (nothing before it is quantized), so its
        // RTN error is the plain Gram-form error of the round-to-nearest weight.
        let q0 = LayerID(block: 0, kind: .q)
        let w = try model.loadBlock(0)[.q]
        let rtn = try format.quantizer.fakeQuantize(w)
        XCTAssertNotEqual(result.weights[q0], rtn)
        let stats0 = try XCTUnwrap(result.stats.first { $0.name == q0.description })
        XCTAssertEqual(stats0.bestIteration > 0, true)
    }
}
