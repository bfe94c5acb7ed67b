import TensorCore
@testable import Formats
import XCTest

/// Bad input to the ggml block quantizers: each a typed error naming the tensor and what was expected.
final class GGMLInputTests: XCTestCase {
    private let tensor = "blk.0.attn_q.weight"

    private func error(_ body: () throws -> Any) -> QuantError? {
        do {
            _ = try body()
            XCTFail("expected an error")
            return nil
        } catch {
            return error as? QuantError
        }
    }

    func testRowLengthMustBeAMultipleOfTheBlock() throws {
        // SmolLM2's 576-wide rows: a k-quant needs multiples of 256.
        let w = Matrix(rows: 2, cols: 576, repeating: 0.5)
        let e = error { try GGMLBlockQuantizer.quantize(w, type: .q4_K, name: tensor) }
        XCTAssertEqual(e, .rowLengthNotMultipleOfBlock(tensor: tensor, format: "q4_K", rowLength: 576, blockSize: 256))
        XCTAssertEqual(e?.errorDescription,
                       "Tensor 'blk.0.attn_q.weight' has rows of 576 weights; q4_K stores rows of a positive multiple of 256 weights.")
        XCTAssertNoThrow(try GGMLBlockQuantizer.quantize(w, type: .q4_0, name: tensor))
        let short = Matrix(rows: 1, cols: 48, repeating: 1)
        XCTAssertEqual(error { try GGMLBlockQuantizer.quantize(short, type: .q8_0, name: tensor) },
                       .rowLengthNotMultipleOfBlock(tensor: tensor, format: "q8_0", rowLength: 48, blockSize: 32))
        let empty = Matrix(rows: 3, cols: 0)
        XCTAssertEqual(error { try GGMLBlockQuantizer.quantize(empty, type: .q6_K, name: tensor) },
                       .rowLengthNotMultipleOfBlock(tensor: tensor, format: "q6_K", rowLength: 0, blockSize: 256))
        XCTAssertEqual(error { try GGMLBlockQuantizer.dequantize([], type: .q5_K, rows: 1, cols: 100, name: tensor) },
                       .rowLengthNotMultipleOfBlock(tensor: tensor, format: "q5_K", rowLength: 100, blockSize: 256))
    }

    func testNonFiniteWeightsAreNamed() throws {
        for (bad, row, col) in [(Float.nan, 1, 5), (.infinity, 0, 300), (-.infinity, 2, 511)] {
            var w = Matrix(rows: 3, cols: 512, repeating: 0.25)
            w[row, col] = bad
            for type in [GGMLBlockType.q8_0, .q3_K] {
                guard case let .nonFiniteWeight(named, r, c, value)? = error({ try GGMLBlockQuantizer.quantize(w, type: type, name: tensor) })
                else { return XCTFail("\(type.name): expected nonFiniteWeight") }
                XCTAssertEqual([named, "\(r)", "\(c)"], [tensor, "\(row)", "\(col)"])
                XCTAssertEqual(value.bitPattern, bad.bitPattern)
            }
        }
    }

    func testImportanceMustHaveOneFiniteNonNegativeValuePerColumn() throws {
        let w = Matrix(rows: 2, cols: 256, repeating: 0.1)
        let e = error { try GGMLBlockQuantizer.quantize(w, type: .q4_K, importance: [Float](repeating: 1, count: 255), name: tensor) }
        XCTAssertEqual(e, .invalidImportance(tensor: tensor, reason: "255 values, expected 256 (one per input column)"))
        XCTAssertEqual(e?.errorDescription,
                       "Invalid importance vector for tensor 'blk.0.attn_q.weight': 255 values, expected 256 (one per input column).")
        for (bad, text) in [(Float(-1), "-1.0"), (.nan, "nan"), (.infinity, "inf")] {
            var importance = [Float](repeating: 1, count: 256)
            importance[3] = bad
            // q8_0 does not use importance, but a bad vector is still refused.
            for type in [GGMLBlockType.q8_0, .q2_K] {
                XCTAssertEqual(error { try GGMLBlockQuantizer.quantize(w, type: type, importance: importance, name: tensor) },
                               .invalidImportance(tensor: tensor, reason: "value \(text) at column 3, expected finite values >= 0"))
            }
        }
        // Zero importance is allowed (a column the calibration never excited).
        XCTAssertNoThrow(try GGMLBlockQuantizer.quantize(w, type: .q4_K, importance: [Float](repeating: 0, count: 256), name: tensor))
    }

    func testDequantizeChecksTheByteCount() {
        let e = error { try GGMLBlockQuantizer.dequantize([UInt8](repeating: 0, count: 143), type: .q4_K, rows: 1, cols: 256, name: tensor) }
        XCTAssertEqual(e, .invalidPackedData(tensor: tensor, reason: "143 bytes for 1 rows of 256 q4_K weights, expected 144"))
    }
}
