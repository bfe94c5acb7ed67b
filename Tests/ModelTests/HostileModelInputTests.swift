import Foundation
import XCTest
@testable import Model

/// Sizes read from model files are validated against each other and the bytes present before
/// anything is allocated (Guides/Inputs.md): absurd values give a typed error naming the file and
/// key or tensor, never an allocation failure or an overflow trap, and the files are left as they were.
final class HostileModelInputTests: XCTestCase {
    /// A Hugging Face folder (hidden 4, 1 block, 2 heads of 2, 1 KV head, FFN 8, vocabulary 3) whose
    /// config.json takes `overrides`.
    private func folder(_ overrides: [String: Any] = [:]) throws -> String {
        let dir = try TempFiles.folder("hostile")
        var config: [String: Any] = ["model_type": "llama", "hidden_size": 4, "num_hidden_layers": 1,
                                     "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 8,
                                     "vocab_size": 3, "tie_word_embeddings": true, "rope_theta": 10000.0,
                                     "rms_norm_eps": 1e-6]
        for (key, value) in overrides { config[key] = value }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        var tensors = [SafetensorsTensor(name: "model.embed_tokens.weight", shape: [3, 4], floats: [Float](repeating: 0.5, count: 12), as: .bf16)]
        for kind in LinearKind.allCases {
            let shape = [kind == .k || kind == .v ? 2 : kind == .gate || kind == .up ? 8 : 4, kind == .down ? 8 : 4]
            tensors.append(SafetensorsTensor(name: "model.layers.0.\(kind.modulePath).weight", shape: shape,
                                             floats: [Float](repeating: 0.25, count: shape[0] * shape[1]), as: .bf16))
        }
        tensors.append(SafetensorsTensor(name: "model.norm.weight", shape: [4], floats: [1, 1, 1, 1], as: .f32))
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: dir + "/model.safetensors")
        return dir
    }

    /// Every file below `dir` with its bytes.
    private func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    private func assertBadConfig(_ overrides: [String: Any], key: String, bound: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try folder(overrides)
        let before = try contents(dir)
        XCTAssertThrowsError(try ModelLoader.open(dir), file: file, line: line) { error in
            guard case let .badConfig(_, found, _, expected)? = error as? ModelFileError else {
                return XCTFail("\(overrides): \(error)", file: file, line: line)
            }
            XCTAssertEqual(found, key, file: file, line: line)
            XCTAssertTrue(expected.contains(bound), "\(expected) lacks \(bound)", file: file, line: line)
            let message = error.localizedDescription
            XCTAssertTrue(message.contains(dir + "/config.json") && message.contains(key), message, file: file, line: line)
        }
        XCTAssertEqual(try contents(dir), before, "the model folder is unchanged", file: file, line: line)
    }

    func testConfigSizesOutOfRangeAreRefusedNamingTheKey() throws {
        try assertBadConfig(["num_hidden_layers": -1], key: "num_hidden_layers", bound: "1...65536")
        try assertBadConfig(["num_hidden_layers": 1 << 40], key: "num_hidden_layers", bound: "1...65536")
        try assertBadConfig(["head_dim": 1 << 62], key: "head_dim", bound: "2...65536")
        try assertBadConfig(["hidden_size": 1 << 62], key: "hidden_size", bound: "1...16777216")
        try assertBadConfig(["vocab_size": 1_000_000_000_000], key: "vocab_size", bound: "1...16777216")
        try assertBadConfig(["num_key_value_heads": 3], key: "num_key_value_heads", bound: "dividing")
        try assertBadConfig(["rms_norm_eps": -1.0], key: "rms_norm_eps", bound: "> 0")
        try assertBadConfig(["rope_theta": 0.0], key: "rope_theta", bound: "> 0")
        try assertBadConfig(["eos_token_id": 1_000_000], key: "eos_token_id", bound: "0..<3")
    }

    /// A configuration that disagrees with the tensors present is refused naming the tensor.
    func testTensorShapesMustMatchTheConfiguration() throws {
        let dir = try folder(["intermediate_size": 16])
        XCTAssertThrowsError(try ModelLoader.open(dir)) { error in
            guard case let .badShape(_, tensor, shape, reason)? = error as? ModelFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "model.layers.0.mlp.gate_proj.weight")
            XCTAssertEqual(shape, [8, 4])
            XCTAssertTrue(reason.contains("[16, 4]"), reason)
        }
    }

    /// GGUF metadata that implies absurd sizes: a typed error naming the key, not an abort.
    func testGGUFHeaderSizesAreValidated() throws {
        var blocks = tinyLlamaGGUF()
        blocks.add("llama.block_count", u32: UInt32.max)
        var keyLength = tinyLlamaGGUF()
        keyLength.add("llama.attention.key_length", type: 10, GGUFBuilder.u64(1 << 62))
        var embedding = tinyLlamaGGUF()
        embedding.add("llama.embedding_length", u32: UInt32.max)
        for (builder, key) in [(blocks, "num_hidden_layers"), (keyLength, "head_dim"), (embedding, "hidden_size")] {
            let path = try builder.write()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ModelLoader.open(path), key) { error in
                guard case let .badConfig(file, found, _, _)? = error as? ModelFileError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, path)
                XCTAssertEqual(found, key)
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        }
    }

    /// tokenizer.json ids that are negative or far beyond the vocabulary: a typed error, no allocation.
    func testTokenizerIdsOutOfRange() throws {
        let dir = try TempFiles.folder("tok")
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[ByteLevel.token(forByte: UInt8(byte))] = byte }
        let cases: [(Any, Any, String)] = [
            (vocab, [["id": -1, "content": "<s>", "special": true]], "added_tokens[0].id is -1"),
            (vocab, [["id": 1_000_000_000_000, "content": "<s>", "special": true]], "added_tokens[0].id is 1000000000000"),
            (vocab.merging(["xyz": 1_000_000_000_000]) { a, _ in a }, [] as [Any], "model.vocab['xyz'] is 1000000000000"),
            (vocab.merging(["xyz": 4000]) { a, _ in a }, [] as [Any], "no token has id 256"),
        ]
        for (v, added, fragment) in cases {
            let url = URL(fileURLWithPath: dir + "/tokenizer.json")
            let object: [String: Any] = ["added_tokens": added, "pre_tokenizer": ["type": "ByteLevel"],
                                         "model": ["type": "BPE", "vocab": v, "merges": [String]()]]
            try JSONSerialization.data(withJSONObject: object).write(to: url)
            XCTAssertThrowsError(try Tokenizer(tokenizerJSON: url), fragment) { error in
                guard case let .invalidTokenizerFile(path, reason)? = error as? TokenizerError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, url.path)
                XCTAssertTrue(reason.contains(fragment), "\(reason) lacks \(fragment)")
            }
        }
    }

    /// A FIFO given as a model or a text is refused at once instead of blocking in open(2).
    func testFIFOInputsAreRefused() throws {
        let dir = try TempFiles.folder("fifo")
        let gguf = dir + "/model.gguf", text = dir + "/text.txt"
        for path in [gguf, text] { XCTAssertEqual(mkfifo(path, 0o600), 0) }
        XCTAssertThrowsError(try ModelLoader.open(gguf)) { error in
            XCTAssertEqual(error as? ModelFileError, .cannotOpen(path: gguf, reason: "it is a FIFO, not a regular file"))
        }
        XCTAssertThrowsError(try Tokenizer.loadText(URL(fileURLWithPath: text))) { error in
            XCTAssertEqual(error as? TokenizerError, .unreadableText(path: text, reason: "it is a FIFO, not a regular file"))
        }
        let model = try folder()
        try FileManager.default.removeItem(atPath: model + "/config.json")
        XCTAssertEqual(mkfifo(model + "/config.json", 0o600), 0)
        XCTAssertThrowsError(try ModelLoader.open(model)) { error in
            guard case .cannotOpen(model + "/config.json", _)? = error as? ModelFileError else { return XCTFail("\(error)") }
        }
    }
}
