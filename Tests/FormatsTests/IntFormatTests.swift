import TensorCore
@testable import Formats
import TestSupport
import XCTest

final class IntFormatTests: XCTestCase {
    private struct Case {
        let label: String
        let format: String
        let row: [Float]
        let scale: Float
        let codes: [UInt8]
        let zero: UInt8?
        let values: [Float]
    }

    // Hand-computed. Symmetric codes are u = q + 2^(b-1); the scale is negative when max |w| is on the
    // positive side (AutoRound's full range: that end maps to -2^(b-1)).
    private let cases: [Case] = [
        Case(label: "hi dominates: negative scale, +1 on code -8", format: "int4/g32", row: [1, -0.5, 0.25, 0],
             scale: -0.125, codes: [0, 12, 6, 8], zero: nil, values: [1, -0.5, 0.25, -0.0]),
        Case(label: "lo dominates; 7.5 ties to 8 then saturates at the largest code 7", format: "int4/g32",
             row: [-1, 0.5, 0.875, 0.9375], scale: 0.125, codes: [0, 12, 15, 15], zero: nil,
             values: [-1, 0.5, 0.875, 0.875]),
        Case(label: "ties to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2", format: "int4/g32",
             row: [-1, 0.0625, 0.1875, -0.3125], scale: 0.125, codes: [0, 8, 10, 6], zero: nil,
             values: [-1, 0, 0.25, -0.25]),
        Case(label: "all-zero group (and -0): scale +fp16(1e-5)", format: "int4/g32", row: [0, -0.0, 0, 0],
             scale: IntGroupQuantizer.minScale, codes: [8, 8, 8, 8], zero: nil, values: [0, 0, 0, 0]),
        Case(label: "int2 equal ends: hi wins, -1 saturates at code +1", format: "int2/g32", row: [1, -1, 0.5, 0.25],
             scale: -0.5, codes: [0, 3, 1, 2], zero: nil, values: [1, -0.5, 0.5, -0.0]),
        Case(label: "int3: amax exactly on code -4", format: "int3/g32", row: [3, -1, 2.25, 0.375],
             scale: -0.75, codes: [0, 5, 1, 4], zero: nil, values: [3, -0.75, 2.25, -0.0]),
        Case(label: "int8: 127.5 ties to 128 then saturates at 127", format: "int8/g32", row: [-128, 127.5, 126.5, -0.5],
             scale: 1, codes: [0, 255, 254, 128], zero: nil, values: [-128, 127, 126, -0.0]),
        Case(label: "asymmetric: scale fp16(0.2) = 0.199951171875, zero point 5", format: "int4a/g32",
             row: [-1, 0.5, 2, 0], scale: 0.199951171875, codes: [0, 8, 15, 5], zero: 5,
             values: [-0.999755859375, 0.599853515625, 1.99951171875, 0]),
        Case(label: "asymmetric, all positive: lo = 0, zero point 0", format: "int2a/g32", row: [3, 1.5, 0.75, 0],
             scale: 1, codes: [3, 2, 1, 0], zero: 0, values: [3, 2, 1, 0]),
    ]

    func testEdgeCaseTable() throws {
        for c in cases {
            let q = try QuantFormat(parsing: c.format).quantizer
            let t = try q.quantize(weights: matrix([c.row]), name: "t")
            XCTAssertEqual(t.scales, [c.scale], c.label)
            XCTAssertEqual(byteCodes(t), c.codes, c.label)
            XCTAssertEqual(t.zeroPoints?.first, c.zero, c.label)
            assertBitIdentical(try q.dequantize(t).data, c.values.map { $0 == 0 ? (c.scale < 0 ? -0.0 : 0.0) : $0 }, c.label)
            assertBitIdentical(try q.fakeQuantize(matrix([c.row])).data, try q.dequantize(t).data, c.label)
        }
    }

    func testScaleIsRoundedToFP16() throws {
        // max 1, lo 0: fp16(-1/8) exact; fp16((0.3 + 0.1) / 15) is not exact and must be used as stored.
        let t = try QuantFormat(parsing: "int4a/g32").quantizer.quantize(weights: matrix([[-0.1, 0.3]]), name: "t")
        let raw = Float(0.4) / 15
        XCTAssertNotEqual(t.scales[0], raw)
        XCTAssertEqual(t.scales[0], Float(Float16(raw)))
    }

    func testGroupsRunAlongInputsWithShortLastGroup() throws {
        // 40 inputs in groups of 32: group 0 = columns 0-31 (max 2), group 1 = columns 32-39 (max 4).
        var row = [Float](repeating: 0.5, count: 40)
        row[3] = 2
        row[35] = 4
        let t = try QuantFormat(parsing: "int4/g32").quantizer.quantize(weights: matrix([row, row.map { -$0 }]), name: "t")
        XCTAssertEqual([t.scaleRows, t.scaleCols], [2, 2])
        XCTAssertEqual(t.scales, [-0.25, -0.5, 0.25, 0.5])
    }

    func testSignRoundAdjustments() throws {
        let q = try QuantFormat(parsing: "int4/g32").quantizer
        let w = matrix([[1, -0.5, 0.25, 0]])
        // alpha = 0.5 halves hi: scale -0.0625; 1 -> -16 clamps to code 0; -0.5 -> 8 clamps to 15.
        let clipped = try q.quantize(weights: w, name: "t", adjustments: RoundingAdjustments(maxClip: [0.5]))
        XCTAssertEqual(clipped.scales, [-0.0625])
        XCTAssertEqual(byteCodes(clipped), [0, 15, 4, 8])
        // V shifts the scaled weight before rounding: -4 + 0.5 = -3.5 -> -4 (even); 2 - 0.5 = 1.5 -> 2.
        let shifted = try q.quantize(weights: matrix([[-1, 0.0625, 0.1875, -0.3125]]), name: "t",
                                     adjustments: RoundingAdjustments(offsets: [0, 0.5, -0.5, 0.5]))
        XCTAssertEqual(byteCodes(shifted), [0, 9, 9, 6])
        // Neutral adjustments reproduce round-to-nearest; fast path agrees with reference.
        let g = gaussian(rows: 3, cols: 70, seed: 5)
        let neutral = RoundingAdjustments(offsets: [Float](repeating: 0, count: 210), maxClip: [1, 1, 1, 1, 1, 1, 1, 1, 1],
                                          minClip: [Float](repeating: 1, count: 9))
        XCTAssertEqual(try q.quantize(weights: g, name: "g", adjustments: neutral), try q.quantize(weights: g, name: "g"))
        var rng = SplitMix64(seed: 9)
        let random = RoundingAdjustments(offsets: (0..<210).map { _ in rng.nextUnitFloat() - 0.5 },
                                         maxClip: (0..<9).map { _ in 0.5 + rng.nextUnitFloat() / 2 },
                                         minClip: (0..<9).map { _ in 0.5 + rng.nextUnitFloat() / 2 })
        assertBitIdentical(try q.fakeQuantize(g, name: "g", adjustments: random).data,
                           try q.referenceFakeQuantize(g, name: "g", adjustments: random).data, "adjusted")
        XCTAssertThrowsError(try q.quantize(weights: g, name: "g", adjustments: RoundingAdjustments(maxClip: [1]))) {
            XCTAssertTrue($0.localizedDescription.contains("'g'"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try q.quantize(weights: g, name: "g",
                                            adjustments: RoundingAdjustments(offsets: [Float](repeating: 0.6, count: 210))))
    }
}
