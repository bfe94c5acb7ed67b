import Foundation
import XCTest
@testable import Model

/// Each pre-tokenizer on inputs whose splits were derived by hand from its regex.
final class TokenizerPreTokenizerTests: XCTestCase {
    private func check(_ preTokenizer: PreTokenizer, _ table: [(String, [String])],
                       file: StaticString = #filePath, line: UInt = #line) {
        for (input, expected) in table {
            XCTAssertEqual(preTokenizer.pieces(of: input), expected, "\(preTokenizer) on \(input.debugDescription)",
                           file: file, line: line)
        }
    }

    func testGPT2() {
        check(.gpt2, [
            ("Hello world", ["Hello", " world"]),
            // contractions are case-sensitive: "'LL" is a lone apostrophe then letters
            ("I'm you'LL they're", ["I", "'m", " you", "'", "LL", " they", "'re"]),
            // two spaces before a word: the first stands alone, the last joins the word
            ("a  b", ["a", " ", " b"]),
            ("a \tb", ["a", " ", "\t", "b"]),
            // trailing whitespace is one piece (\s+(?!\S) at the end of the text)
            ("end   ", ["end", "   "]),
            ("x 123 456", ["x", " 123", " 456"]),
            ("hi!!! ?", ["hi", "!!!", " ?"]),
            ("line\n\nnext", ["line", "\n", "\n", "next"]),
            ("über café", ["über", " café"]),
            ("a...b'", ["a", "...", "b", "'"]),
            ("", []),
        ])
    }

    func testSmolLMSplitsDigitsFirst() {
        check(.smollm, [
            ("x 123 456", ["x", " ", "1", "2", "3", " ", "4", "5", "6"]),
            ("abc42def", ["abc", "4", "2", "def"]),
            ("In 1865, Lewis", ["In", " ", "1", "8", "6", "5", ",", " Lewis"]),
            // the space before a digit sees the digit span as its end, so it stays whole
            ("a  7", ["a", "  ", "7"]),
            ("Hello world", ["Hello", " world"]),
        ])
    }

    func testLlamaBPE() {
        check(.llamaBPE, [
            // contractions are case-insensitive
            ("I'M you'LL", ["I", "'M", " you", "'LL"]),
            ("12345 678", ["123", "45", " ", "678"]),
            // punctuation takes the line breaks after it
            ("hello, world!\n\nBye", ["hello", ",", " world", "!\n\n", "Bye"]),
            // \s*[\r\n]+ ends at the last line break of a whitespace run
            ("a  \n  b", ["a", "  \n", " ", " b"]),
            // any single non-letter, non-digit, non-newline character may lead a word
            ("\tabs", ["\tabs"]),
            ("(hi)", ["(hi", ")"]),
            // after a space the punctuation alternative wins: " (" then the word
            (" (hi)", [" (", "hi", ")"]),
            ("x   ", ["x", "   "]),
            ("$100", ["$", "100"]),
            ("a\r\nb", ["a", "\r\n", "b"]),
        ])
    }

    func testQwen2SplitsSingleDigits() {
        check(.qwen2, [
            ("12345 678", ["1", "2", "3", "4", "5", " ", "6", "7", "8"]),
            ("I'M x1", ["I", "'M", " x", "1"]),
            ("hello, world!\n\nBye", ["hello", ",", " world", "!\n\n", "Bye"]),
        ])
    }

    func testNamesAndAliases() throws {
        XCTAssertEqual(try PreTokenizer(named: "smollm"), .smollm)
        XCTAssertEqual(try PreTokenizer(named: "llama-bpe"), .llamaBPE)
        XCTAssertEqual(try PreTokenizer(named: "llama3"), .llamaBPE)
        XCTAssertEqual(try PreTokenizer(named: "qwen2"), .qwen2)
        XCTAssertEqual(try PreTokenizer(named: "gpt2"), .gpt2)
    }

    func testUnknownNameIsTypedErrorListingKnownNames() {
        XCTAssertThrowsError(try PreTokenizer(named: "deepseek-coder")) { error in
            guard case let TokenizerError.unknownPreTokenizer(name, known) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(name, "deepseek-coder")
            XCTAssertTrue(known.contains("smollm") && known.contains("qwen2") && known.contains("llama-bpe"))
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("deepseek-coder") && message.contains("gpt2"), message)
        }
    }
}

/// The scanners against the regexes they implement, on 300 random strings whose splits were
/// computed by Python's `regex` module (scripts/gen-pretokenizer-fixture).
final class TokenizerRegexParityTests: XCTestCase {
    func testScannersMatchRegexes() throws {
        let object = try JSONSerialization.jsonObject(with: Data(TokenizerRegexFixture.json.utf8))
        let cases = try XCTUnwrap(object as? [[Any]])
        XCTAssertEqual(cases.count, 300)
        let order: [PreTokenizer] = [.gpt2, .smollm, .llamaBPE, .qwen2]
        for entry in cases {
            let text = try XCTUnwrap(entry[0] as? String)
            for (column, preTokenizer) in order.enumerated() {
                let expected = try XCTUnwrap(entry[column + 1] as? [String])
                // compare scalars, not Strings (String equality ignores canonical differences)
                XCTAssertEqual(preTokenizer.pieces(of: text).map { Array($0.unicodeScalars) },
                               expected.map { Array($0.unicodeScalars) },
                               "\(preTokenizer) on \(text.debugDescription)")
            }
        }
    }
}
