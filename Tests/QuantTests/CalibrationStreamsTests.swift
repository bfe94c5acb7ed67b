import Foundation
import TensorCore
import TestSupport
@testable import Formats
@testable import Model
@testable import Quant
import XCTest

/// Calibration streams: skipped window starts leave exactly their own tokens' contributions out.
final class CalibrationStreamsTests: XCTestCase {
    func testSkippedPositionsRemoveExactlyTheFirstTokens() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let windows = (0..<3).map { TinyModel.tokens(10, seed: 40 + UInt64($0)) }
        let weights = try model.loadBlock(0)
        let all = try CalibrationStreams(model: model, windows: windows, quantizedInput: true).grams(block: 0, weights: weights)
        let skipped = try CalibrationStreams(model: model, windows: windows, quantizedInput: true, skippedPositions: 1)
            .grams(block: 0, weights: weights)
        // Causal attention: a window's first position computes the same activations alone.
        let firsts = try CalibrationStreams(model: model, windows: windows.map { [$0[0]] }, quantizedInput: true)
            .grams(block: 0, weights: weights)
        for site in LinearInputSite.allCases {
            XCTAssertEqual(all[site]!.tokens, 30)
            XCTAssertEqual(skipped[site]!.tokens, 27)
            let a = all[site]!, s = skipped[site]!, f = firsts[site]!
            // Every statistic is a sum over tokens: all - skipped = the first tokens alone.
            var sums = [(a.quantized!, s.quantized!, f.quantized!)]
            if let original = a.original, let cross = a.cross {
                sums += [(original, s.original!, f.original!), (cross, s.cross!, f.cross!)]
            }
            for kind in site.layers {
                guard let terms = a.outputTerms[kind] else { continue }
                sums.append((terms.crossTerm, s.outputTerms[kind]!.crossTerm, f.outputTerms[kind]!.crossTerm))
                XCTAssertEqual(terms.constant - s.outputTerms[kind]!.constant, f.outputTerms[kind]!.constant,
                               accuracy: 1e-6 * max(1, terms.constant), "\(kind)")
            }
            XCTAssertEqual(sums.count, site == .mlpHidden ? 2 : 3, "\(site): down's terms come from its outputs")
            for (ma, ms, mf) in sums {
                for i in ma.data.indices {
                    XCTAssertEqual(ma.data[i] - ms.data[i], mf.data[i], accuracy: 1e-4 * max(1, abs(ma.data[i])), "\(site)")
                }
            }
        }
        XCTAssertThrowsError(try CalibrationStreams(model: model, windows: windows, quantizedInput: false, skippedPositions: 10))
    }

    /// Where E and c0 come from down's outputs, they equal W (Hqq - Hxq) and ||(Xq - X) W^T||^2 summed
    /// in Double over the kept positions of streams that differ (block 0 advanced with down scaled by
    /// 1.1), across chunks of one window.
    func testOutputTermsEqualTheGramFormOnDivergedStreams() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 5), ropeLayout: .rotateHalf)
        let L = 12, skip = 2
        let windows = (0..<2).map { TinyModel.tokens(L, seed: 60 + UInt64($0)) }
        let streams = try CalibrationStreams(model: model, windows: windows, quantizedInput: true, samplesPerChunk: 1,
                                             skippedPositions: skip)
        XCTAssertTrue(streams.termsFromOutputs(.mlpHidden))  // 2 x 64 outputs < 3 x 128 inputs
        XCTAssertFalse(streams.termsFromOutputs(.attentionInput))  // 2 x (64 + 32 + 32) outputs > 3 x 64
        XCTAssertFalse(streams.termsFromOutputs(.attentionOutput))
        let first = try model.loadBlock(0)
        _ = streams.grams(block: 0, weights: first)
        var scaled = first
        scaled[.down] = Matrix(rows: first[.down].rows, cols: first[.down].cols, data: first[.down].data.map { 1.1 * $0 })
        streams.advanceQuantized(block: 0, weights: scaled)
        let second = try model.loadBlock(1)
        func downInputs(_ hidden: Matrix) -> [Float] {
            var h = hidden, inputs: [Float] = []
            model.forwardBlock(index: 1, weights: second, hidden: &h, sequenceLength: L) { site, x, _, _ in
                if site == .mlpHidden { inputs = Array(x) }
            }
            return inputs
        }
        let x = downInputs(streams.original), xq = downInputs(streams.quantized!)
        let terms = try XCTUnwrap(streams.grams(block: 1, weights: second)[.mlpHidden]?.outputTerms[.down])
        let w = second[.down], n = w.cols
        var e = [Double](repeating: 0, count: w.rows * n), c0 = 0.0
        for t in 0..<(windows.count * L) where t % L >= skip {
            for o in 0..<w.rows {
                var d = 0.0  // row o of (Xq - X) W^T at token t
                for i in 0..<n { d += Double(w[o, i]) * Double(xq[t * n + i] - x[t * n + i]) }
                c0 += d * d
                for j in 0..<n { e[o * n + j] += d * Double(xq[t * n + j]) }
            }
        }
        let largest = e.map(abs).max()!
        XCTAssertGreaterThan(c0, 1e-3, "the streams differ")
        XCTAssertEqual(terms.constant, c0, accuracy: 1e-4 * c0)
        for k in e.indices { XCTAssertEqual(Double(terms.crossTerm.data[k]), e[k], accuracy: 1e-4 * largest) }
    }
}
