import TensorCore
@testable import Formats
@testable import Quant
import XCTest

/// The step Gram: Hqq scaled by a power of two into half precision, never overflowing, each entry
/// within 2^-11 relative of the exact one.
final class SignRoundStepGramTests: XCTestCase {
    func testScalesTheLargestEntryBelowTwoToTheFifteen() {
        // Largest entry 3e9 = 1.397 x 2^31: e = 31 - 14 = 17, so 3e9 / 2^17 = 22888.2 lies in [2^14, 2^15).
        let h = Matrix(rows: 2, cols: 2, data: [3e9, -1e-3, -1e-3, 7.25])
        let g = SignRoundStepGram(h)
        XCTAssertEqual(g.scale, 131072)
        XCTAssertEqual(Float(g.half[0]), 22888, accuracy: 8)
        XCTAssertTrue(g.half.allSatisfy { $0.isFinite })
        for (exact, rounded) in zip(h.data, g.widened.data) {
            XCTAssertEqual(rounded, exact, accuracy: exact.magnitude * 0x1p-11 + g.scale * 0x1p-25)
        }
        // widened is exactly scale x half: no second rounding.
        for (half, wide) in zip(g.half, g.widened.data) { XCTAssertEqual(Float(half) * g.scale, wide) }
        // 7.25 / 2^17 is a half-precision subnormal; its absolute error stays below 2^-25 x 2^17.
        XCTAssertEqual(g.widened.data[3], 7.25, accuracy: 0x1p-25 * 131072)
    }

    func testSmallAndZeroGrams() {
        // Largest entry 1e-6 = 1.049 x 2^-20: e = -34, so entries are scaled up, not flushed to zero.
        let tiny = SignRoundStepGram(Matrix(rows: 1, cols: 2, data: [1e-6, 3e-7]))
        XCTAssertEqual(tiny.scale, 0x1p-34)
        XCTAssertEqual(tiny.widened.data[0], 1e-6, accuracy: 1e-6 * 0x1p-11)
        XCTAssertEqual(tiny.widened.data[1], 3e-7, accuracy: 3e-7 * 0x1p-11)
        let zero = SignRoundStepGram(Matrix(rows: 2, cols: 2))
        XCTAssertEqual(zero.scale, 1)
        XCTAssertEqual(zero.widened.data, [0, 0, 0, 0])
    }
}
