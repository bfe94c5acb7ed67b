import XCTest
@testable import Formats
import TensorCore
import TestSupport

/// The ggml block types as `QuantFormat`s: names, the stored fallback type of rows that are not
/// whole super-blocks, exact bit costs, and that the quantizer's bytes are `GGMLBlockQuantizer`'s.
final class GGMLFormatTests: XCTestCase {
    func testNamesParseToTheirTypesAndBack() throws {
        for type in GGMLBlockType.allCases {
            let f = try QuantFormat(canonicalName: type.name)
            XCTAssertEqual(f.family, .ggml)
            XCTAssertEqual(f.ggmlType, type)
            XCTAssertEqual(f.name, type.name)
            XCTAssertEqual(try QuantFormat(parsing: type.name.uppercased()), f)
        }
        XCTAssertEqual(QuantFormat.ggml(.q4_K).bits, 4)
        XCTAssertEqual(QuantFormat.ggml(.q4_K).granularity, .group(256))
        XCTAssertFalse(QuantFormat.ggml(.q4_K).symmetric)
        XCTAssertTrue(QuantFormat.ggml(.q3_K).symmetric)
        XCTAssertNil(QuantFormat.bf16.ggmlType)
        // "q4_k" is another spelling of a known format: files must hold "q4_K".
        XCTAssertThrowsError(try QuantFormat(canonicalName: "q4_k"))
    }

    func testTypeLookupTellsTypesWithAMinimumFromTheirSymmetricTwins() throws {
        // q4_0 / q4_1 and q5_0 / q5_1 share code width and block; only the stored minimum (asymmetry)
        // differs, and the lookup must use it.
        for (symmetric, affine) in [(GGMLBlockType.q4_0, GGMLBlockType.q4_1), (.q5_0, .q5_1)] {
            let (s, a) = (QuantFormat.ggml(symmetric), QuantFormat.ggml(affine))
            XCTAssertEqual(s.bits, a.bits)
            XCTAssertEqual(s.granularity, a.granularity)
            XCTAssertTrue(s.symmetric)
            XCTAssertFalse(a.symmetric)
            XCTAssertNotEqual(s, a)
            XCTAssertEqual(s.ggmlType, symmetric)
            XCTAssertEqual(a.ggmlType, affine)
            XCTAssertEqual(try QuantFormat(canonicalName: affine.name).ggmlType, affine)
        }
        XCTAssertEqual([QuantFormat.ggml(.q4_1).name, QuantFormat.ggml(.q5_1).name], ["q4_1", "q5_1"])
        // Every type is its own format: no two types map to equal formats.
        XCTAssertEqual(Set(GGMLBlockType.allCases.map { QuantFormat.ggml($0) }).count, GGMLBlockType.allCases.count)
    }

    func testLlamaCppFallbacks() {
        // src/llama-quant.cpp tensor_type_fallback: the k-quants fall back to 32-weight types; the
        // 32-weight types, q4_1 and q5_1 included, have none (llama-quantize writes F16).
        let expected: [GGMLBlockType: GGMLBlockType?] = [.q2_K: .q4_0, .q3_K: .q4_0, .q4_K: .q5_0, .q5_K: .q5_1, .q6_K: .q8_0,
                                                          .q8_0: nil, .q4_0: nil, .q5_0: nil, .q4_1: nil, .q5_1: nil]
        for type in GGMLBlockType.allCases { XCTAssertEqual(type.llamaCppFallback, expected[type] ?? nil, type.name) }
        XCTAssertEqual(GGMLBlockType.q5_K.stored(cols: 576), .q5_1)
        XCTAssertEqual(GGMLBlockType.q5_K.stored(cols: 1536), .q5_K)
        XCTAssertEqual(GGMLBlockType.q5_1.stored(cols: 576), .q5_1)
        XCTAssertNil(GGMLBlockType.q5_1.stored(cols: 40))
        XCTAssertNil(GGMLBlockType.q5_K.stored(cols: 40))
    }

