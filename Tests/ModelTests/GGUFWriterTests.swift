import Foundation
import XCTest
@testable import Model

/// The GGUF writer: every header byte of a tiny file, round trips through our reader (every value
/// type, five tensor types, an alignment of 64), and refused inputs.
final class GGUFWriterTests: XCTestCase {
    static let f32 = GGMLTypeTraits.forStorage(.f32)!, f16 = GGMLTypeTraits.forStorage(.f16)!
    static let bf16 = GGMLTypeTraits.forStorage(.bf16)!, q8_0 = GGMLTypeTraits.forStorage(.q8_0)!
    static let q4_0 = GGMLTypeTraits.forStorage(.q4_0)!

    static func outputPath(_ name: String = "out.gguf") throws -> String { try TempFiles.folder("writer") + "/" + name }

    /// Bytes 0, 1, 2, ... (mod 251), standing for any block contents.
    static func ramp(_ n: Int, from start: Int = 0) -> [UInt8] { (0..<n).map { UInt8((start + $0) % 251) } }

    /// Two key/value pairs and one 2 x 3 f32 tensor; offsets computed by hand:
    /// 24 bytes of counts, 17 for `a` = uint32 7, 25 for `b.c` = "xy", 41 for the tensor info
    /// (ending at byte 107), 21 zero bytes up to 128 where the data starts, 24 bytes of data and
    /// 8 zero bytes to the file's end at 160.
    func testEveryHeaderByteOfATinyFile() throws {
        let path = try Self.outputPath()
        let data: [Float] = [1, 2, 3, -1, 0.5, 0]
        let bytes = data.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let layout = try GGUFWriter.write(metadata: GGUFMetadata([("a", .uint32(7)), ("b.c", .string("xy"))]),
                                          tensors: [GGUFOutputTensor(name: "t", shape: [2, 3], type: Self.f32, bytes: bytes)],
                                          to: path)
        var expected: [UInt8] = [0x47, 0x47, 0x55, 0x46]                      // "GGUF"
        expected += [3, 0, 0, 0]                                              // version 3
        expected += [1, 0, 0, 0, 0, 0, 0, 0]                                  // 1 tensor
        expected += [2, 0, 0, 0, 0, 0, 0, 0]                                  // 2 key/value pairs
        expected += [1, 0, 0, 0, 0, 0, 0, 0, 0x61]                            // key "a"
        expected += [4, 0, 0, 0, 7, 0, 0, 0]                                  // uint32 7
        expected += [3, 0, 0, 0, 0, 0, 0, 0, 0x62, 0x2E, 0x63]                // key "b.c"
        expected += [8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x78, 0x79]          // string "xy"
        XCTAssertEqual(expected.count, 66)
        expected += [1, 0, 0, 0, 0, 0, 0, 0, 0x74]                            // name "t"
        expected += [2, 0, 0, 0]                                              // 2 dimensions
        expected += [3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]          // ne = [3, 2]: columns first
        expected += [0, 0, 0, 0]                                              // ggml type 0 (f32)
        expected += [0, 0, 0, 0, 0, 0, 0, 0]                                  // offset 0
        XCTAssertEqual(expected.count, 107)
        expected += [UInt8](repeating: 0, count: 21)                          // padding to 128
        expected += bytes + [UInt8](repeating: 0, count: 8)                   // data, padding to 160
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(written.count, 160)
        XCTAssertEqual(written, expected)
        XCTAssertEqual(layout, GGUFLayout(header: Array(expected.prefix(128)), alignment: 32, tensorOffsets: [0], fileSize: 160))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent), ["out.gguf"])
    }

    static let everyValueType: [(String, GGUFValue)] = [
        ("u8", .uint8(200)), ("i8", .int8(-2)), ("u16", .uint16(0x1234)), ("i16", .int16(-1)),
        ("u32", .uint32(70_000)), ("i32", .int32(-5)), ("f32", .float32(1.5)), ("bool.true", .bool(true)),
        ("bool.false", .bool(false)), ("str", .string("héllo, ✓")), ("str.empty", .string("")),
        ("u64", .uint64(1 << 63 + 5)), ("i64", .int64(-7)), ("f64", .float64(-0.1)),
        ("arr.u8", .array([.uint8(0), .uint8(255)])), ("arr.i8", .array([.int8(-128), .int8(127)])),
        ("arr.u16", .array([.uint16(65535)])), ("arr.i16", .array([.int16(-300), .int16(300)])),
        ("arr.u32", .array([.uint32(1), .uint32(2), .uint32(3)])), ("arr.i32", .array([.int32(-1), .int32(3)])),
        ("arr.f32", .array([.float32(0.25), .float32(-Float.infinity), .float32(Float.leastNonzeroMagnitude)])),
        ("arr.bool", .array([.bool(true), .bool(false), .bool(true)])),
        ("arr.str", .array([.string("<s>"), .string("a b"), .string(""), .string("Ġt")])),
        ("arr.u64", .array([.uint64(UInt64.max)])), ("arr.i64", .array([.int64(Int64.min)])),
        ("arr.f64", .array([.float64(1e300), .float64(-2.5)])),
    ]

    /// Tensors of five types with made-up bytes of the right sizes (f32 2 x 3, f16 4, bf16 3 x 2,
    /// q8_0 2 x 64 = 4 blocks of 34 bytes, q4_0 3 x 32 = 3 blocks of 18 bytes).
    static func fiveTensors() -> [GGUFOutputTensor] {
        [GGUFOutputTensor(name: "blk.0.attn_q.weight", shape: [2, 3], type: f32, bytes: ramp(24)),
         GGUFOutputTensor(name: "norm", shape: [4], type: f16, bytes: ramp(8, from: 7)),
         GGUFOutputTensor(name: "b", shape: [3, 2], type: bf16, bytes: ramp(12, from: 20)),
         GGUFOutputTensor(name: "q8", shape: [2, 64], type: q8_0, bytes: ramp(136, from: 3)),
         GGUFOutputTensor(name: "q4", shape: [3, 32], type: q4_0, bytes: ramp(54, from: 9))]
    }

    func testRoundTripOfEveryValueTypeAndFiveTensorTypesAtAlignment64() throws {
        let path = try Self.outputPath()
        let metadata = GGUFMetadata(Self.everyValueType + [("general.alignment", .uint32(64))])
        let tensors = Self.fiveTensors()
        let layout = try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
        XCTAssertEqual(layout.alignment, 64)
        XCTAssertEqual(layout.tensorOffsets, [0, 64, 128, 192, 384])
        let g = try GGUFFile(path: path)
        XCTAssertEqual(g.version, 3)
        XCTAssertEqual(g.alignment, 64)
        XCTAssertEqual(g.metadataKeys, metadata.keys)
        for (key, value) in Self.everyValueType { XCTAssertEqual(g[key], value, key) }
        XCTAssertEqual(g.dataOffset % 64, 0)
        XCTAssertEqual(g.dataOffset, layout.header.count)
        XCTAssertEqual(g.file.count, layout.fileSize)
        XCTAssertEqual(g.file.count, g.dataOffset + 384 + 64)
        XCTAssertEqual(g.tensors.map(\.name), tensors.map(\.name))
        XCTAssertEqual(g.tensors.map(\.shape), tensors.map(\.shape))
        XCTAssertEqual(g.tensors.map(\.dims), [[3, 2], [4], [2, 3], [64, 2], [32, 3]])
        XCTAssertEqual(g.tensors.map(\.type.storage), [.f32, .f16, .bf16, .q8_0, .q4_0])
        XCTAssertEqual(g.tensors.map(\.offset), layout.tensorOffsets)
        for (info, tensor) in zip(g.tensors, tensors) {
            guard case .array(let bytes) = tensor.bytes else { return XCTFail("bytes in memory expected") }
            XCTAssertEqual(Array(g.data(info)), bytes, info.name)
        }
        // A bool is one byte, 1 or 0 (readers differ on other values).
        let header = Array(layout.header)
        for (key, byte) in [("bool.true", 1), ("bool.false", 0)] as [(String, UInt8)] {
            let entry = GGUFBuilder.string(key) + GGUFBuilder.u32(7) + [byte]
            XCTAssertTrue((0...(header.count - entry.count)).contains { Array(header[$0..<($0 + entry.count)]) == entry }, key)
        }
        // Padding between tensors is zero.
        let whole = g.file.buffer
        XCTAssertTrue(whole[(g.dataOffset + 24)..<(g.dataOffset + 64)].allSatisfy { $0 == 0 })
    }

    /// Tensors copied from a mapped GGUF keep their bytes; the decoded floats are the source's.
    func testTensorsCopiedFromAMappedFile() throws {
        let source = try GGUFFile(path: try tinyLlamaGGUF().write())
        let path = try Self.outputPath("copy.gguf")
        try GGUFWriter.write(metadata: GGUFMetadata(copying: source),
                             tensors: source.tensors.map { GGUFOutputTensor(copying: $0, of: source) }, to: path)
        let copy = try GGUFFile(path: path)
        XCTAssertEqual(copy.metadataKeys, source.metadataKeys)
        XCTAssertEqual(copy.metadata, source.metadata)
        XCTAssertEqual(copy.tensors, source.tensors)
        for (a, b) in zip(copy.tensors, source.tensors) { XCTAssertEqual(Array(copy.data(a)), Array(source.data(b))) }
        let model = try ModelLoader.open(path)
        XCTAssertEqual(try model.tensors.floats("model.embed_tokens.weight"), (0..<12).map { Float($0) * 0.5 - 1 })
    }

    func testMetadataKeepsOrderAndReplacesInPlace() {
        var m = GGUFMetadata([("a", .uint8(1)), ("b", .uint8(2)), ("a", .uint8(3))])
        XCTAssertEqual(m.keys, ["a", "b"])
        XCTAssertEqual(m["a"], .uint8(3))
        m["c"] = .bool(true)
        m["a"] = .string("x")
        m["b"] = nil
        XCTAssertEqual(m.entries, [.init("a", .string("x")), .init("c", .bool(true))])
        XCTAssertEqual(m.alignment, 32)
        m["general.alignment"] = .uint32(16)
        XCTAssertEqual(m.alignment, 16)
    }
}

