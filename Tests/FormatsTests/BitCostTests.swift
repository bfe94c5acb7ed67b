@testable import Formats
import XCTest

final class BitCostTests: XCTestCase {
    let big = TensorShape(rows: 4096, cols: 4096)

    private func bpw(_ name: String, _ convention: CostConvention, _ shape: TensorShape? = nil) throws -> Double {
        try QuantFormat(parsing: name).bitCost(shape: shape ?? big, convention: convention).bitsPerWeight
    }

    func testStorageCostsOf4096Square() throws {
        // int: b + 16/128 (fp16 scale per group), asymmetric + b/128 (stored zero point).
        let expected: [(String, Double)] = [
            ("int2", 2.125), ("int3", 3.125), ("int4", 4.125), ("int8", 8.125),
            ("int2a", 2.140625), ("int3a", 3.1484375), ("int4a", 4.15625), ("int8a", 8.1875),
            ("int4/g64", 4.25), ("int4a/g32", 4.625),
            ("mxfp4", 4.25), ("nvfp4", 4.5 + 32.0 / 16_777_216), ("fp8", 8 + 32.0 / 16_384), ("bf16", 16),
        ]
        for (name, value) in expected {
            XCTAssertEqual(try bpw(name, .storage), value, accuracy: 1e-12, name)
        }
    }

    func testAutoRoundConventionMatchesComputeLayerBits() throws {
        // compute_layer_bits: bits + (16 + bits) / 128 for every int format, bits + 8 / block for MX/NV FP4.
        let expected: [(String, Double)] = [
            ("W2A16", 2.140625), ("W3A16", 3.1484375), ("W4A16", 4.15625), ("W8A16", 8.1875),
            ("int4a", 4.15625), ("MXFP4", 4.25), ("NVFP4", 4.5), ("FP8_BLOCK", 8 + 16.0 / 16_384), ("BF16", 16),
        ]
        for (name, value) in expected {
            XCTAssertEqual(try bpw(name, .autoround), value, accuracy: 1e-12, name)
        }
        XCTAssertEqual(try bpw("W2A16", .autoround), 2.1406, accuracy: 5e-5)
        XCTAssertEqual(try bpw("W3A16", .autoround), 3.1484, accuracy: 5e-5)
        XCTAssertEqual(try bpw("W4A16", .autoround), 4.1562, accuracy: 5e-5)
    }

    func testBreakdownAndPadding() throws {
        // 576 inputs = 4.5 groups of 128: 5 scales per row (the short group has its own); codes need no
        // padding since 576 is a multiple of 32. 600 inputs pad to 608. AutoRound counts ceil groups too.
        let shape = TensorShape(rows: 3, cols: 576)
        let s = try QuantFormat(parsing: "int4a").bitCost(shape: shape, convention: .storage)
        XCTAssertEqual(s.codeBits, 3 * 576 * 4)
        XCTAssertEqual(s.scaleBits, 15 * 16)
        XCTAssertEqual(s.zeroPointBits, 15 * 4)
        XCTAssertEqual(s.globalBits, 0)
        XCTAssertEqual(s.totalBits, 6912 + 240 + 60)
        XCTAssertEqual(try QuantFormat(parsing: "int3").bitCost(shape: TensorShape(rows: 2, cols: 600)).codeBits, 2 * 608 * 3)
        let a = try QuantFormat(parsing: "int4").bitCost(shape: shape, convention: .autoround)
        XCTAssertEqual(a.codeBits, 3 * 576 * 4)
        XCTAssertEqual(a.zeroPointBits, 15 * 4)
        // NVFP4 on 5 x 20: blocks of 16 pad to 32 per row; 10 E4M3 scales; one fp32 global.
        let n = QuantFormat.nvfp4.bitCost(shape: TensorShape(rows: 5, cols: 20), convention: .storage)
        XCTAssertEqual([n.codeBits, n.scaleBits, n.globalBits], [5 * 32 * 4, 10 * 8, 32])
        // FP8 on 130 x 129: 2 x 2 blocks of fp32 scale_inv, codes unpadded.
        let f = QuantFormat.fp8.bitCost(shape: TensorShape(rows: 130, cols: 129), convention: .storage)
        XCTAssertEqual([f.codeBits, f.scaleBits], [130 * 129 * 8, 4 * 32])
        XCTAssertEqual(QuantFormat.bf16.bitCost(shape: TensorShape(rows: 0, cols: 0)).bitsPerWeight, 0)
    }
}
