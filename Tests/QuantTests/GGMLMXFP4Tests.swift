import Formats
import Model
import TensorCore
import TestSupport
import XCTest

/// ggml's MXFP4 (`GGML_TYPE_MXFP4` = 39, `block_mxfp4`: an E8M0 byte e, then 16 bytes of 4-bit codes,
/// weight j in the low nibble of byte 1 + j and weight j + 16 in the high one; w = k[q] * 2^(e - 128)
/// with k = `kvalues_mxfp4`, twice the E2M1 values) against AutoScheme's OCP `mxfp4`.
///
/// The two share the grid: an OCP block (scale 2^s, E2M1 codes) is the block_mxfp4 with e = s + 127 and
/// the same codes, value for value. Their quantizers differ: llama.cpp 0c1e570's `quantize_row_mxfp4_ref`
/// rounds a tie to the smaller magnitude (its search keeps the first of equal errors) where OCP rounds
/// to even, and takes the exponent from floorf(log2f(amax)), which for an amax a few ulps below a power
/// of two is rounded up to it. Expected bytes and floats below were written by llama.cpp's
/// `quantize_mxfp4` and `dequantize_row_mxfp4` (libggml-base, CMake Release build) for the same floats.
final class GGMLMXFP4Tests: XCTestCase {
    private func readerDecode(_ bytes: [UInt8], count: Int) -> [Float] {
        XCTAssertTrue(GGUFDequant.canDecode(.mxfp4))
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { GGUFDequant.decode(.mxfp4, src, into: $0.baseAddress!, count: count) }
        }
        return out
    }

    /// A 1 x 64 row. Block 0 (amax 7, scale 2^0): the E2M1 ties 0.75, 1.75, 3.5 and their negatives at
    /// 1...6, 0.25, 2.5, 5 (ties that both rules break alike) at 7...9, -0.1 at 10, the clipped 7 at 16,
    /// -6, 1.25, 0.5 at 17...19. Block 1: amax 2^-5 one ulp short (0.031249998) at 32, 0.01, -0.02.
    static func tieRow() -> Matrix {
        var x = [Float](repeating: 0, count: 64)
        let values: [Int: Float] = [0: 6, 1: 0.75, 2: 1.75, 3: 3.5, 4: -0.75, 5: -1.75, 6: -3.5, 7: 0.25, 8: 2.5, 9: 5,
                                    10: -0.1, 16: 7, 17: -6, 18: 1.25, 19: 0.5]
        for (j, v) in values { x[j] = v }
        x[32] = Float(sign: .plus, exponent: -5, significand: 1).nextDown
        x[33] = 0.01
        x[34] = -0.02
        return Matrix(rows: 1, cols: 64, data: x)
    }

    /// llama.cpp's bytes for `tieRow`.
    static let llamaCppBytes = GGMLFixtures.bytes(hex: "7f77f12315090b0d0004060000000000007806030d00000000000000000000000000")

    /// The floats llama.cpp's `dequantize_row_mxfp4` gives for `llamaCppBytes`.
    static let llamaCppValues: [Float] = {
        var y = [Float](repeating: 0, count: 64)
        for (j, v) in [Float(6), 0.5, 1.5, 3, -0.5, -1.5, -3, 0, 2, 4].enumerated() { y[j] = v }
        for (j, v) in [Float(6), -6, 1, 0.5].enumerated() { y[16 + j] = v }
        for (j, v) in [Float(0.03125), 0.01171875, -0.0234375].enumerated() { y[32 + j] = v }
        return y
    }()

    func testReaderDecodesLlamaCppsBytes() {
        // Byte 0 = 0x7f: e = 127, d = 2^-1, so code 7 (k = 12) is 6. Byte 1 = 0x77: weights 0 and 16 code 7
        // (7 saturates at 6). Byte 2 = 0xf1: weight 1 (0.75) code 1 -> 0.5, weight 17 code 0xf (k = -12) -> -6.
        // Byte 17 = 0x78: block 1's e = 120 (d = 2^-8); byte 18 = 0x06: weight 32 code 6 (k = 8) -> 0.03125.
        assertBitIdentical(readerDecode(Self.llamaCppBytes, count: 64), Self.llamaCppValues, "block_mxfp4")
        // Arbitrary bytes (every scale byte, e = 0 and 1 subnormal) decode as ggml's formula, code for code.
        var rng = SplitMix64(seed: 3)
        var bytes = [UInt8]()
        for e in 0..<256 {
            bytes.append(UInt8(e))
            for _ in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        }
        let decoded = readerDecode(bytes, count: 256 * 32)
        let k: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]
        for b in 0..<256 {
            let d = Float(sign: .plus, exponent: b - 128, significand: 1)
            for j in 0..<16 {
                let byte = bytes[17 * b + 1 + j]
                XCTAssertEqual(decoded[32 * b + j], k[Int(byte & 0xF)] * d, "block \(b) weight \(j)")
                XCTAssertEqual(decoded[32 * b + j + 16], k[Int(byte >> 4)] * d, "block \(b) weight \(j + 16)")
            }
        }
    }

    /// llama.cpp's rounding is not OCP's: on `tieRow` the OCP quantizer takes 1, 2, 4 for the ties where
    /// llama.cpp takes 0.5, 1.5, 3, and block 1's exponent one lower (byte 119: 7.9999995 saturates at 6,
    /// 0.0234375, where llama.cpp's 2^-5 scale keeps 0.03125). Everything else agrees.
    func testLlamaCppRoundsTiesToTheSmallerMagnitude() throws {
        let w = Self.tieRow()
        let ocp = try QuantFormat.mxfp4.quantizer.fakeQuantize(w, name: "ties", adjustments: nil).data
        let differing = ocp.indices.filter { ocp[$0] != Self.llamaCppValues[$0] }
        XCTAssertEqual(differing, [1, 2, 3, 4, 5, 6, 32])
        XCTAssertEqual(differing.map { ocp[$0] }, [1, 2, 4, -1, -2, -4, 0.0234375])
        XCTAssertEqual(MXFP4Quantizer.sharedExponent(amax: w[0, 32]) + 127, 119)
        XCTAssertEqual(Self.llamaCppBytes[17], 120)
    }

    /// Any OCP block, rounded to nearest or tuned by SignRound (offsets, clipped maxima), is a block_mxfp4
    /// of the same values: e = s + 127, codes as they are (ggml's k[q] / 2 is E2M1 code q's value). Only
    /// the sign of a zero is lost (ggml's code 8 decodes to +0).
    func testOCPBlocksAreBlockMXFP4Values() throws {
        let quantizer = MXFP4Quantizer(format: .mxfp4)
        var rng = SplitMix64(seed: 11)
        for (trial, scale) in [Float(0.02), 1, 1e-30, 1e-38, 1e30, 1e37, 3e-3].enumerated() {
            let w = gaussian(rows: 6, cols: 128, seed: UInt64(40 + trial), sigma: scale)
            let tuned = RoundingAdjustments(offsets: (0..<w.count).map { _ in rng.nextUnitFloat() - 0.5 },
                                            maxClip: (0..<(6 * 4)).map { _ in 0.5 + 0.5 * rng.nextUnitFloat() })
            for adjustments in [nil, tuned] {
                let q = try quantizer.quantize(weights: w, name: "w", adjustments: adjustments)
                let ours = try quantizer.dequantize(q).data
                let reader = readerDecode(Self.blockMXFP4(q), count: w.count)
                XCTAssertEqual(ours, reader, "scale \(scale) tuned \(adjustments != nil)")
            }
        }
    }

    /// An OCP `mxfp4` tensor's blocks in block_mxfp4's layout. - Precondition: cols a multiple of 32.
    static func blockMXFP4(_ q: QuantizedTensor) -> [UInt8] {
        guard case let .bytes(codes) = q.codes else {
            XCTFail("\(q.name): mxfp4 codes are one byte per weight")
            return []
        }
        var out = [UInt8]()
        for (b, s) in q.scales.enumerated() {
            XCTAssertEqual(s.significand, 1, "scale \(s) is a power of two")
            out.append(UInt8(Int(s.exponent) + 127))
            let c = Array(codes[(32 * b)..<(32 * b + 32)])
            for j in 0..<16 { out.append(c[j] | c[j + 16] << 4) }
        }
        return out
    }
}
