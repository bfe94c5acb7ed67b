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

    /// The file read back in Swift (vocabulary by id, merges in rank order, added tokens as specials,
    /// the pre-tokenizer named by its Digits + ByteLevel sequence) encodes the reference ids.
    func testFileReadBackInSwiftEncodesReferenceIds() throws {
        let (_, folder) = try writeDefaultModelTokenizer()
        let data = try Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try XCTUnwrap(root["model"] as? [String: Any])
        XCTAssertEqual(model["type"] as? String, "BPE")
        let vocab = try XCTUnwrap(model["vocab"] as? [String: Int])
        XCTAssertEqual(vocab.count, 49_152)
        var tokens = [String](repeating: "", count: vocab.count)
        for (t, id) in vocab { tokens[id] = t }
        let merges = try XCTUnwrap(model["merges"] as? [String])
        XCTAssertEqual(merges.count, 48_900)
        let added = try XCTUnwrap(root["added_tokens"] as? [[String: Any]])
        var types = [Int32](repeating: 1, count: tokens.count)
        for a in added where a["special"] as? Bool == true { types[a["id"] as! Int] = 3 }
        XCTAssertEqual(added.first?["content"] as? String, "<|endoftext|>")
        let pre = try XCTUnwrap(root["pre_tokenizer"] as? [String: Any])
        let steps = try XCTUnwrap(pre["pretokenizers"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["type"] as? String }, ["Digits", "ByteLevel"])
        XCTAssertEqual(steps[0]["individual_digits"] as? Bool, true)
        let tokenizer = try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: .smollm,
                                      bosTokenId: 1, eosTokenId: 2, addBos: false)
        for (string, expected) in Self.references {
            XCTAssertEqual(tokenizer.encode(string, addSpecialTokens: false), expected, string)
        }
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
        XCTAssertEqual(config["add_bos_token"] as? Bool, false)
        XCTAssertEqual(config["bos_token"] as? String, tokens[1])
        XCTAssertEqual(config["eos_token"] as? String, tokens[2])
    }
}
