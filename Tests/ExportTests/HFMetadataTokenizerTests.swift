import Foundation
import XCTest
@testable import Export
@testable import Model

/// tokenizer.json written from the default model's GGUF metadata encodes the reference strings of
/// /work/shared/ASSETS.md to the reference ids.
final class HFMetadataTokenizerTests: XCTestCase {
    static let references: [(String, [Int])] = [
        ("The capital of France is", [504, 3575, 282, 4649, 314]),
        ("In 1865, Lewis Carroll wrote 42 chapters!", [788, 216, 33, 40, 38, 37, 28, 11968, 29872, 4150, 216, 36, 34, 12279, 17]),
        ("  naïve café — “quoted”\n\ttabs", [216, 15486, 46494, 37366, 1841, 619, 385, 5036, 573, 198, 197, 100, 7366]),
    ]

    func writeDefaultModelTokenizer() throws -> (ModelDescription, URL) {
        guard let path = Assets.cachedPath(.defaultModel) else { throw XCTSkip("default model not cached") }
        let model = try ModelLoader.open(path)
        let folder = ExportFixtures.temporaryURL("tok")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try HFMetadataTokenizer.write(model, to: folder)
        return (model, folder)
    }

    /// Hugging Face `tokenizers` (Python) loads the file and reproduces the reference ids, and the
    /// first ids and token count of alice29.txt (39,357, read with universal newlines as the
    /// reference protocol does). Skipped, saying so, without python3 +
    /// tokenizers.
    func testHuggingFaceTokenizersEncodesReferenceIds() throws {
        let (_, folder) = try writeDefaultModelTokenizer()
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[1])
        texts = json.load(open(sys.argv[2], encoding="utf-8"))
        out = [tok.encode(t, add_special_tokens=False).ids for t in texts]
        print(json.dumps(out))
        """
        var texts = Self.references.map(\.0)
        let alice = try Assets.cachedPath(.alice29).map { try Tokenizer.loadText(URL(fileURLWithPath: $0)) }
        if let alice { texts.append(alice) }
        let textsFile = folder.appendingPathComponent("texts.json")
        try JSONSerialization.data(withJSONObject: texts).write(to: textsFile)
        guard let text = try ExportFixtures.python(script, [folder.appendingPathComponent("tokenizer.json").path, textsFile.path]) else {
            throw XCTSkip("python3 with the tokenizers package is not installed here; the Hugging Face check did not run")
        }
        let ids = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Int]])
        for (i, (string, expected)) in Self.references.enumerated() {
            XCTAssertEqual(ids[i], expected, string)
        }
        if alice != nil {
            XCTAssertEqual(ids[3].count, 39_357)
            XCTAssertEqual(Array(ids[3].prefix(10)), [1116, 10459, 9206, 15799, 23, 67, 5236, 48932, 42606, 5622])
        }
    }

    /// The file read back with the project's Hugging Face reader (`Tokenizer(tokenizerJSON:)`, which
    /// also reads bos/eos from the written tokenizer_config.json) encodes the reference ids, and its
    /// structure is GGUF's: 49,152 tokens, 48,900 merges, Digits + ByteLevel pre-tokenizer.
    func testFileReadBackWithTheHuggingFaceReaderEncodesReferenceIds() throws {
        let (model, folder) = try writeDefaultModelTokenizer()
        let tokenizer = try Tokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        for (string, expected) in Self.references {
            XCTAssertEqual(tokenizer.encode(string, addSpecialTokens: false), expected, string)
        }
        let original = try Tokenizer(model: model)
        XCTAssertEqual(tokenizer.tokens, original.tokens)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.bosTokenId, 1)
        XCTAssertEqual(tokenizer.eosTokenId, 2)
        XCTAssertEqual(tokenizer.addBos, false)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))) as? [String: Any])
        XCTAssertEqual(((root["model"] as? [String: Any])?["merges"] as? [String])?.count, 48_900)
        XCTAssertEqual((root["added_tokens"] as? [[String: Any]])?.first?["content"] as? String, "<|endoftext|>")
    }
}
