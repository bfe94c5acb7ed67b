import Formats
import Model
import TensorCore
import TestSupport
import XCTest

/// The ggml block quantizers' bytes read back by the GGUF reader (`GGUFDequant` in Model) give the very
/// floats of the quantizer's own `dequantize`, bit for bit; the two type tables agree.
final class GGMLReaderRoundTripTests: XCTestCase {
    private func storage(_ type: GGMLBlockType) throws -> GGMLTypeTraits {
        try XCTUnwrap(GGMLTypeTraits.forID(type.typeID), "\(type.name) has no reader row")
    }

    private func readerDecode(_ type: GGMLBlockType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        let traits = try storage(type)
        XCTAssertTrue(GGUFDequant.canDecode(traits.storage), type.name)
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { GGUFDequant.decode(traits.storage, src, into: $0.baseAddress!, count: count) }
        }
        return out
    }

    func testTypeTablesAgree() throws {
        for type in GGMLBlockType.allCases {
            let traits = try storage(type)
            XCTAssertEqual(traits.storage.rawValue.lowercased(), type.name.lowercased())
            XCTAssertEqual(traits.blockSize, type.blockSize, type.name)
            XCTAssertEqual(traits.bytesPerBlock, type.bytesPerBlock, type.name)
            XCTAssertEqual(traits.bitsPerWeight, type.bitsPerWeight, type.name)
        }
    }

    func testQuantizedBytesRoundTripThroughTheReader() throws {
        let w = GGMLFixtures.mixed(rows: 10, cols: 512, seed: 21)
        let importance = GGMLFixtures.importance(cols: 512, seed: 22)
        for type in GGMLBlockType.allCases {
            for imp in [nil, importance] {
                let bytes = try GGMLBlockQuantizer.quantize(w, type: type, importance: imp, name: "w")
                let ours = try GGMLBlockQuantizer.dequantize(bytes, type: type, rows: w.rows, cols: w.cols, name: "w")
                let reader = try readerDecode(type, bytes, count: w.count)
                assertBitIdentical(ours.data, reader, "\(type.name) importance \(imp != nil)")
            }
        }
    }

    func testArbitraryBlocksDecodeAlike() throws {
        // Random bytes reach code and scale patterns no quantizer writes (e.g. q6_K scale -128 with code
        // 63, q3_K scales of every value); only the fp16 fields are kept finite.
        var rng = SplitMix64(seed: 5)
        let fp16Fields: [GGMLBlockType: [Int]] = [.q8_0: [0], .q4_0: [0], .q5_0: [0], .q4_K: [0, 2], .q5_K: [0, 2],
                                                  .q6_K: [208], .q2_K: [80, 82], .q3_K: [108], .q4_1: [0, 2], .q5_1: [0, 2]]
        for type in GGMLBlockType.allCases {
            let blocks = 64
            var bytes = (0..<(blocks * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for b in 0..<blocks {
                for field in try XCTUnwrap(fp16Fields[type]) { bytes[b * type.bytesPerBlock + field + 1] &= 0xFB }
            }
            let count = blocks * type.blockSize
            let ours = try GGMLBlockQuantizer.dequantize(bytes, type: type, rows: 1, cols: count, name: "r")
            assertBitIdentical(ours.data, try readerDecode(type, bytes, count: count), type.name)
        }
    }
}
