import Foundation
import XCTest
@testable import Model
import TensorCore

final class SafetensorsTests: XCTestCase {
    /// A mix of dtypes, including bf16 values that need rounding and raw integer/fp8 bytes.
    private func sampleTensors() -> [SafetensorsTensor] {
        var rng = SplitMix64(seed: 7)
        let values = (0..<24).map { _ in rng.nextGaussian() }
        return [
            SafetensorsTensor(name: "model.embed_tokens.weight", shape: [4, 6], floats: values, as: .bf16),
            SafetensorsTensor(name: "model.norm.weight", shape: [6], floats: [1, -2, 0.5, 3.25, -0, 1e-3], as: .f32),
            SafetensorsTensor(name: "lm_head.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, 65504], as: .f16),
            SafetensorsTensor(name: "codes", dtype: .i8, shape: [3], bytes: [0x80, 0x00, 0x7F]),
            SafetensorsTensor(name: "ids", dtype: .i32, shape: [2], bytes: [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
            SafetensorsTensor(name: "fp8", dtype: .f8e4m3, shape: [3], bytes: [0x38, 0x7E, 0xC4]),
            SafetensorsTensor(name: "empty", dtype: .f32, shape: [0, 5], bytes: []),
        ]
    }

    func testHeaderLayoutAndDecoding() throws {
        let path = try TempFiles.folder() + "/model.safetensors"
        try SafetensorsWriter.write(sampleTensors(), metadata: ["format": "pt", "note": "a \"quoted\"\nline"], to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual((8 + Int(n)) % 8, 0)
        XCTAssertEqual(bytes[8], UInt8(ascii: "{"))
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.metadata, ["format": "pt", "note": "a \"quoted\"\nline"])
        XCTAssertEqual(f.tensors.map(\.name), sampleTensors().map(\.name))
        XCTAssertEqual(try f.floats("model.norm.weight"), [1, -2, 0.5, 3.25, -0, 1e-3])
        XCTAssertEqual(try f.floats("lm_head.weight"), [1, 2, 3, 4, 5, 65504])
        XCTAssertEqual(try f.floats("fp8"), [1, 448, -3])
        XCTAssertEqual(try f.floats("empty"), [])
        XCTAssertEqual(Array(try f.rawBytes("codes")), [0x80, 0x00, 0x7F])
        var rng = SplitMix64(seed: 7)
        let expected = (0..<24).map { _ in HalfPrecision.roundToBF16(rng.nextGaussian()) }
        XCTAssertEqual(try f.floats("model.embed_tokens.weight"), expected)
        XCTAssertThrowsError(try f.floats("ids")) { error in
            XCTAssertEqual(error as? ModelFileError, .notDecodable(path: path, tensor: "ids", storage: "I32"))
        }
    }

    func testRoundTripIsBitIdentical() throws {
        let dir = try TempFiles.folder()
        let original = sampleTensors()
        try SafetensorsWriter.write(original, metadata: ["format": "pt"], to: dir + "/a.safetensors")
        let a = try SafetensorsFile(path: dir + "/a.safetensors")
        let reread = try a.tensors.map { SafetensorsTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Array(try a.rawBytes($0.name))) }
        XCTAssertEqual(reread, original)
        try SafetensorsWriter.write(reread, metadata: a.metadata, to: dir + "/b.safetensors")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/b.safetensors")))
        // Decoded bf16 re-encoded to bf16 gives the same bits.
        let bf = try a.floats("model.embed_tokens.weight")
        XCTAssertEqual(SafetensorsTensor(name: "x", shape: [4, 6], floats: bf, as: .bf16).bytes, original[0].bytes)
    }

    func testTwoShardIndexRoundTrip() throws {
        let dir = try TempFiles.folder()
        let original = sampleTensors()
        let shards = try SafetensorsWriter.writeSharded(original, metadata: ["format": "pt"], directory: dir, maxShardBytes: 60)
        XCTAssertEqual(shards, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let source = try SafetensorsSource(index: dir + "/model.safetensors.index.json")
        XCTAssertEqual(source.files.count, 2)
        XCTAssertEqual(source.files[0].tensors.map(\.name), ["model.embed_tokens.weight"])   // 48 bytes; +24 would pass 60
        XCTAssertEqual(Set(source.tensorInfos.map(\.name)), Set(original.map(\.name)))
        for t in original {
            XCTAssertEqual(Array(try source.rawBytes(t.name)), t.bytes, t.name)
            XCTAssertEqual(source.tensorInfos.first { $0.name == t.name }?.shape, t.shape)
        }
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))) as? [String: Any]
        XCTAssertEqual((index?["metadata"] as? [String: Any])?["total_size"] as? Int, original.reduce(0) { $0 + $1.bytes.count })
        XCTAssertEqual((index?["weight_map"] as? [String: String])?["lm_head.weight"], "model-00002-of-00002.safetensors")
    }

    func testPythonSafetensorsOpensOurFiles() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import safetensors, numpy"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            throw XCTSkip("python3 lacks the safetensors or numpy package (pip install safetensors numpy)")
        }
        let path = try TempFiles.folder() + "/m.safetensors"
        let tensors = sampleTensors().filter { $0.dtype != .bf16 && $0.dtype != .f8e4m3 }
        try SafetensorsWriter.write(tensors, metadata: ["format": "np"], to: path)
        let script = """
        import sys
        from safetensors.numpy import load_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], 'np') as f: meta = f.metadata()
        print(meta['format'], t['lm_head.weight'].shape, t['lm_head.weight'].ravel().tolist(), t['codes'].tolist(), t['ids'].tolist())
        """
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, path]
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text, "np (2, 3) [1.0, 2.0, 3.0, 4.0, 5.0, 65504.0] [-128, 0, 127] [1, -1]\n")

        // And the other way: a file Python writes (its own key order and padding) reads here.
        let written = path + ".py.safetensors"
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", "-c", """
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({'w': np.array([[0.5, -1.25], [3.0, 1e-3]], dtype=np.float16), 'b': np.arange(3, dtype=np.float32)},
                      sys.argv[1], metadata={'k': 'v'})
            """, written]
        try writer.run()
        writer.waitUntilExit()
        XCTAssertEqual(writer.terminationStatus, 0)
        let f = try SafetensorsFile(path: written)
        XCTAssertEqual(f.metadata, ["k": "v"])
        XCTAssertEqual(f.info("w")?.shape, [2, 2])
        XCTAssertEqual(try f.floats("w"), [0.5, -1.25, 3.0, HalfPrecision.roundToF16(1e-3)])
        XCTAssertEqual(try f.floats("b"), [0, 1, 2])
    }
}
