import TensorCore
@testable import Formats
import TestSupport
import XCTest

final class PackingTests: XCTestCase {
    private func tensor(_ format: String, codes: [UInt8], rows: Int, cols: Int, scale: Float = 0.5) throws -> QuantizedTensor {
        let f = try QuantFormat(parsing: format)
        guard case let .group(g) = f.granularity else { throw QuantError.unknownFormat(name: format, known: []) }
        let groups = rows * ceilDiv(cols, g)
        return QuantizedTensor(format: f, name: "t", rows: rows, cols: cols, codes: .bytes(codes),
                               scales: [Float](repeating: scale, count: groups), scaleRows: rows, scaleCols: groups / rows,
                               zeroPoints: f.symmetric ? nil : [UInt8](repeating: 0, count: groups))
    }

    func testInt4PackedWordsByHand() throws {
        // Codes 1, 2, ..., 15, 0, 1, ... along the inputs: word 0 = 0x87654321, word 1 = 0x0FEDCBA9.
        let codes = (0..<32).map { UInt8(($0 + 1) % 16) }
        let p = try GPTQPacking.pack(tensor("int4/g32", codes: codes, rows: 1, cols: 32))
        XCTAssertEqual(Array(p.qweight[0..<2]), [Int32(bitPattern: 0x8765_4321), 0x0FED_CBA9])
        XCTAssertEqual(p.qweight.count, 4)
        XCTAssertEqual(p.qzeros, [7])  // symmetric zero 8 stored as 8 - 1
        XCTAssertEqual(p.scales, [0x3800])  // fp16 0.5
    }

    func testInt3PackedWordsByHand() throws {
        // Code 5 at input 10 straddles words 0/1, code 3 at input 21 straddles words 1/2, code 4 at input 31
        // sits at bits 29-31 of word 2 (GPTQ's 3-bit layout).
        var codes = [UInt8](repeating: 0, count: 32)
        codes[10] = 5
        codes[21] = 3
        codes[31] = 4
        let p = try GPTQPacking.pack(tensor("int3a/g32", codes: codes, rows: 1, cols: 32))
        XCTAssertEqual(p.qweight.map { UInt32(bitPattern: $0) }, [0x4000_0000, 0x8000_0001, 0x8000_0001])
        XCTAssertEqual(p.qzeros, [7])  // asymmetric zero 0 stored as (0 - 1) & 0b111
        // Two output columns interleave word by word: qweight[w * out + o].
        let two = try GPTQPacking.pack(tensor("int3/g32", codes: codes + codes.reversed(), rows: 2, cols: 32))
        XCTAssertEqual(two.qweight[0], Int32(bitPattern: 0x4000_0000))
        XCTAssertEqual(two.qzeros, [0b011_011])  // two symmetric zeros 4 stored as 3 along the outputs
    }

    func testIntRoundTripsBitExact() throws {
        for name in ["int2", "int3", "int4", "int8", "int2a/g32", "int3a/g64", "int4a", "int8a/g64"] {
            let f = try QuantFormat(parsing: name)
            let q = try f.quantizer.quantize(weights: gaussian(rows: 33, cols: 200, seed: 3), name: "w")
            let p = try GPTQPacking.pack(q)
            XCTAssertEqual(try GPTQPacking.unpack(p, format: f), q, name)
            XCTAssertEqual(p.qweight.count, 224 / 32 * f.bits * 33, name)  // 200 inputs pad to 224
            XCTAssertEqual(p.qzeros.count, ceilDiv(200, f.granularity == .group(32) ? 32 : f.granularity == .group(64) ? 64 : 128) * ceilDiv(33 * f.bits, 32), name)
        }
        let sym = try QuantFormat(parsing: "int4").quantizer.quantize(weights: gaussian(rows: 2, cols: 128, seed: 1), name: "w")
        var p = try GPTQPacking.pack(sym)
        p.qzeros[0] = 0
        XCTAssertThrowsError(try GPTQPacking.unpack(p, format: sym.format)) {
            XCTAssertTrue($0.localizedDescription.contains("'w'"))
        }
    }

    func testFP4AndFP8RoundTripsBitExact() throws {
        // Element 0 in the low nibble: codes [0x1, 0xF] -> 0xF1.
        var w = Matrix(rows: 1, cols: 32)
        w[0, 0] = 0.5
        w[0, 1] = -6
        let mx = try QuantFormat.mxfp4.quantizer.quantize(weights: w, name: "mx")
        let pm = try FPPacking.packFP4(mx)
        XCTAssertEqual(pm.weightPacked[0], 0xF1)
        XCTAssertEqual(pm.weightScale, [127])  // 2^0 in E8M0
        for format in [QuantFormat.mxfp4, .nvfp4] {
            let q = try format.quantizer.quantize(weights: gaussian(rows: 7, cols: 45, seed: 8), name: "w")
            let p = try FPPacking.packFP4(q)
            XCTAssertEqual(p.weightPacked.count, 7 * ceilDiv(45, format.family == .mxfp4 ? 32 : 16) * (format.family == .mxfp4 ? 16 : 8))
            XCTAssertEqual(try FPPacking.unpackFP4(p, format: format), q, format.name)
        }
        let f8 = try QuantFormat.fp8.quantizer.quantize(weights: gaussian(rows: 130, cols: 129, seed: 2), name: "w")
        XCTAssertEqual(try FPPacking.unpackFP8(FPPacking.packFP8(f8)), f8)
    }
}
