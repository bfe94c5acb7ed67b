import Foundation
import TensorCore
import TestSupport
@testable import Formats
@testable import Model
@testable import Quant
import XCTest

/// The plan applier on a tiny model: SignRound against round-to-nearest, the Gram cache.
final class PlanApplierTests: XCTestCase {
    /// int3/g32 on every layer: SignRound never loses to RTN per layer and wins on most, and the
    /// replaced weights are the ones written.
    func testPlanApplierBeatsRoundToNearestPerLayer() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 9), ropeLayout: .rotateHalf)
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<2 { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = try QuantFormat(parsing: "int3/g32") } }
        formats[LayerID(block: 1, kind: .down)] = .fp8
        let windows = (0..<6).map { TinyModel.tokens(24, seed: 100 + UInt64($0)) }
        var options = QuantizeOptions()
        options.signRound.iterations = 80
        var lines: [String] = []
        let result = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows) { lines.append($0) }
        XCTAssertEqual(result.stats.count, 14)
        XCTAssertEqual(lines.count, 14)
        XCTAssertTrue(lines.last!.contains("ETA 0 s"), lines.last!)
        for s in result.stats { XCTAssertLessThanOrEqual(s.signRoundError, s.rtnError, s.name) }
        let tuned = result.stats.filter { $0.iterations > 0 }
        XCTAssertEqual(tuned.count, 13)
        XCTAssertGreaterThanOrEqual(tuned.filter { $0.signRoundError < $0.rtnError }.count, 12)
        let fp8 = try XCTUnwrap(result.stats.first { $0.name == "model.layers.1.mlp.down_proj" })
        XCTAssertEqual(fp8.format, "fp8")
        XCTAssertEqual(fp8.signRoundError, fp8.rtnError)

        var rtnOptions = options
        rtnOptions.method = .rtnPlain
        let rtn = try PlanApplier(model: model, formats: formats, options: rtnOptions).run(windows: windows)
        let q0 = LayerID(block: 0, kind: .q)
        let w = try model.loadBlock(0)[.q]
        XCTAssertEqual(rtn.weights[q0], try QuantFormat(parsing: "int3/g32").quantizer.fakeQuantize(w))
        XCTAssertNotEqual(rtn.weights[q0], result.weights[q0])
        XCTAssertTrue(rtn.stats.allSatisfy { $0.iterations == 0 && $0.signRoundError == $0.rtnError })

        // A Gram cache filled by one run serves the next without forwards and changes nothing.
        let cache = CalibrationGramCache(windows: windows)
        let filling = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows, gramCache: cache)
        XCTAssertEqual(cache.hits, 0)
        let served = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows, gramCache: cache)
        XCTAssertEqual(cache.hits, 1)
        for (id, w) in result.weights {
            XCTAssertEqual(filling.weights[id], w, "\(id)")
            XCTAssertEqual(served.weights[id], w, "\(id)")
        }
        XCTAssertEqual(served.stats.map(\.rtnError), result.stats.map(\.rtnError))
        // Other windows are not served from it.
        _ = try PlanApplier(model: model, formats: formats, options: rtnOptions).run(windows: Array(windows.dropLast()), gramCache: cache)
        XCTAssertEqual(cache.hits, 1)
    }
}
