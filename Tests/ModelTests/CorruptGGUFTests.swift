import XCTest
@testable import Model

/// Every corrupt GGUF gives a typed error naming the file and the problem, never a crash.
final class CorruptGGUFTests: XCTestCase {
    private func assertError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                             _ check: (ModelFileError, String) -> Void) throws {
        let path = try TempFiles.write(bytes, name: "bad.gguf")
        XCTAssertThrowsError(try GGUFFile(path: path), file: file, line: line) { error in
            guard let e = error as? ModelFileError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssertTrue(e.errorDescription!.hasPrefix(path), "message must name the file: \(e.errorDescription!)", file: file, line: line)
            check(e, path)
        }
    }

    func testWrongMagic() throws {
        var b = tinyLlamaGGUF()
        b.magic = 0x4C4C_4747  // "GGLL"
        try assertError(b.bytes()) { e, path in XCTAssertEqual(e, .badMagic(path: path, found: 0x4C4C_4747)) }
    }

    func testWrongVersion() throws {
        for v: UInt32 in [1, 4] {
            var b = tinyLlamaGGUF()
            b.version = v
            try assertError(b.bytes()) { e, path in XCTAssertEqual(e, .unsupportedVersion(path: path, found: v)) }
        }
    }

    func testTruncatedHeaderAtEveryCut() throws {
        let bytes = tinyLlamaGGUF().bytes()
        let g = try GGUFFile(path: try TempFiles.write(bytes, name: "ok.gguf"))
        // Cutting anywhere inside the header or the data must throw, never crash.
        for cut in stride(from: 0, to: bytes.count, by: 7) where cut < g.dataOffset + 100 {
            try assertError(Array(bytes[..<cut])) { e, _ in
                switch e {
                case .truncated, .tensorOutOfRange, .badMagic: break
                default: XCTFail("cut at \(cut): unexpected \(e)")
                }
            }
        }
    }

    func testTensorDataCutShort() throws {
        let bytes = tinyLlamaGGUF().bytes()
        try assertError(Array(bytes.dropLast(16 + 4))) { e, path in
            // The builder pads the last tensor (output_norm.weight, 16 bytes) to 32; it now ends past the data section.
            guard case let .tensorOutOfRange(p, tensor, range, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual(tensor, "output_norm.weight")
            XCTAssertEqual(range.count, 16)
        }
    }

    func testMetadataStringLongerThanFile() throws {
        var b = GGUFBuilder()
        b.add("general.name", type: 8, GGUFBuilder.u64(1 << 50) + Array("abc".utf8))
        try assertError(b.bytes()) { e, _ in
            guard case let .truncated(_, what, needed, available) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(what.contains("general.name"))
            XCTAssertEqual(needed, 1 << 50)
            XCTAssertLessThan(available, 64)
        }
    }

    func testHugeArrayCount() throws {
        var b = GGUFBuilder()
        b.add("tokenizer.ggml.tokens", type: 9, GGUFBuilder.u32(8) + GGUFBuilder.u64(UInt64.max))
        try assertError(b.bytes()) { e, _ in
            guard case .truncated = e else { return XCTFail("\(e)") }
        }
    }

    func testUnknownValueAndTensorTypes() throws {
        var b = GGUFBuilder()
        b.add("weird", type: 13, [0, 0, 0, 0])
        try assertError(b.bytes()) { e, path in XCTAssertEqual(e, .unknownValueType(path: path, key: "weird", typeID: 13)) }
        var t = GGUFBuilder()
        t.addTensor("x", dims: [32], type: 99, data: [UInt8](repeating: 0, count: 32))
        try assertError(t.bytes()) { e, path in XCTAssertEqual(e, .unknownTensorType(path: path, tensor: "x", typeID: 99)) }
    }

    func testOverlappingAndOutOfRangeOffsets() throws {
        var b = tinyLlamaGGUF()
        b.offsetOverrides[1] = 32   // blk.0.attn_q.weight starts inside token_embd.weight (bytes 0..<48)
        try assertError(b.bytes()) { e, path in
            XCTAssertEqual(e, .overlappingTensors(path: path, first: "token_embd.weight", second: "blk.0.attn_q.weight"))
        }
        var far = tinyLlamaGGUF()
        far.offsetOverrides[0] = 1 << 62
        try assertError(far.bytes()) { e, _ in
            guard case let .tensorOutOfRange(_, tensor, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(tensor, "token_embd.weight")
        }
    }

    func testBlockSizeMismatch() throws {
        var b = GGUFBuilder()
        b.addTensor("q", dims: [16, 2], type: 8, data: [UInt8](repeating: 0, count: 34))  // Q8_0 rows need multiples of 32
        try assertError(b.bytes()) { e, _ in
            guard case let .badShape(_, tensor, shape, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(tensor, "q")
            XCTAssertEqual(shape, [2, 16])
        }
    }

    func testElementCountOverflow() throws {
        var b = GGUFBuilder()
        b.addTensor("huge", dims: [1 << 40, 1 << 40, 1 << 40], type: 0, data: [])
        try assertError(b.bytes()) { e, path in
            XCTAssertEqual(e, .badShape(path: path, tensor: "huge", shape: [1 << 40, 1 << 40, 1 << 40], reason: "more than 2^40 elements"))
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try ModelLoader.open("/nonexistent/model.gguf")) { error in
            XCTAssertEqual(error as? ModelFileError, .cannotOpen(path: "/nonexistent/model.gguf", reason: "no such file or folder"))
        }
    }
}
