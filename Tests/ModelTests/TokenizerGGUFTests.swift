import XCTest
@testable import Model

/// `init(ggufMetadata:source:)` on metadata built here (the real file is covered by the
/// reference tests) and `init(model:)` on the default model.
final class TokenizerGGUFTests: XCTestCase {
    /// Bytes at ids 0-255, "ab" 256, control "<|x|>" 257.
    private func metadata() -> [String: GGUFValue] {
        let tokens = (0..<256).map { ByteLevel.token(forByte: UInt8($0)) } + ["ab", "<|x|>"]
        return [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("qwen2"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.merges": .array([.string("a b")]),
            "tokenizer.ggml.token_type": .array([GGUFValue](repeating: .int32(1), count: 257) + [.int32(3)]),
            "tokenizer.ggml.bos_token_id": .uint32(257),
            "tokenizer.ggml.eos_token_id": .uint32(257),
            "tokenizer.ggml.add_bos_token": .bool(true),
        ]
    }

    func testReadsEveryKey() throws {
        let tokenizer = try Tokenizer(ggufMetadata: metadata(), source: "tiny.gguf")
        XCTAssertEqual(tokenizer.preTokenizer, .qwen2)
        XCTAssertEqual(tokenizer.bosTokenId, 257)
        XCTAssertTrue(tokenizer.addBos)
        XCTAssertEqual(tokenizer.encode("ab12<|x|>"), [257, 256, 49, 50, 257])
    }

    func testMissingAndMistypedKeysNameTheKey() {
        var missing = metadata()
        missing["tokenizer.ggml.merges"] = nil
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: missing, source: "tiny.gguf")) { error in
            XCTAssertEqual(error as? TokenizerError, .missingMetadata(key: "tokenizer.ggml.merges", source: "tiny.gguf"))
        }
        var spm = metadata()
        spm["tokenizer.ggml.model"] = .string("llama")
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: spm, source: "tiny.gguf")) { error in
            XCTAssertTrue(error.localizedDescription.contains("'llama'"), error.localizedDescription)
        }
        var mistyped = metadata()
        mistyped["tokenizer.ggml.tokens"] = .uint32(3)
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: mistyped, source: "tiny.gguf")) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .metadataTypeMismatch(key: "tokenizer.ggml.tokens", expected: "array of strings", actual: "uint32"))
        }
        var unknownPre = metadata()
        unknownPre["tokenizer.ggml.pre"] = .string("tekken")
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: unknownPre, source: "tiny.gguf")) { error in
            XCTAssertTrue(error.localizedDescription.contains("tekken"), error.localizedDescription)
        }
    }

    func testFromOpenedDefaultModel() throws {
        let url = try TokenizerAssets.file("SmolLM2-135M-Instruct.Q4_1.gguf")
        let tokenizer = try Tokenizer(model: try ModelLoader.open(url.path))
        XCTAssertEqual(tokenizer.encode("The capital of France is"), [504, 3575, 282, 4649, 314])
    }
}