    func testBitCostsAreTheStoredTypesBytes() {
        // 1536 inputs: 6 super-blocks per row, 84 bytes each for q2_K -> 576 x 6 x 84 x 8 bits.
        let down = TensorShape(rows: 576, cols: 1536)
        let q2 = QuantFormat.ggml(.q2_K).bitCost(shape: down, convention: .storage)
        XCTAssertEqual(q2.totalBits, 576 * 6 * 84 * 8)
        XCTAssertEqual(q2.codeBits, 576 * 1536 * 2)
        // 576 inputs are not whole super-blocks: llama.cpp stores q2_K as q4_0 (18 bytes per 32).
        let q = TensorShape(rows: 576, cols: 576)
        XCTAssertEqual(QuantFormat.ggml(.q2_K).bitCost(shape: q, convention: .storage).totalBits, 576 * 18 * 18 * 8)
        XCTAssertEqual(QuantFormat.ggml(.q4_K).bitCost(shape: q, convention: .autoround).totalBits, 576 * 18 * 22 * 8)
        XCTAssertEqual(QuantFormat.ggml(.q6_K).bitCost(shape: q, convention: .storage).totalBits, 576 * 18 * 34 * 8)
        // q5_K on 576 inputs is q5_1: 24 bytes per 32, of which 5 bits per weight are codes.
        let q5 = QuantFormat.ggml(.q5_K).bitCost(shape: q, convention: .storage)
        XCTAssertEqual(q5.totalBits, 576 * 18 * 24 * 8)
        XCTAssertEqual(q5.codeBits, 576 * 576 * 5)
        XCTAssertEqual(QuantFormat.ggml(.q4_1).bitCost(shape: q, convention: .storage).totalBits, 576 * 18 * 20 * 8)
    }

    func testQuantizerStoresFallbackTypeForRowsThatAreNotWholeSuperBlocks() throws {
        let w = gaussian(rows: 4, cols: 96, seed: 7)
        let q = try QuantFormat.ggml(.q3_K).quantizer.quantize(weights: w, name: "blk.0.attn_q.weight")
        XCTAssertEqual(q.format, .ggml(.q4_0))
        XCTAssertEqual(q.codes, .blocks(try GGMLBlockQuantizer.quantize(w, type: .q4_0, name: "x")))
        let back = try QuantFormat.ggml(.q3_K).quantizer.dequantize(q)
        XCTAssertEqual(back.data, try GGMLBlockQuantizer.dequantize(try GGMLBlockQuantizer.quantize(w, type: .q4_0, name: "x"),
                                                                    type: .q4_0, rows: 4, cols: 96, name: "x").data)
        XCTAssertEqual(try QuantFormat.ggml(.q3_K).quantizer.fakeQuantize(w).data, back.data)
    }

    func testQuantizerKeepsItsTypeWhenRowsAreWholeBlocksAndRefusesWhatNoTypeStores() throws {
        let w = gaussian(rows: 2, cols: 256, seed: 3)
        let q = try QuantFormat.ggml(.q2_K).quantizer.quantize(weights: w, name: "w")
        XCTAssertEqual(q.format, .ggml(.q2_K))
        XCTAssertEqual(q.codes, .blocks(try GGMLBlockQuantizer.quantize(w, type: .q2_K, name: "w")))
        // q5_K on 96 inputs is stored as q5_1 (llama.cpp's fallback); 40 inputs are not whole 32-weight
        // blocks either, so neither q5_K nor q4_1 stores them.
        let short = gaussian(rows: 2, cols: 96, seed: 1)
        let q5 = try QuantFormat.ggml(.q5_K).quantizer.quantize(weights: short, name: "t")
        XCTAssertEqual(q5.format, .ggml(.q5_1))
        XCTAssertEqual(q5.codes, .blocks(try GGMLBlockQuantizer.quantize(short, type: .q5_1, name: "t")))
        XCTAssertThrowsError(try QuantFormat.ggml(.q5_K).quantizer.quantize(weights: gaussian(rows: 1, cols: 40, seed: 1), name: "t")) {
            XCTAssertEqual($0 as? QuantError, .rowLengthNotMultipleOfBlock(tensor: "t", format: "q5_K", rowLength: 40, blockSize: 256))
        }
        XCTAssertThrowsError(try QuantFormat.ggml(.q4_1).quantizer.quantize(weights: gaussian(rows: 1, cols: 40, seed: 1), name: "t")) {
            XCTAssertEqual($0 as? QuantError, .rowLengthNotMultipleOfBlock(tensor: "t", format: "q4_1", rowLength: 40, blockSize: 32))
        }
        XCTAssertThrowsError(try QuantFormat.ggml(.q2_K).quantizer.quantize(weights: gaussian(rows: 1, cols: 40, seed: 1), name: "t"))
        XCTAssertThrowsError(try QuantFormat.ggml(.q2_K).quantizer.quantize(weights: w, name: "w",
                                                                            adjustments: RoundingAdjustments(maxClip: [1, 1])))
    }
}