/// What the writer refuses: each error names the output path and the tensor or key, and nothing is
/// left at the output path (nor a temporary beside it); a file already there is left as it was.
final class GGUFWriterErrorTests: XCTestCase {
    typealias W = GGUFWriterTests

    /// Writes into a fresh folder and expects the error `expected(path)`, one line naming the path
    /// and `mentions`; then checks the folder is still empty.
    func refuse(_ tensors: [GGUFOutputTensor], metadata: GGUFMetadata = GGUFMetadata(), _ expected: (String) -> GGUFWriteError,
                mentions: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try W.outputPath()
        XCTAssertThrowsError(try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path), file: file, line: line) { error in
            XCTAssertEqual(error as? GGUFWriteError, expected(path), file: file, line: line)
            let message = error.localizedDescription
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for word in [path] + mentions { XCTAssertTrue(message.contains(word), "'\(word)' in: \(message)", file: file, line: line) }
        }
        let folder = (path as NSString).deletingLastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [], file: file, line: line)
    }

    func testByteCountNotMatchingShapeAndType() throws {
        let short = GGUFOutputTensor(name: "blk.3.ffn_up.weight", shape: [2, 64], type: W.q8_0, bytes: W.ramp(135))
        let path = try W.outputPath()
        XCTAssertThrowsError(try GGUFWriter.write(metadata: GGUFMetadata(), tensors: [short], to: path)) { error in
            XCTAssertEqual(error as? GGUFWriteError, .sizeMismatch(path: path, tensor: "blk.3.ffn_up.weight", type: "Q8_0",
                                                                  shape: [2, 64], expected: 136, actual: 135))
            XCTAssertEqual(error.localizedDescription,
                           "\(path): tensor 'blk.3.ffn_up.weight' (Q8_0, shape [2, 64]) takes 136 bytes, given 135")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let f16Long = GGUFOutputTensor(name: "n", shape: [4], type: W.f16, bytes: W.ramp(9))
        try refuse([f16Long], { .sizeMismatch(path: $0, tensor: "n", type: "F16", shape: [4], expected: 8, actual: 9) })
    }

    func testRowsThatAreNotWholeBlocks() throws {
        let path = try W.outputPath()
        let t = GGUFOutputTensor(name: "blk.0.attn_k.weight", shape: [3, 48], type: W.q4_0, bytes: W.ramp(81))
        XCTAssertThrowsError(try GGUFWriter.write(metadata: GGUFMetadata(), tensors: [t], to: path)) { error in
            XCTAssertEqual(error as? GGUFWriteError, .rowNotWholeBlocks(path: path, tensor: "blk.0.attn_k.weight",
                                                                       rowLength: 48, type: "Q4_0", blockSize: 32))
            XCTAssertEqual(error.localizedDescription,
                           "\(path): tensor 'blk.0.attn_k.weight' has rows of 48 values, not a multiple of the Q4_0 block of 32")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testDuplicateEmptyAndOverlongNamesAndBadShapes() throws {
        let a = GGUFOutputTensor(name: "x", shape: [4], type: W.f32, bytes: W.ramp(16))
        try refuse([a, a], { .duplicateTensor(path: $0, tensor: "x") }, mentions: ["'x'", "twice"])
        var empty = a
        empty.name = ""
        try refuse([empty], { .badTensorName(path: $0, tensor: "", reason: "is empty") }, mentions: ["empty"])
        var long = a
        long.name = String(repeating: "n", count: 64)
        try refuse([long], { .badTensorName(path: $0, tensor: long.name, reason: "has 64 bytes, expected at most 63") }, mentions: ["63"])
        long.name = String(repeating: "n", count: 63)
        XCTAssertNoThrow(try GGUFWriter.layout(metadata: GGUFMetadata(), tensors: [long], path: "p"))
        var zero = a
        zero.shape = [0, 4]
        try refuse([zero], { .badShape(path: $0, tensor: "x", shape: [0, 4], reason: "every dimension must be at least 1") }, mentions: ["[0, 4]"])
        var five = a
        five.shape = [1, 1, 1, 1, 4]
        try refuse([five], { .badShape(path: $0, tensor: "x", shape: [1, 1, 1, 1, 4], reason: "5 dimensions, expected 1 to 4") }, mentions: ["5 dimensions"])
    }

    func testMetadataGGUFReadersCannotTake() throws {
        let cases: [(GGUFMetadata, String, String)] = [
            (GGUFMetadata([("general.tags", .array([]))]), "general.tags", "empty array"),
            (GGUFMetadata([("nested", .array([.array([.int32(1)])]))]), "nested", "array of arrays"),
            (GGUFMetadata([("mixed", .array([.int32(1), .uint32(2)]))]), "mixed", "mixes element types"),
            (GGUFMetadata([("general.alignment", .uint64(64))]), "general.alignment", "uint32 power of two"),
            (GGUFMetadata([("general.alignment", .uint32(48))]), "general.alignment", "uint32 power of two"),
            (GGUFMetadata([("", .bool(true))]), "''", "is empty"),
        ]
        for (metadata, key, reason) in cases {
            let path = try W.outputPath()
            XCTAssertThrowsError(try GGUFWriter.write(metadata: metadata, tensors: [], to: path)) { error in
                guard let e = error as? GGUFWriteError else { return XCTFail("\(error)") }
                switch e {
                case .badValue, .badKey: break
                default: XCTFail("\(e)")
                }
                XCTAssertTrue(e.localizedDescription.contains(key) && e.localizedDescription.contains(reason), e.localizedDescription)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        }
    }

    /// An output under a regular file, an output that is a folder, and a failed write over an
    /// existing file, which keeps its bytes.
    func testUnwritableOutputs() throws {
        let folder = try TempFiles.folder("unwritable")
        let blocker = folder + "/file"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: blocker))
        let tensor = GGUFOutputTensor(name: "x", shape: [4], type: W.f32, bytes: W.ramp(16))
        let under = blocker + "/out.gguf"
        XCTAssertThrowsError(try GGUFWriter.write(metadata: GGUFMetadata(), tensors: [tensor], to: under)) { error in
            guard case .writeFailed(let path, _)? = error as? GGUFWriteError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, under)
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(under): cannot write: "), error.localizedDescription)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: under))
        XCTAssertThrowsError(try GGUFWriter.write(metadata: GGUFMetadata(), tensors: [tensor], to: folder)) { error in
            guard case .writeFailed(let path, let reason)? = error as? GGUFWriteError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, folder)
            XCTAssertTrue(reason.contains("folder"), reason)
        }
        var bad = tensor
        bad.bytes = .array(W.ramp(15))
        XCTAssertThrowsError(try GGUFWriter.write(metadata: GGUFMetadata(), tensors: [tensor, bad], to: blocker))
        XCTAssertEqual(try String(contentsOfFile: blocker, encoding: .utf8), "keep")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["file"])
    }
}
