import TensorCore
import TestSupport
@testable import Quant
@testable import Formats
import XCTest

/// Importance-weighted RTN: a scale computed by hand, never above plain RTN's weighted error, typed errors.
final class ImportanceWeightedRTNTests: XCTestCase {
    /// One group of 4, int2 symmetric, w = [1, 0.3, -0.3, 0.3], importance h = [0.01, 1, 1, 1].
    ///
    /// Plain RTN: hi = 1 dominates, s = -1/2 = -0.5; w/s = [-2, -0.6, 0.6, -0.6] rounds to
    /// [-2, -1, 1, -1], Q = [1, 0.5, -0.5, 0.5]: weighted error 3 x 0.2^2 = 0.12.
    /// Clip 0.6: s = fp16(-0.3) = -0.300048828125; 1/s = -3.33 clamps to -2 (Q = 0.60010), the others
    /// round to -1, 1, -1 (Q = +-0.30005): error 0.01 x 0.39990^2 + 3 x (4.9e-5)^2 = 0.0015992.
    /// Neighbours: clip 0.625 (s = 0.3125) 0.01 x 0.375^2 + 3 x 0.0125^2 = 0.001875; clip 0.575
    /// 0.01 x 0.425^2 + 3 x 0.0125^2 = 0.00227; so 0.6 is the grid's best. Plain RTN keeps clip 1.
    func testPicksTheHandComputedScaleThatPlainRTNMisses() throws {
        let w = matrix([[1, 0.3, -0.3, 0.3]])
        let format = intFormat(bits: 2, group: 4, symmetric: true)
        let h: [Float] = [0.01, 1, 1, 1]
        let a = try XCTUnwrap(ImportanceWeightedRTN.search(weights: w, format: format, importance: h))
        XCTAssertEqual(a.maxClip, [0.6])
        XCTAssertEqual(a.minClip, [0.6])
        let q = try format.quantizer.fakeQuantize(w, name: "w", adjustments: a)
        let plain = try format.quantizer.fakeQuantize(w)
        XCTAssertEqual(plain.data, [1, 0.5, -0.5, 0.5])
        let e = ImportanceWeightedRTN.groupErrors(weights: w, candidate: q, importance: h, groupSize: 4)[0]
        let e0 = ImportanceWeightedRTN.groupErrors(weights: w, candidate: plain, importance: h, groupSize: 4)[0]
        XCTAssertEqual(e0, 0.12, accuracy: 1e-6)
        XCTAssertEqual(e, 0.0015992, accuracy: 1e-6)
        // The same group with the outlier important: the outlier's own error dominates, and a clip that
        // keeps it close wins (never the 0.6 above).
        let b = try XCTUnwrap(ImportanceWeightedRTN.search(weights: w, format: format, importance: [100, 1, 1, 1]))
        XCTAssertGreaterThan(b.maxClip![0], 0.9)
    }

    /// Random layers in every tunable format: per group, the weighted error is never above plain RTN's,
    /// and below it on most groups of the low-bit formats; the clips pack through `quantize`.
    func testNeverAbovePlainRTNGroupByGroup() throws {
        var rng = SplitMix64(seed: 7)
        let h = (0..<128).map { _ in Float(0.01) + 4 * rng.nextGaussian() * rng.nextGaussian() }
        for (name, format) in [("int2", intFormat(bits: 2, group: 32, symmetric: true)),
                               ("int3a", intFormat(bits: 3, group: 32, symmetric: false)),
                               ("mxfp4", try QuantFormat(parsing: "mxfp4")), ("nvfp4", try QuantFormat(parsing: "nvfp4"))] {
            let w = gaussian(rows: 16, cols: 128, seed: 11, sigma: 0.02)
            let a = try XCTUnwrap(ImportanceWeightedRTN.search(weights: w, format: format, importance: h.map { max($0, 0) }), name)
            let q = try format.quantizer.fakeQuantize(w, name: name, adjustments: a)
            XCTAssertEqual(try format.quantizer.referenceFakeQuantize(w, name: name, adjustments: a).data, q.data, name)
            let plain = try format.quantizer.fakeQuantize(w)
            let g = format.family == .int ? 32 : (format.family == .mxfp4 ? 32 : 16)
            let hp = h.map { max($0, 0) }
            let e = ImportanceWeightedRTN.groupErrors(weights: w, candidate: q, importance: hp, groupSize: g)
            let e0 = ImportanceWeightedRTN.groupErrors(weights: w, candidate: plain, importance: hp, groupSize: g)
            for i in e.indices { XCTAssertLessThanOrEqual(e[i], e0[i], "\(name) group \(i)") }
            XCTAssertLessThan(e.reduce(0, +), e0.reduce(0, +), name)
        }
    }

    func testFormatsWithoutClipsAndBadImportance() throws {
        let w = gaussian(rows: 4, cols: 128, seed: 3)
        XCTAssertNil(try ImportanceWeightedRTN.search(weights: w, format: try QuantFormat(parsing: "bf16"),
                                                      importance: [Float](repeating: 1, count: 128)))
        let int3 = intFormat(bits: 3, group: 32, symmetric: true)
        XCTAssertThrowsError(try ImportanceWeightedRTN.search(weights: w, format: int3, importance: [1, 2], name: "l")) {
            guard case .invalidAdjustments(let t, _)? = $0 as? QuantError else { return XCTFail("\($0)") }
            XCTAssertEqual(t, "l")
        }
        XCTAssertThrowsError(try ImportanceWeightedRTN.search(weights: w, format: int3,
                                                              importance: [Float](repeating: -1, count: 128)))
    }

    /// On a layer objective the searched clips never lose to plain RTN (the fallback keeps RTN).
    func testWeightedRTNNeverAbovePlainOnTheObjective() throws {
        for seed: UInt64 in [1, 2, 3] {
            let (w, objective) = try correlatedLayer(seed: seed, quantizedInput: false)
            let r = try SignRound.weightedRTN(weights: w, format: intFormat(bits: 2, group: 32, symmetric: true),
                                              objective: objective)
            XCTAssertLessThanOrEqual(r.bestLoss, r.rtnLoss)
        }
    }
}
