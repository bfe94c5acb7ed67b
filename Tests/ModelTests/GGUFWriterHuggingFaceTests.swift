import Foundation
import XCTest
@testable import Model

/// GGUF metadata built from Hugging Face folders the way llama.cpp's converter builds it.
final class GGUFWriterHuggingFaceTests: XCTestCase {
    /// Writes fixture folder `name` (plus `extra` files, nil contents removing one) into a fresh folder.
    static func folder(_ name: String, extra: [String: String?] = [:]) throws -> String {
        let dir = try TempFiles.folder("hf") + "/\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var files = HuggingFaceTokenizerFixtures.folders[name] ?? [:]
        for (file, contents) in extra { files[file] = contents }
        for (file, contents) in files {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: dir + "/" + file))
        }
        return dir
    }

    /// The keys gguf-py's `SpecialVocab` writes for each fixture (after `tokenizer.ggml.token_type`).
    /// `tokenizer.chat_templates` is in order of appearance here; gguf-py writes a Python set.
    static let specialVocabulary: [String: [(String, GGUFValue)]] = [
        "A": [
            ("tokenizer.ggml.merges", .array([.string("a b"), .string("Ġ a"), .string("aĠb c")])),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.padding_token_id", .uint32(2)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.add_eos_token", .bool(false)),
            ("tokenizer.chat_template", .string("{{ messages }}")),
        ],
        "B": [
            ("tokenizer.ggml.merges", .array([.string("a b"), .string("Ġ a")])),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_eos_token", .bool(false)),
            ("tokenizer.ggml.add_sep_token", .bool(false)),
            ("tokenizer.chat_template.tool_use", .string("T1")),
            ("tokenizer.chat_templates", .array([.string("tool_use"), .string("rag")])),
            ("tokenizer.chat_template", .string("T0")),
        ],
        "C": [
            ("tokenizer.ggml.merges", .array([.string("a b"), .string("Ġ a")])),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.padding_token_id", .uint32(0)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_eos_token", .bool(true)),
            ("tokenizer.ggml.add_sep_token", .bool(true)),
            ("tokenizer.ggml.normalizer.lowercase", .bool(true)),
        ],
        "D": [
            ("tokenizer.ggml.merges", .array([.string("a b"), .string("Ġ a")])),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.mask_token_id", .uint32(1)),
            ("tokenizer.ggml.eot_token_id", .uint32(0)),
            ("tokenizer.ggml.padding_token_id", .uint32(0)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_eos_token", .bool(true)),
            ("tokenizer.ggml.add_sep_token", .bool(false)),
            ("tokenizer.chat_template", .string("{{ jinja }}")),
            ("tokenizer.ggml.normalizer.lowercase", .bool(false)),
        ],
    ]

    /// Every key of fixture A in order: hyperparameters, tokens padded to `vocab_size` with
    /// `[PAD11]`, token types (control for special and `<|...|>` tokens, user-defined with `▁`
    /// written as a space), then the special vocabulary.
    func testEveryKeyOfASmolLMStyleFolder() throws {
        let dir = try Self.folder("A")
        let m = try GGUFMetadata(huggingFace: dir, fileType: .f16, parameterCount: 1_234_567)
        let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "ab", "Ġ", "Ġa", "c", "<|tool|>", " user ", "[PAD11]"]
        let expected: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.type", .string("model")), ("general.name", .string("A")),
            ("general.size_label", .string("1.2M")), ("llama.block_count", .uint32(2)), ("llama.context_length", .uint32(256)),
            ("llama.embedding_length", .uint32(64)), ("llama.feed_forward_length", .uint32(128)),
            ("llama.attention.head_count", .uint32(4)), ("llama.attention.head_count_kv", .uint32(2)),
            ("llama.rope.freq_base", .float32(100_000)), ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("general.file_type", .uint32(1)), ("llama.vocab_size", .uint32(12)), ("llama.rope.dimension_count", .uint32(16)),
            ("general.quantization_version", .uint32(2)), ("tokenizer.ggml.add_space_prefix", .bool(false)),
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array([3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 4, 5].map { .int32($0) })),
        ] + Self.specialVocabulary["A"]!
        XCTAssertEqual(m.keys, expected.map(\.0))
        XCTAssertEqual(m, GGUFMetadata(expected))
        // It writes, and reads back through the project's reader.
        let path = dir + "/out.gguf"
        try GGUFWriter.write(metadata: m, tensors: [], to: path)
        XCTAssertEqual(try GGUFFile(path: path).metadataKeys, m.keys)
    }

    /// B (Llama 3 style: Split + ByteLevel, TemplateProcessing, named chat templates, head_dim),
    /// C (no tokenizer_config: config.json's ids, a lowercase normalizer, a template adding BOS,
    /// EOS and SEP) and D (an EOS replaced by the template's, the old one kept as EOT; a jinja
    /// chat template): the special vocabulary gguf-py writes.
    func testSpecialVocabularyMatchesGGUFPy() throws {
        for name in ["A", "B", "C", "D"] {
            let m = try GGUFMetadata(huggingFace: try Self.folder(name), fileType: .f32)
            let start = m.keys.firstIndex(of: "tokenizer.ggml.token_type")! + 1
            let got = Array(m.entries[start...])
            let want = Self.specialVocabulary[name]!.map { GGUFMetadata.Entry($0.0, $0.1) }
            XCTAssertEqual(got.map(\.key), want.map(\.key), name)
            XCTAssertEqual(got, want, name)
        }
        let b = try GGUFMetadata(huggingFace: try Self.folder("B"), fileType: .f32, name: "llama3-like")
        XCTAssertEqual(b["general.name"], .string("llama3-like"))
        XCTAssertNil(b["general.size_label"])
        XCTAssertEqual(b["tokenizer.ggml.pre"], .string("llama-bpe"))
        XCTAssertEqual(b["llama.attention.key_length"], .uint32(16))
        XCTAssertEqual(b["llama.attention.value_length"], .uint32(16))
        XCTAssertNil(b["tokenizer.ggml.add_space_prefix"])
        let c = try GGUFMetadata(huggingFace: try Self.folder("C"), fileType: .f32)
        XCTAssertEqual(c["tokenizer.ggml.token_type"], .array([3, 3, 3, 1, 1, 1, 1, 1, 1].map { .int32($0) }))   // "<pad>" looks special
        XCTAssertEqual(c["tokenizer.ggml.pre"], .string("gpt2"))
    }

    /// gguf-py's size labels: at least two digits, K/M/B/T above 10^3/10^6/10^9/10^12.
    func testSizeLabels() {
        let cases: [(Int, String)] = [(134_515_008, "135M"), (1_234_567, "1.2M"), (999, "1.0K"), (400, "0.40K"),
                                      (7_241_732_096, "7.2B"), (70_553_706_496, "71B"), (1_000_000, "1000K"), (2_000_000_000_000, "2.0T")]
        for (n, label) in cases { XCTAssertEqual(GGUFMetadata.sizeLabel(n), label, "\(n)") }
    }

    func testRefusedFolders() throws {
        let linear = #"{"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "#
            + #""num_attention_heads": 4, "vocab_size": 12, "rope_scaling": {"type": "linear", "factor": 2.0}}"#
        let cases: [(String, [String: String?], String)] = [
            ("A", ["config.json": linear], "rope_scaling.type"),
            ("A", ["config.json": linear.replacingOccurrences(of: "\"llama\"", with: "\"qwen2\"")], "model_type"),
            ("A", ["tokenizer.model": "spm"], "SentencePiece"),
            ("C", ["tokenizer.json": nil], "tokenizer.json"),
            ("A", ["config.json": HuggingFaceTokenizerFixtures.folders["A"]!["config.json"]!
                .replacingOccurrences(of: "\"vocab_size\": 12", with: "\"vocab_size\": 10")], "not below the vocabulary size 10"),
        ]
        for (name, extra, mention) in cases {
            let dir = try Self.folder(name, extra: extra)
            XCTAssertThrowsError(try GGUFMetadata(huggingFace: dir, fileType: .f32)) { error in
                XCTAssertTrue(error is ModelFileError || error is TokenizerError, "\(error)")
                XCTAssertTrue(error.localizedDescription.contains(mention), "'\(mention)' in: \(error.localizedDescription)")
                XCTAssertTrue(error.localizedDescription.contains(dir), error.localizedDescription)
            }
        }
    }
}
