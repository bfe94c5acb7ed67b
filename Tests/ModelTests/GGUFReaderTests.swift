import XCTest
@testable import Model

final class GGUFReaderTests: XCTestCase {
    func testMetadataOfEveryValueType() throws {
        typealias B = GGUFBuilder
        var b = GGUFBuilder()
        b.add("u8", type: 0, [200])
        b.add("i8", type: 1, [0xFE])
        b.add("u16", type: 2, [0x34, 0x12])
        b.add("i16", type: 3, [0xFF, 0xFF])
        b.add("u32", type: 4, B.u32(70_000))
        b.add("i32", type: 5, B.u32(UInt32(bitPattern: -5)))
        b.add("f32", type: 6, B.u32(Float(1.5).bitPattern))
        b.add("bool", type: 7, [1])
        b.add("str", type: 8, B.string("héllo"))
        b.add("u64", type: 10, B.u64(1 << 40))
        b.add("i64", type: 11, B.u64(UInt64(bitPattern: -7)))
        b.add("f64", type: 12, B.u64(Double(0.25).bitPattern))
        // [[1, 2], [3]] as an array of arrays of int32.
        let inner1 = B.u32(5) + B.u64(2) + B.u32(1) + B.u32(2), inner2 = B.u32(5) + B.u64(1) + B.u32(3)
        b.add("nested", type: 9, B.u32(9) + B.u64(2) + inner1 + inner2)
        b.add("tokens", strings: ["<s>", "a b"])
        let g = try GGUFFile(path: try b.write())
        XCTAssertEqual(g.version, 3)
        XCTAssertEqual(g.metadataKeys.count, 14)
        XCTAssertEqual(g["u8"], .uint8(200))
        XCTAssertEqual(g["i8"], .int8(-2))
        XCTAssertEqual(g["u16"], .uint16(0x1234))
        XCTAssertEqual(g["i16"], .int16(-1))
        XCTAssertEqual(g["u32"]?.intValue, 70_000)
        XCTAssertEqual(g["i32"], .int32(-5))
        XCTAssertEqual(g["f32"], .float32(1.5))
        XCTAssertEqual(g["bool"]?.boolValue, true)
        XCTAssertEqual(g["str"]?.stringValue, "héllo")
        XCTAssertEqual(g["u64"]?.intValue, 1 << 40)
        XCTAssertEqual(g["i64"], .int64(-7))
        XCTAssertEqual(g["f64"]?.doubleValue, 0.25)
        XCTAssertEqual(g["nested"], .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        XCTAssertEqual(g["tokens"]?.stringArray, ["<s>", "a b"])
        XCTAssertTrue(g.tensors.isEmpty)
    }

    func testTinyModelShapesNamesAndConfig() throws {
        let d = try ModelLoader.open(try tinyLlamaGGUF().write())
        XCTAssertEqual(d.kind, .gguf)
        XCTAssertEqual(d.ropeLayout, .adjacentPairs)
        let c = d.config
        XCTAssertEqual([c.numHiddenLayers, c.hiddenSize, c.intermediateSize, c.numAttentionHeads, c.numKeyValueHeads, c.headDim,
                        c.vocabSize, c.maxPositionEmbeddings], [1, 4, 8, 2, 1, 2, 3, 128])
        XCTAssertEqual(c.ropeTheta, 500_000)
        XCTAssertEqual(c.rmsNormEps, Double(Float(1e-6)))
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertFalse(c.attentionBias)
        XCTAssertEqual(c.bosTokenId, 1)
        // GGUF dims [4, 3] (ne[0] = 4 features) -> HF shape [3, 4]; data keeps its row-major order.
        XCTAssertEqual(d.tensorInfo("model.embed_tokens.weight")?.shape, [3, 4])
        XCTAssertEqual(try d.tensors.floats("model.embed_tokens.weight"), (0..<12).map { Float($0) * 0.5 - 1 })
        XCTAssertEqual(d.gguf?.ggufInfo("model.layers.0.self_attn.k_proj.weight")?.name, "blk.0.attn_k.weight")
        XCTAssertEqual(d.linearLayers.map(\.kind), LinearKind.allCases)
        XCTAssertEqual(d.linearLayers.map(\.shape), [[4, 4], [2, 4], [2, 4], [4, 4], [8, 4], [8, 4], [4, 8]])
        XCTAssertEqual(d.linearLayers[6].name, "model.layers.0.mlp.down_proj")
        XCTAssertEqual(d.parameterCount, 12 + 16 + 8 + 8 + 16 + 32 + 32 + 32 + 12)
        XCTAssertThrowsError(try d.tensors.floats("nope")) { error in
            XCTAssertEqual(error as? ModelFileError, .tensorNotFound(path: d.path, tensor: "nope"))
        }
    }

    func testQwen2LayoutBiasAndUntiedHead() throws {
        let d = try ModelLoader.open(try tinyLlamaGGUF(arch: "qwen2", withBias: true, withOutput: true).write())
        XCTAssertEqual(d.ropeLayout, .rotateHalf)   // llama.cpp converts qwen2 unpermuted (NEOX RoPE)
        XCTAssertTrue(d.config.attentionBias)
        XCTAssertFalse(d.config.tieWordEmbeddings)
        XCTAssertEqual(d.tensorInfo("lm_head.weight")?.shape, [3, 4])
        XCTAssertEqual(try d.tensors.floats("model.layers.0.self_attn.q_proj.bias"), [-1, -0.5, 0, 0.5])
    }

    func testUnsupportedArchitectureIsNamed() throws {
        let path = try tinyLlamaGGUF(arch: "gemma3").write()
        XCTAssertThrowsError(try ModelLoader.open(path)) { error in
            XCTAssertEqual(error as? ModelFileError, .unsupportedArchitecture(path: path, architecture: "gemma3"))
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("gemma3") == true)
        }
    }

