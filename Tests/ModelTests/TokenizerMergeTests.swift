import XCTest
@testable import Model

/// A tiny vocabulary built by hand: ids 0-255 are the 256 byte tokens in byte order (so the id of
/// a byte is the byte), then the merge results in order, then one control token.
final class TokenizerMergeTests: XCTestCase {
    private static let byteTokens = (0..<256).map { ByteLevel.token(forByte: UInt8($0)) }

    /// Vocabulary: bytes, "bc" 256, "ab" 257, "abc" 258, "abcd" 259, "aa" 260, "<|x|>" 261.
    private func tokenizer(merges: [String], preTokenizer: PreTokenizer = .gpt2, dropBytes: Set<Int> = [],
                           addBos: Bool = false) throws -> Tokenizer {
        var tokens = Self.byteTokens + ["bc", "ab", "abc", "abcd", "aa", "<|x|>"]
        for byte in dropBytes { tokens[byte] = "<unused\(byte)>" }
        var types = [Int32](repeating: 1, count: tokens.count)
        types[261] = 3
        return try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: preTokenizer,
                             bosTokenId: 261, eosTokenId: nil, addBos: addBos)
    }

    func testLowestRankMergesFirst() throws {
        // ranks: "b c" 0, "a b" 1, "a bc" 2, "abc d" 3. In "abcd" the pair (b,c) outranks (a,b):
        // a b c d -> a bc d -> abc d -> abcd.
        let ranked = try tokenizer(merges: ["b c", "a b", "a bc", "abc d"])
        XCTAssertEqual(ranked.encode("abcd"), [259])
        // Swap the first two ranks: a b c d -> ab c d, and no merge joins "ab" with "c".
        let swapped = try tokenizer(merges: ["a b", "b c", "a bc", "abc d"])
        XCTAssertEqual(swapped.encode("abcd"), [257, 99, 100])
    }

    func testEqualRanksMergeLeftmostFirst() throws {
        let tokenizer = try tokenizer(merges: ["a a"])
        XCTAssertEqual(tokenizer.encode("aaa"), [260, 97])
        XCTAssertEqual(tokenizer.encode("aaaa"), [260, 260])
        XCTAssertEqual(tokenizer.encode("aaaaa"), [260, 260, 97])
    }

    func testSpaceIsItsByteTokenAndWordsMergeSeparately() throws {
        let tokenizer = try tokenizer(merges: ["b c", "a b", "a bc", "abc d"])
        // " abcd" is one GPT-2 piece: Ġ (id 32) then the merged "abcd"; no merge involves Ġ.
        XCTAssertEqual(tokenizer.encode(" abcd abc"), [32, 259, 32, 258])
        XCTAssertEqual(try tokenizer.decode([32, 259, 32, 258]), " abcd abc")
    }

    func testControlTokenMatchedWholeAndBos() throws {
        let tokenizer = try tokenizer(merges: ["a b"], addBos: true)
        XCTAssertEqual(tokenizer.encode("ab<|x|>ab"), [261, 257, 261, 257])
        XCTAssertEqual(tokenizer.encode("ab<|x|>ab", addSpecialTokens: false), [257, 261, 257])
        XCTAssertEqual(tokenizer.encode("<|x|>", addSpecialTokens: false, parseSpecial: false),
                       [60, 124, 120, 124, 62])
        XCTAssertEqual(try tokenizer.decode([257, 261, 257]), "ab<|x|>ab")
        XCTAssertEqual(try tokenizer.decode([257, 261, 257], skipSpecial: true), "abab")
    }

    func testMultiByteCharactersAreMergedFromBytes() throws {
        // "é" is C3 A9: without merges it is two byte tokens.
        let tokenizer = try tokenizer(merges: [])
        XCTAssertEqual(tokenizer.encode("é"), [0xC3, 0xA9])
        XCTAssertEqual(try tokenizer.decode([0xC3]), "\u{FFFD}")
        XCTAssertEqual(try tokenizer.decode([0xC3, 0xA9]), "é")
    }

    func testBytesWithoutTokenAreDropped() throws {
        let tokenizer = try tokenizer(merges: [], dropBytes: [0x04])
        XCTAssertEqual(tokenizer.encode("a\u{4}b"), [97, 98])
    }

    func testIgnoreMergesTakesWholeVocabularyWords() throws {
        // "abcd" is a token but the merges cannot reach it ("abc d" is missing).
        let merges = ["b c", "a bc"]
        XCTAssertEqual(try tokenizer(merges: merges, preTokenizer: .gpt2).encode("abcd"), [258, 100])
        XCTAssertEqual(try tokenizer(merges: merges, preTokenizer: .llamaBPE).encode("abcd"), [259])
    }

    func testDecodeRejectsIdOutsideVocabulary() throws {
        let tokenizer = try tokenizer(merges: [])
        XCTAssertThrowsError(try tokenizer.decode([97, 262])) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .decodeIdOutOfRange(id: 262, position: 1, vocabularySize: 262))
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
    }

    func testBadVocabulariesThrowTypedErrors() {
        XCTAssertThrowsError(try tokenizer(merges: ["ab"])) { error in
            XCTAssertEqual(error as? TokenizerError, .malformedMerge(index: 0, merge: "ab"))
        }
        XCTAssertThrowsError(try tokenizer(merges: ["a b", "b zz"])) { error in
            XCTAssertEqual(error as? TokenizerError, .mergeTokenNotInVocabulary(index: 1, merge: "b zz", missing: "zz"))
        }
        XCTAssertThrowsError(try tokenizer(merges: ["c d"])) { error in
            XCTAssertEqual(error as? TokenizerError, .mergeTokenNotInVocabulary(index: 0, merge: "c d", missing: "cd"))
        }
        XCTAssertThrowsError(try Tokenizer(tokens: Self.byteTokens, merges: [], tokenTypes: [1, 1], preTokenizer: .gpt2,
                                           bosTokenId: nil, eosTokenId: nil, addBos: false)) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenTypeCountMismatch(expected: 256, actual: 2))
        }
        XCTAssertThrowsError(try Tokenizer(tokens: Self.byteTokens + ["a"], merges: [], tokenTypes: nil,
                                           preTokenizer: .gpt2, bosTokenId: nil, eosTokenId: nil, addBos: false)) { error in
            XCTAssertEqual(error as? TokenizerError, .duplicateToken(token: "a", firstId: 97, secondId: 256))
        }
        XCTAssertThrowsError(try Tokenizer(tokens: Self.byteTokens, merges: [], tokenTypes: nil, preTokenizer: .gpt2,
                                           bosTokenId: 300, eosTokenId: nil, addBos: true)) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenIdOutOfRange(role: "bos", id: 300, vocabularySize: 256))
            XCTAssertTrue(error.localizedDescription.contains("300"))
        }
    }

    func testByteLevelMapping() {
        XCTAssertEqual(ByteLevel.token(forByte: 0x20), "Ġ")
        XCTAssertEqual(ByteLevel.token(forByte: 0x0A), "Ċ")
        XCTAssertEqual(ByteLevel.token(forByte: 0x00), "Ā")
        XCTAssertEqual(ByteLevel.token(forByte: 0x41), "A")
        XCTAssertEqual(ByteLevel.token(forByte: 0xAD), "\u{143}") // the 68th remapped byte: U+0143 "Ń"
        XCTAssertEqual(ByteLevel.bytes(ofToken: "ĠHello"), [0x20] + Array("Hello".utf8))
        XCTAssertNil(ByteLevel.bytes(ofToken: "a b"))
    }
}
