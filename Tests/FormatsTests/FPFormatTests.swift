import TensorCore
@testable import Formats
import TestSupport
import XCTest

final class FPFormatTests: XCTestCase {
    private func padded(_ head: [Float], to n: Int) -> [Float] { head + [Float](repeating: 0, count: n - head.count) }

    func testMXFP4EdgeCases() throws {
        let q = QuantFormat.mxfp4.quantizer
        // amax 6 -> e = floor(log2 6) - 2 = 0: ties to even, subnormal 0.5, -0, saturation at 6.
        let row0 = padded([6, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, -5.5, -0.0, 0.3], to: 32)
        // amax 7 -> e = 0 as well; 7 saturates to 6. amax 8 -> e = 1 (scale 2). amax 0.75 -> e = -3, on code 6.
        let rows: [[Float]] = [row0, padded([7, -7], to: 32), padded([8, 1], to: 32), padded([0.75, 0.0625], to: 32),
                               padded([], to: 32), padded([1e-39], to: 32)]
        let t = try q.quantize(weights: matrix(rows), name: "mx")
        XCTAssertEqual(t.scales, [1, 1, 2, 0.125, 0x1p-127, 0x1p-127])
        let c = byteCodes(t)
        XCTAssertEqual(Array(c[0..<11]), [0x7, 0x0, 0x2, 0x2, 0x4, 0x4, 0x6, 0x6, 0xF, 0x8, 0x1])
        XCTAssertEqual(Array(c[32..<34]), [0x7, 0xF])
        XCTAssertEqual(Array(c[64..<66]), [0x6, 0x1])
        XCTAssertEqual(Array(c[96..<98]), [0x7, 0x1])
        XCTAssertTrue(c[128...].allSatisfy { $0 == 0 })
        let d = try q.dequantize(t)
        XCTAssertEqual([d[1, 0], d[1, 1], d[2, 0], d[2, 1], d[3, 0], d[3, 1]], [6, -6, 8, 1, 0.75, 0.0625])
        XCTAssertEqual(MXFP4Quantizer.sharedExponent(amax: 1e-39), -127)
        XCTAssertEqual(MXFP4Quantizer.sharedExponent(amax: 0x1p127), 125)
        assertBitIdentical(try q.fakeQuantize(matrix(rows)).data, d.data, "mxfp4 fast")
    }

    func testNVFP4EdgeCases() throws {
        let q = QuantFormat.nvfp4.quantizer
        // Tensor amax 6 -> global 448. Block amaxes 6, 3, 0.001, 1e-7, 0 -> E4M3 scales 448, 224,
        // E4M3(0.0746667) = 0.078125, 0 (below E4M3's smallest subnormal / 2), 0.
        let rows: [[Float]] = [padded([6, -2.5, 0.25], to: 16), padded([3, 1.25], to: 16),
                               padded([0.001], to: 16), padded([1e-7], to: 16), padded([], to: 16)]
        let t = try q.quantize(weights: matrix(rows), name: "nv")
        XCTAssertEqual(t.globalScale, 448)
        XCTAssertEqual(t.scales, [448, 224, 0.078125, 0, 0])
        let c = byteCodes(t)
        XCTAssertEqual(Array(c[0..<3]), [0x7, 0xC, 0x0])
        XCTAssertEqual(Array(c[16..<18]), [0x7, 0x4])
        XCTAssertEqual(c[32], 0x7)
        XCTAssertEqual(c[48], 0x0)
        let d = try q.dequantize(t)
        XCTAssertEqual([d[0, 0], d[0, 1], d[1, 0], d[1, 1]], [6, -2, 3, 1])
        XCTAssertEqual(d[2, 0], 6 * (Float(0.078125) / 448))
        XCTAssertEqual(d[3, 0], 0)
        XCTAssertEqual(NVFP4Quantizer.globalScale(amax: 0), 1)
        assertBitIdentical(try q.fakeQuantize(matrix(rows)).data, d.data, "nvfp4 fast")
        // Block alpha scales the block amax only: alpha 0.5 on block 0 -> scale 224, 6 saturates to 3.
        let clipped = try q.quantize(weights: matrix(rows), name: "nv",
                                     adjustments: RoundingAdjustments(maxClip: [0.5, 1, 1, 1, 1]))
        XCTAssertEqual(clipped.scales[0], 224)
        XCTAssertEqual(try q.dequantize(clipped)[0, 0], 3)
        XCTAssertThrowsError(try q.quantize(weights: matrix(rows), name: "nv",
                                            adjustments: RoundingAdjustments(minClip: [1, 1, 1, 1, 1])))
    }

    func testFP8BlockEdgeCases() throws {
        let q = QuantFormat.fp8.quantizer
        // Block amax 448 -> weight_scale_inv 1: codes are E4M3 of the weights themselves.
        let w = matrix([[448, -1.0625, 0x1p-9, 0x1p-10, 0x1.8p-9, -0.0]])
        let t = try q.quantize(weights: w, name: "f8")
        XCTAssertEqual(t.scales, [1])
        XCTAssertEqual(byteCodes(t), [0x7E, 0xB8, 0x01, 0x00, 0x02, 0x80])
        // Alpha 0.5 -> scale_inv 0.5; 448 / 0.5 = 896 saturates at 448 -> 224.
        let clipped = try q.quantize(weights: w, name: "f8", adjustments: RoundingAdjustments(maxClip: [0.5]))
        XCTAssertEqual(clipped.scales, [0.5])
        XCTAssertEqual(try q.dequantize(clipped)[0, 0], 224)
        // 130 x 129 -> 2 x 2 scale grid; an all-zero block gets scale_inv 1 and zero codes.
        var big = Matrix(rows: 130, cols: 129)
        big[0, 0] = 896
        big[129, 128] = -3
        let b = try q.quantize(weights: big, name: "f8")
        XCTAssertEqual([b.scaleRows, b.scaleCols], [2, 2])
        XCTAssertEqual(b.scales, [2, 1, 1, Float(3) / 448])
        XCTAssertEqual(byteCodes(b)[0], 0x7E)
        XCTAssertEqual(try q.dequantize(b)[129, 128], -3)
    }

    func testBF16RoundsToNearestEven() throws {
        let q = QuantFormat.bf16.quantizer
        let w = matrix([[1 + 0x1p-8, 1 + 0x1.8p-7, -0.0, 3.3895314e38, 0x1p-133]])
        let t = try q.quantize(weights: w, name: "b")
        guard case let .halfWords(bits) = t.codes else { return XCTFail("bf16 codes") }
        XCTAssertEqual(bits, [0x3F80, 0x3F82, 0x8000, 0x7F7F, 0x0001])
        assertBitIdentical(try q.fakeQuantize(w).data, try q.dequantize(t).data, "bf16")
        XCTAssertThrowsError(try q.fakeQuantize(w, name: "b", adjustments: RoundingAdjustments()))
    }
}
