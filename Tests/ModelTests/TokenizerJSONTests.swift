import Foundation
import XCTest
@testable import Model

/// `init(tokenizerJSON:)` on small files written here, and on a file written from the default
/// model's GGUF vocabulary (which must tokenize exactly like the GGUF-built tokenizer).
final class TokenizerJSONTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ object: Any, _ name: String = "tokenizer.json") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    /// Bytes at ids 0-255, "ab" 256, "abc" 257, added "<s>" 258.
    private func tinyJSON(merges: Any, preTokenizer: Any) -> [String: Any] {
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[ByteLevel.token(forByte: UInt8(byte))] = byte }
        vocab["ab"] = 256
        vocab["abc"] = 257
        return [
            "added_tokens": [["id": 258, "content": "<s>", "special": true]],
            "pre_tokenizer": preTokenizer,
            "model": ["type": "BPE", "vocab": vocab, "merges": merges],
        ]
    }

    private let smolLMPre: [String: Any] = ["type": "Sequence", "pretokenizers": [
        ["type": "Digits", "individual_digits": true],
        ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
    ]]

    func testBothMergeFormatsAndAddedTokens() throws {
        for merges: Any in [["a b", "ab c"], [["a", "b"], ["ab", "c"]]] {
            let url = try write(tinyJSON(merges: merges, preTokenizer: smolLMPre))
            let tokenizer = try Tokenizer(tokenizerJSON: url)
            XCTAssertEqual(tokenizer.preTokenizer, .smollm)
            XCTAssertEqual(tokenizer.vocabularySize, 259)
            XCTAssertEqual(tokenizer.encode("abc<s>ab12"), [257, 258, 256, 49, 50])
            XCTAssertNil(tokenizer.bosTokenId)
        }
    }

    func testConfigSuppliesBosAndEos() throws {
        let url = try write(tinyJSON(merges: ["a b"], preTokenizer: ["type": "ByteLevel"]))
        _ = try write(["bos_token": ["content": "<s>"], "eos_token": "<s>", "add_bos_token": true],
                      "tokenizer_config.json")
        let tokenizer = try Tokenizer(tokenizerJSON: url)
        XCTAssertEqual(tokenizer.preTokenizer, .gpt2)
        XCTAssertEqual(tokenizer.bosTokenId, 258)
        XCTAssertEqual(tokenizer.eosTokenId, 258)
        XCTAssertEqual(tokenizer.encode("ab"), [258, 256])
    }

    func testLlama3SplitRegexAndTemplateBos() throws {
        var json = tinyJSON(merges: ["a b"], preTokenizer: ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": PreTokenizer.llamaBPERegex], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false],
        ]])
        json["post_processor"] = ["type": "Sequence", "processors": [
            ["type": "ByteLevel"],
            ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<s>", "type_id": 0]],
                                                      ["Sequence": ["id": "A", "type_id": 0]]]],
        ]]
        let tokenizer = try Tokenizer(tokenizerJSON: try write(json))
        XCTAssertEqual(tokenizer.preTokenizer, .llamaBPE)
        XCTAssertTrue(tokenizer.ignoreMerges)
        // "abc" is a vocabulary token, so ignore_merges takes it whole although no merge makes it.
        XCTAssertEqual(tokenizer.encode("abc 123"), [258, 257, 32, 49, 50, 51])
    }

    func testUnsupportedPreTokenizerAndBadFiles() throws {
        let metaspace = try write(tinyJSON(merges: [], preTokenizer: ["type": "Metaspace"]))
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: metaspace)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedPreTokenizer(source: metaspace.path, description: "Metaspace"))
        }
        var wordPiece = tinyJSON(merges: [], preTokenizer: ["type": "ByteLevel"])
        wordPiece["model"] = ["type": "WordPiece", "vocab": [:]]
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: try write(wordPiece))) { error in
            XCTAssertTrue(error.localizedDescription.contains("WordPiece"), error.localizedDescription)
        }
        var gap = tinyJSON(merges: [], preTokenizer: ["type": "ByteLevel"])
        gap["added_tokens"] = [["id": 300, "content": "<s>"]]
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: try write(gap))) { error in
            XCTAssertTrue(error.localizedDescription.contains("no token has id 258"), error.localizedDescription)
        }
        let missing = folder.appendingPathComponent("absent.json")
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: missing)) { error in
            XCTAssertTrue(error.localizedDescription.contains("absent.json"), error.localizedDescription)
        }
    }

    func testJSONFromDefaultVocabularyMatchesGGUF() throws {
        let gguf = try TokenizerAssets.smolLM2()
        let metadata = try TokenizerAssets.smolLM2File().metadata
        let tokens = try XCTUnwrap(metadata["tokenizer.ggml.tokens"]?.stringArray)
        let merges = try XCTUnwrap(metadata["tokenizer.ggml.merges"]?.stringArray)
        let types = try XCTUnwrap(metadata["tokenizer.ggml.token_type"]?.arrayValue?.compactMap(\.intValue))
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { vocab[token] = id }
        let added = tokens.indices.filter { types[$0] == 3 }.map { ["id": $0, "content": tokens[$0], "special": true] }
        let url = try write(["added_tokens": added, "pre_tokenizer": smolLMPre,
                             "model": ["type": "BPE", "vocab": vocab, "merges": merges]])
        let fromJSON = try Tokenizer(tokenizerJSON: url)
        let text = try Tokenizer.loadText(try TokenizerAssets.file("alice29.txt"))
        XCTAssertEqual(fromJSON.encode(text), gguf.encode(text))
        XCTAssertEqual(fromJSON.encode("<|im_start|>Hi 42"), [1, 26843, 216, 36, 34])
    }
}

/// Normalizers and ByteLevel options of `tokenizer.json` that change ids.
final class TokenizerJSONNormalizerTests: XCTestCase {
    private func tokenizer(_ extra: [String: Any], preTokenizer: [String: Any] = ["type": "ByteLevel"]) throws -> Tokenizer {
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[ByteLevel.token(forByte: UInt8(byte))] = byte }
        var json: [String: Any] = ["pre_tokenizer": preTokenizer, "model": ["type": "BPE", "vocab": vocab, "merges": []]]
        json.merge(extra) { $1 }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return try Tokenizer(tokenizerJSON: url)
    }

    func testNFCComposesBeforeEncoding() throws {
        let decomposed = "e\u{301}"
        XCTAssertEqual(try tokenizer([:]).encode(decomposed), [0x65, 0xCC, 0x81])
        let nfc = try tokenizer(["normalizer": ["type": "NFC"]])
        XCTAssertEqual(nfc.normalization, .nfc)
        XCTAssertEqual(nfc.encode(decomposed), [0xC3, 0xA9])
        XCTAssertEqual(try tokenizer(["normalizer": NSNull()]).normalization, .none)
    }

    func testUnsupportedNormalizerAndPrefixSpaceAreErrors() {
        XCTAssertThrowsError(try tokenizer(["normalizer": ["type": "Lowercase"]])) { error in
            guard case let TokenizerError.unsupportedNormalizer(_, type) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(type, "Lowercase")
        }
        XCTAssertThrowsError(try tokenizer([:], preTokenizer: ["type": "ByteLevel", "add_prefix_space": true])) { error in
            XCTAssertTrue(error.localizedDescription.contains("add_prefix_space"), error.localizedDescription)
        }
    }
}
