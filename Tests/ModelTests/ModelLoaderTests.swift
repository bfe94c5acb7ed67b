import Foundation
import XCTest
@testable import Model

final class ModelLoaderTests: XCTestCase {
    /// A Hugging Face folder with the tiny model's tensors (bf16 linears, f32 norms).
    private func tinyFolder(modelType: String = "llama", sharded: Bool = false) throws -> String {
        let dir = try TempFiles.folder("hf")
        let config = """
        {"model_type": "\(modelType)", "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2,
         "num_key_value_heads": 1, "intermediate_size": 8, "vocab_size": 3, "tie_word_embeddings": true,
         "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "eos_token_id": [2, 5]}
        """
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        var tensors = [SafetensorsTensor(name: "model.embed_tokens.weight", shape: [3, 4], floats: (0..<12).map(Float.init), as: .bf16)]
        for kind in LinearKind.allCases {
            let shape = [kind == .k || kind == .v ? 2 : kind == .gate || kind == .up ? 8 : 4, kind == .down ? 8 : 4]
            tensors.append(SafetensorsTensor(name: "model.layers.0.\(kind.modulePath).weight", shape: shape,
                                             floats: (0..<(shape[0] * shape[1])).map { Float($0) / 4 }, as: .bf16))
        }
        tensors.append(SafetensorsTensor(name: "model.norm.weight", shape: [4], floats: [1, 1, 1, 1], as: .f32))
        if sharded {
            try SafetensorsWriter.writeSharded(tensors, directory: dir, maxShardBytes: 100)
        } else {
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: dir + "/model.safetensors")
        }
        return dir
    }

    func testHuggingFaceFolder() throws {
        for sharded in [false, true] {
            let dir = try tinyFolder(sharded: sharded)
            let d = try ModelLoader.open(dir)
            XCTAssertEqual(d.kind, .huggingFace)
            XCTAssertEqual(d.ropeLayout, .rotateHalf)
            XCTAssertEqual(d.config.eosTokenId, 2)
            XCTAssertEqual(d.linearLayers.map(\.shape), [[4, 4], [2, 4], [2, 4], [4, 4], [8, 4], [8, 4], [4, 8]])
            XCTAssertEqual(d.linearLayers.map(\.storage), [StorageType](repeating: .bf16, count: 7))
            XCTAssertEqual(try d.tensors.floats("model.layers.0.mlp.down_proj.weight"), (0..<32).map { Float($0) / 4 })
            XCTAssertEqual(d.parameterCount, 12 + 16 + 8 + 8 + 16 + 32 + 32 + 32 + 4)
            // Byte sizes 24, 32, 16, 16 | 32, 64 | 64 | 64, 16 fill four shards of at most 100 bytes.
            XCTAssertEqual(d.safetensors?.files.count, sharded ? 4 : 1)
        }
    }

    /// transformers 5 writes the RoPE base inside `rope_parameters` (no top-level `rope_theta`); earlier
    /// releases put the variant in `rope_scaling`. A scaled RoPE is refused by name.
    func testRopeParameters() throws {
        func decode(_ rope: String) throws -> ModelConfig {
            let json = #"{"hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 3, "# + rope + "}"
            return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
        }
        XCTAssertEqual(try decode(#""rope_parameters": {"rope_theta": 100000.0, "rope_type": "default"}"#).ropeTheta, 100_000)
        XCTAssertEqual(try decode(#""rope_theta": 500000.0, "rope_scaling": null"#).ropeTheta, 500_000)
        XCTAssertEqual(try decode(#""rope_parameters": {"full_attention": {"rope_theta": 1000000.0}}"#).ropeTheta, 1_000_000)
        XCTAssertEqual(try decode(#""max_position_embeddings": 64"#).ropeTheta, 10_000)
        // Both given: rope_parameters wins, as in transformers 5 and the GGUF writer's reading.
        XCTAssertEqual(try decode(#""rope_theta": 10000.0, "rope_parameters": {"rope_theta": 100000.0}"#).ropeTheta, 100_000)
        XCTAssertNil(try decode(#""rope_scaling": {"type": "default"}"#).scaledRope)
        let scaled = try decode(#""rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 2.0}"#)
        XCTAssertEqual(scaled.ropeType, "linear")
        XCTAssertThrowsError(try scaled.validate(path: "m/config.json")) { error in
            XCTAssertEqual(error as? ModelFileError, .badConfig(
                path: "m/config.json", key: "rope_scaling.type", value: "linear",
                expected: "\"default\" (plain RoPE; scaled RoPE is not run by this project)"))
        }
        XCTAssertEqual(try decode(#""rope_parameters": {"rope_theta": 5e5, "rope_type": "llama3", "factor": 8.0}"#).ropeType, "llama3")
    }

    func testFolderErrors() throws {
        let dir = try tinyFolder(modelType: "gpt_neox")
        XCTAssertThrowsError(try ModelLoader.open(dir)) { error in
            XCTAssertEqual(error as? ModelFileError, .unsupportedArchitecture(path: dir + "/config.json", architecture: "gpt_neox"))
        }
        let empty = try TempFiles.folder()
        XCTAssertThrowsError(try ModelLoader.open(empty)) { error in
            XCTAssertEqual(error as? ModelFileError, .unrecognizedModel(path: empty, reason: "no readable config.json"))
        }
        let noWeights = try tinyFolder()
        try FileManager.default.removeItem(atPath: noWeights + "/model.safetensors")
        XCTAssertThrowsError(try ModelLoader.open(noWeights)) { error in
            XCTAssertEqual(error as? ModelFileError,
                           .unrecognizedModel(path: noWeights, reason: "no model.safetensors or model.safetensors.index.json"))
        }
        let text = try TempFiles.write(Array("hi".utf8), name: "model.bin")
        XCTAssertThrowsError(try ModelLoader.open(text)) { error in
            guard case .unrecognizedModel? = error as? ModelFileError else { return XCTFail("\(error)") }
        }
    }

    func testMissingLinearLayerIsNamed() throws {
        var b = GGUFBuilder()
        b.add("general.architecture", string: "llama")
        for (k, v) in [("block_count", 1), ("embedding_length", 4), ("feed_forward_length", 8), ("attention.head_count", 2)] {
            b.add("llama.\(k)", u32: UInt32(v))
        }
        b.addF32("token_embd.weight", dims: [4, 3], [Float](repeating: 0, count: 12))
        let path = try b.write()
        XCTAssertThrowsError(try ModelLoader.open(path)) { error in
            XCTAssertEqual(error as? ModelFileError, .tensorNotFound(path: path, tensor: "model.layers.0.self_attn.q_proj.weight"))
        }
    }

    func testResolveAndCachePaths() throws {
        XCTAssertEqual(try ModelLoader.resolve("/some/model.gguf"), "/some/model.gguf")
        XCTAssertEqual(try ModelLoader.splitParts("/m/x.gguf"), ["/m/x.gguf"])
        guard Assets.cachedPath(.defaultModel) != nil else { throw XCTSkip("default model not cached") }
        XCTAssertEqual(try ModelLoader.resolve(nil), Assets.cacheDirectory + "/SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertEqual(try ModelLoader.resolve("default"), try ModelLoader.resolve(nil))
        if let alice = Assets.cachedPath(.alice29) {
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: alice)[.size] as? Int, 152_089)
        }
    }
}