    func testAlignmentAndParallelQ8Decode() throws {
        // 1024 rows of one Q8_0 block each: several parallel chunks; block r has d = 1/2^(r%4), q[j] = j - r%64.
        var b = GGUFBuilder()
        b.alignment = 64
        b.add("general.alignment", u32: 64)
        b.addF32("small", dims: [3], [1, 2, 3])
        var data = [UInt8](), expected = [Float]()
        for r in 0..<1024 {
            let d = Float(1) / Float(1 << (r % 4))
            data += withUnsafeBytes(of: HalfPrecisionBits.f16(d).littleEndian, Array.init)
            for j in 0..<32 {
                let q = Int8(j - r % 64)
                data.append(UInt8(bitPattern: q))
                expected.append(Float(q) * d)
            }
        }
        b.addTensor("big", dims: [32, 1024], type: 8, data: data)
        let source = try GGUFTensorSource(paths: [try b.write()])
        XCTAssertEqual(source.files[0].alignment, 64)
        XCTAssertEqual(source.files[0].dataOffset % 64, 0)
        XCTAssertEqual(source.files[0].tensors[1].offset, 64)
        XCTAssertEqual(try source.floats("small"), [1, 2, 3])
        XCTAssertEqual(source.tensorInfos[1].shape, [1024, 32])
        XCTAssertEqual(try source.floats("big"), expected)
    }

    func testSplitGGUF() throws {
        let dir = try TempFiles.folder()
        var first = tinyLlamaGGUF()
        var second = GGUFBuilder()
        first.add("split.count", type: 2, [2, 0])
        second.add("split.count", type: 2, [2, 0])
        second.addF32("output.weight", dims: [4, 3], [Float](repeating: 7, count: 12))
        try Data(first.bytes()).write(to: URL(fileURLWithPath: dir + "/m-00001-of-00002.gguf"))
        try Data(second.bytes()).write(to: URL(fileURLWithPath: dir + "/m-00002-of-00002.gguf"))
        let d = try ModelLoader.open(dir + "/m-00001-of-00002.gguf")
        XCTAssertEqual(d.gguf?.files.count, 2)
        XCTAssertFalse(d.config.tieWordEmbeddings)
        XCTAssertEqual(try d.tensors.floats("lm_head.weight"), [Float](repeating: 7, count: 12))
        try FileManager.default.removeItem(atPath: dir + "/m-00002-of-00002.gguf")
        XCTAssertThrowsError(try ModelLoader.open(dir + "/m-00001-of-00002.gguf")) { error in
            XCTAssertEqual(error as? ModelFileError,
                           .cannotOpen(path: dir + "/m-00002-of-00002.gguf", reason: "part of split model \(dir)/m-00001-of-00002.gguf is missing"))
        }
    }
}

/// fp16 bits of a Float (test helper).
enum HalfPrecisionBits {
    static func f16(_ x: Float) -> UInt16 { Float16(x).bitPattern }
}
