import TensorCore
import TestSupport
@testable import Formats
import XCTest

/// ggml block types: geometry, the rounding primitives, and edge-case blocks whose expected bytes
/// come from llama.cpp 0c1e570's quantizers (as in `GGMLQuantizerTests`).
final class GGMLEdgeCaseTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func row(_ n: Int, _ values: [Int: Float]) -> Matrix {
        var x = [Float](repeating: 0, count: n)
        for (j, v) in values { x[j] = v }
        return Matrix(rows: 1, cols: n, data: x)
    }

    func testGeometry() {
        // ggml.h type ids; ggml-common.h block sizes and sizeof(block_*).
        let table: [(GGMLBlockType, UInt32, Int, Int, Double)] = [
            (.q8_0, 8, 32, 34, 8.5), (.q4_0, 2, 32, 18, 4.5), (.q5_0, 6, 32, 22, 5.5),
            (.q4_K, 12, 256, 144, 4.5), (.q5_K, 13, 256, 176, 5.5), (.q6_K, 14, 256, 210, 6.5625),
            (.q2_K, 10, 256, 84, 2.625), (.q3_K, 11, 256, 110, 3.4375), (.q4_1, 3, 32, 20, 5.0), (.q5_1, 7, 32, 24, 6.0),
        ]
        XCTAssertEqual(table.map(\.0), GGMLBlockType.allCases)
        for (type, id, block, bytes, bpw) in table {
            XCTAssertEqual(type.typeID, id, type.name)
            XCTAssertEqual(GGMLBlockType(typeID: id), type)
            XCTAssertEqual(type.blockSize, block, type.name)
            XCTAssertEqual(type.bytesPerBlock, bytes, type.name)
            XCTAssertEqual(type.bitsPerWeight, bpw, type.name)
            XCTAssertEqual(type.rowBytes(cols: 1536), 1536 / block * bytes)
        }
        XCTAssertNil(GGMLBlockType(typeID: 39))  // GGML_TYPE_MXFP4: not one of these (Guides/Formats/GGML.md, MXFP4)
        XCTAssertEqual(GGMLBlockType.allCases.filter(\.storesMinimum), [.q4_K, .q5_K, .q2_K, .q4_1, .q5_1])
        XCTAssertEqual(GGMLBlockType.q4_K.name, "q4_K")
        // SmolLM2's 576-wide rows fit the 32-weight blocks but not the k-quants' 256.
        XCTAssertTrue(GGMLBlockType.q4_0.fits(cols: 576))
        XCTAssertFalse(GGMLBlockType.q4_K.fits(cols: 576))
        XCTAssertFalse(GGMLBlockType.q8_0.fits(cols: 0))
        XCTAssertFalse(GGMLBlockType.q8_0.usesImportance)
        XCTAssertTrue(GGMLBlockType.q2_K.usesImportance)
    }

    func testNearestIntRoundsHalfToEvenAndWrapsLikeTheReference() {
        let cases: [(Float, Int)] = [
            (0.5, 0), (1.5, 2), (2.5, 2), (-0.5, 0), (-1.5, -2), (-2.5, -2), (0.49999997, 0), (-0.0, 0),
            (4_194_303, 4_194_303), (-4_194_303, -4_194_303),
            (.infinity, -4_194_304), (-.infinity, -4_194_304),  // outside |x| <= 4194303: the bit trick's value
        ]
        for (x, expected) in cases { XCTAssertEqual(GGMLArithmetic.nearestInt(x), expected, "nearestInt(\(x))") }
    }

    func testTruncationFollowsX86ForOutOfRangeValues() {
        XCTAssertEqual(GGMLArithmetic.truncatedInt32(-2.7), -2)
        XCTAssertEqual(GGMLArithmetic.truncatedInt32(16.9), 16)
        XCTAssertEqual(GGMLArithmetic.truncatedInt32(-2_147_483_648), Int32.min)
        for bad: Float in [.nan, .infinity, -.infinity, 3e9, -3e9] {
            XCTAssertEqual(GGMLArithmetic.truncatedInt32(bad), Int32.min, "\(bad)")
        }
    }

    func testLegacyBlocksRoundingRules() throws {
        // q8_0, amax 127 so d = 1 (0x3c00): round half away from zero (roundf): 0.5 -> 1, -0.5 -> -1 (0xff),
        // 2.5 -> 3, -2.5 -> -3 (0xfd), 126.5 -> 127.
        let q8 = try GGMLBlockQuantizer.quantize(row(32, [0: 127, 1: 0.5, 2: -0.5, 3: 2.5, 4: -2.5, 5: 126.5]), type: .q8_0, name: "t")
        XCTAssertEqual(hex(q8), "003c7f01ff03fd7f" + String(repeating: "00", count: 26))
        // q4_0, max -8 so d = 1: code trunc(x + 8.5), half rounds up: 0.5 -> 9, -0.5 -> 8, 1.5 -> 10,
        // -7.5 -> 1, 7.5 -> 16 capped at 15; weight 16 = 6.49 -> 14 (high nibble of byte 0).
        let q4 = try GGMLBlockQuantizer.quantize(row(32, [0: -8, 1: 0.5, 2: -0.5, 3: 7.5, 4: 1.5, 5: -7.5, 16: 6.49]), type: .q4_0, name: "t")
        XCTAssertEqual(hex(q4), "003ce089888f8a81" + String(repeating: "88", count: 10))
        // q5_0, max -16 so d = 1: 15.5 -> 32 capped at 31; weight 0 (code 0) is the only one without a fifth bit.
        let q5 = try GGMLBlockQuantizer.quantize(row(32, [0: -16, 1: 0.5, 2: -0.5, 3: 15.5, 17: 2.5]), type: .q5_0, name: "t")
        XCTAssertEqual(hex(q5), "003cfeffffff0031000f" + String(repeating: "00", count: 12))
    }

    func testLegacyBlocksWithMinimumRoundingRules() throws {
        // q4_1, min -1 and max 14 so d = 1 (0x3c00), m = -1 (0xbc00): code trunc(x + 1 + 0.5), half up:
        // -0.5 -> 1 (byte 2), 0.5 -> 2 (byte 3), 13.5 -> 15 (byte 4); byte 0 = 0x30: weight 0 code 0,
        // weight 16 (2.49) code 3; every 0 -> 1.
        let q4 = try GGMLBlockQuantizer.quantize(row(32, [0: -1, 1: 14, 2: -0.5, 3: 0.5, 4: 13.5, 16: 2.49]), type: .q4_1, name: "t")
        XCTAssertEqual(hex(q4), "003c00bc301f11121f" + String(repeating: "11", count: 11))
        // q5_1, min -1 and max 30 so d = 1: 29.5 -> 31. qh = 0x0002000a: the fifth bit of weights 1 (31),
        // 3 (31) and 17 (15 -> 16, low nibble 0 in byte 1's high half); byte 0 = 0x10: weight 0 code 0.
        let q5 = try GGMLBlockQuantizer.quantize(row(32, [0: -1, 1: 30, 2: -0.5, 3: 29.5, 17: 15]), type: .q5_1, name: "t")
        XCTAssertEqual(hex(q5), "003c00bc0a000200100f111f" + String(repeating: "11", count: 12))
    }

    func testAllZeroBlocks() throws {
        // The reference q4_0/q5_0 divide 0 by -8/-16: d = -0 (0x8000) and codes at the midpoint (8, 16);
        // every other case stores zero bytes (d = 0; make_qx_quants sets all codes to 0).
        for type in GGMLBlockType.allCases {
            let zero = Matrix(rows: 1, cols: type.blockSize, repeating: 0)
            let ref = try GGMLBlockQuantizer.quantize(zero, type: type, name: "zero")
            let imp = try GGMLBlockQuantizer.quantize(zero, type: type, importance: [Float](repeating: 1, count: type.blockSize), name: "zero")
            switch type {
            case .q4_0: XCTAssertEqual(hex(ref), "0080" + String(repeating: "88", count: 16))
            case .q5_0: XCTAssertEqual(hex(ref), "0080ffffffff" + String(repeating: "00", count: 16))
            default: XCTAssertEqual(ref, [UInt8](repeating: 0, count: type.bytesPerBlock), type.name)
            }
            XCTAssertEqual(imp, [UInt8](repeating: 0, count: type.bytesPerBlock), "\(type.name) importance")
            let back = try GGMLBlockQuantizer.dequantize(ref, type: type, rows: 1, cols: type.blockSize, name: "zero")
            XCTAssertTrue(back.data.allSatisfy { $0 == 0 }, type.name)
        }
    }

    func testRowsAreIndependentOfHowTheyAreBatched() throws {
        // The parallel driver must give each row the bytes it gets alone (the importance path's q4_0/q5_0
        // use a whole-row mean square, so a row is the unit).
        let w = GGMLFixtures.mixed(rows: 7, cols: 768, seed: 11)
        let importance = GGMLFixtures.importance(cols: 768, seed: 12)
        for type in GGMLBlockType.allCases {
            let all = try GGMLBlockQuantizer.quantize(w, type: type, importance: importance, name: "w")
            var single = [UInt8]()
            for r in 0..<w.rows {
                let one = Matrix(rows: 1, cols: w.cols, data: Array(w.data[(r * w.cols)..<((r + 1) * w.cols)]))
                single += try GGMLBlockQuantizer.quantize(one, type: type, importance: importance, name: "w")
            }
            XCTAssertEqual(all, single, type.name)
        }
    }

    func testQuantizeDequantizeErrorIsSmall() throws {
        // Sanity bounds on the round trip of N(0, 1) rows: relative squared error per type, loose enough
        // for every seed yet failing if a layout or sign is wrong.
        let w = gaussian(rows: 8, cols: 512, seed: 3)
        let bounds: [GGMLBlockType: Double] = [.q8_0: 1e-4, .q6_K: 1e-3, .q5_K: 4e-3, .q5_0: 4e-3, .q5_1: 4e-3,
                                                .q4_K: 1.5e-2, .q4_0: 1.5e-2, .q4_1: 1.5e-2, .q3_K: 6e-2, .q2_K: 0.15]
        for type in GGMLBlockType.allCases {
            let bytes = try GGMLBlockQuantizer.quantize(w, type: type, name: "g")
            let back = try GGMLBlockQuantizer.dequantize(bytes, type: type, rows: 8, cols: 512, name: "g")
            let error = relativeMSE(w, back)
            XCTAssertLessThan(error, try XCTUnwrap(bounds[type]), type.name)
            XCTAssertGreaterThan(error, 0, type.name)
        }
    }
}
