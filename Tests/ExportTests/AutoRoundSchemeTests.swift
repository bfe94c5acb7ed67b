import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Formats

final class AutoRoundSchemeTests: XCTestCase {
    /// Hand-computed: 2 heads of 4 rows; HF row h*4 + j*2 + i comes from GGUF row h*4 + 2i + j.
    func testRotateHalfPermutationTable() {
        XCTAssertEqual(QuantizedCheckpointRows.permutation(heads: 2, headDim: 4), [0, 2, 1, 3, 4, 6, 5, 7])
        XCTAssertEqual(QuantizedCheckpointRows.permutation(heads: 1, headDim: 6), [0, 2, 4, 1, 3, 5])
    }

    /// Per-row scales and zero points move with their rows; FP8 block scales refuse a row that
    /// would leave its 128-row block.
    func testReorderMovesCodesScalesAndZeros() throws {
        let w = Matrix(rows: 4, cols: 32, data: (0..<128).map { Float($0 % 13) - 6 + Float($0 / 32) })
        let q = try QuantFormat.int(bits: 4, groupSize: 32, symmetric: false).quantizer.quantize(weights: w, name: "w")
        let r = try QuantizedCheckpointRows.reorder(q, order: [0, 2, 1, 3], layer: "w")
        guard case let .bytes(a) = q.codes, case let .bytes(b) = r.codes else { return XCTFail() }
        XCTAssertEqual(Array(b[32..<64]), Array(a[64..<96]))
        XCTAssertEqual(r.scales, [q.scales[0], q.scales[2], q.scales[1], q.scales[3]])
        XCTAssertEqual(r.zeroPoints, q.zeroPoints.map { [$0[0], $0[2], $0[1], $0[3]] })
        let big = Matrix(rows: 256, cols: 128, data: (0..<(256 * 128)).map { Float($0 % 7) })
        let f8 = try QuantFormat.fp8.quantizer.quantize(weights: big, name: "f8")
        var order = Array(0..<256)
        order.swapAt(127, 128)
        XCTAssertThrowsError(try QuantizedCheckpointRows.reorder(f8, order: order, layer: "f8")) { e in
            guard case .cannotReorderRows(layer: "f8", _)? = e as? QuantizedCheckpointError else { return XCTFail("\(e)") }
        }
        order.swapAt(127, 128)
        order.swapAt(0, 127)
        XCTAssertEqual(try QuantizedCheckpointRows.reorder(f8, order: order, layer: "f8").scales, f8.scales)
    }

    func testSchemeJSONDefaultsAndRefusals() throws {
        let global = AutoRoundScheme(try .int(bits: 4, groupSize: 128))
        let three = try AutoRoundScheme(json: ["bits": 3], defaults: global, layer: "l")
        XCTAssertEqual(try three.format(layer: "l"), try .int(bits: 3, groupSize: 128))
        let kept = try AutoRoundScheme(json: ["bits": 16, "data_type": "float"], defaults: global, layer: "l")
        XCTAssertEqual(try kept.format(layer: "l"), .bf16)
        let fp8 = try AutoRoundScheme(json: ["bits": 8, "group_size": [128, 128], "data_type": "fp"], defaults: global, layer: "l")
        XCTAssertEqual(try fp8.format(layer: "l"), .fp8)
        let mx = try AutoRoundScheme(json: ["bits": 4, "group_size": 16, "data_type": "mx_fp"], defaults: nil, layer: "m")
        XCTAssertThrowsError(try mx.format(layer: "m")) { e in
            guard case .unsupportedScheme(layer: "m", _)? = e as? PlanExportError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try AutoRoundScheme(json: ["bits": 4, "data_type": "nf4"], defaults: nil, layer: "n"))
        for format in QuantFormat.defaultCandidates + [try .int(bits: 3, groupSize: 32, symmetric: false)] {
            let json = AutoRoundScheme(format).jsonObject
            XCTAssertEqual(try AutoRoundScheme(json: json, defaults: nil, layer: "x").format(layer: "x"), format)
        }
    }

    /// The global format is the one with the most parameters; bf16 only when nothing else is given.
    func testGlobalFormatIsTheLargestQuantizedOne() throws {
        func layer(_ format: QuantFormat, rows: Int) -> QuantizedLayer {
            QuantizedLayer(module: "m\(rows)", tensor: QuantizedTensor(format: format, name: "w", rows: rows, cols: 32, codes: .bytes([]),
                                                                      scales: [], scaleRows: 0, scaleCols: 0))
        }
        XCTAssertEqual(AutoRoundQuantizationConfig.globalFormat([layer(.bf16, rows: 900), layer(.mxfp4, rows: 10),
                                                                 layer(try .int(bits: 2), rows: 20)]), try .int(bits: 2))
        XCTAssertEqual(AutoRoundQuantizationConfig.globalFormat([layer(.bf16, rows: 9)]), .bf16)
    }
}
