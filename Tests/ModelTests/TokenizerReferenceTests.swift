import Foundation
import XCTest
@testable import Model

/// The default model's tokenizer against reference ids (an independent implementation; see
/// /work/shared/ASSETS.md): exact ids for three strings and the whole of alice29.txt.
final class TokenizerReferenceTests: XCTestCase {
    func testCapitalOfFrance() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        XCTAssertEqual(tokenizer.encode("The capital of France is"), [504, 3575, 282, 4649, 314])
    }

    func testDigitsSplitOneByOne() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        XCTAssertEqual(tokenizer.encode("In 1865, Lewis Carroll wrote 42 chapters!"),
                       [788, 216, 33, 40, 38, 37, 28, 11968, 29872, 4150, 216, 36, 34, 12279, 17])
    }

    func testUnicodeAndWhitespace() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        XCTAssertEqual(tokenizer.encode("  naïve café — “quoted”\n\ttabs"),
                       [216, 15486, 46494, 37366, 1841, 619, 385, 5036, 573, 198, 197, 100, 7366])
    }

    func testVocabularyShape() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.merges.count, 48900)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.bosTokenId, 1)
        XCTAssertEqual(tokenizer.eosTokenId, 2)
        XCTAssertFalse(tokenizer.addBos)
    }

    func testAliceHasReferenceTokenCount() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        let text = try Tokenizer.loadText(try TokenizerAssets.file("alice29.txt"))
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 39_357)
        XCTAssertEqual(Array(ids.prefix(10)), [1116, 10459, 9206, 15799, 23, 67, 5236, 48932, 42606, 5622])
        XCTAssertEqual(try tokenizer.decode(ids), text)
    }

    func testChatSpecialTokensMatchWhole() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.last, 2)
        XCTAssertEqual(try tokenizer.decode(ids), "<|im_start|>user\nHi<|im_end|>")
        XCTAssertEqual(try tokenizer.decode(ids, skipSpecial: true), "user\nHi")
        let literal = tokenizer.encode("<|im_start|>", parseSpecial: false)
        XCTAssertGreaterThan(literal.count, 1)
        XCTAssertFalse(literal.contains(1))
    }
}
