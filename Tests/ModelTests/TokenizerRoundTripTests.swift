import XCTest
@testable import Model

/// decode(encode(s)) == s on the default vocabulary for text that stresses the byte level and the
/// pre-tokenizer (every byte here has a token; SmolLM2 lacks 21 bytes: six C0 controls, 0xC0, 0xC1 and
/// 0xF1-0xFF, which UTF-8 text never or almost never contains).
final class TokenizerRoundTripTests: XCTestCase {
    private let samples = [
        "",
        " ",
        "   \n\n\t  x  ",
        "\r\n\r\nCRLF lines\r\n",
        "naïve café — “quoted” ‘single’ … ellipsis",
        "e\u{301} (combining acute) vs é; Ångström; ﬁ ligature",
        "emoji 👩‍👩‍👧 flags 🇫🇷 skin 👍🏽",
        "漢字かなカナ 한국어 Ελληνικά русский עברית العربية हिन्दी",
        "numbers 1,234.56 ²³ ٣ Ⅻ 0x1F 10^9",
        "I'M you'LL they're can't WON'T",
        "tabs\tand\u{A0}nbsp\u{3000}ideographic space\u{2028}line sep",
        "<|im_start|>system\n<|im_end|> <|endoftext|>",
        "trailing spaces     ",
        String(repeating: "ab", count: 3000),
    ]

    func testDecodeInvertsEncode() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        for sample in samples {
            let ids = tokenizer.encode(sample)
            XCTAssertEqual(Array(try tokenizer.decode(ids).unicodeScalars), Array(sample.unicodeScalars),
                           sample.debugDescription)
            XCTAssertEqual(Array(try tokenizer.decode(tokenizer.encode(sample, parseSpecial: false)).unicodeScalars),
                           Array(sample.unicodeScalars), sample.debugDescription)
        }
    }

    func testTokenBytes() throws {
        let tokenizer = try TokenizerAssets.smolLM2()
        XCTAssertEqual(tokenizer.bytes(ofToken: 216), [0x20])       // "Ġ"
        XCTAssertEqual(tokenizer.bytes(ofToken: 256), [0x20, 0x20]) // "ĠĠ"
        XCTAssertEqual(tokenizer.bytes(ofToken: 198), [0x0A])       // "Ċ"
        XCTAssertEqual(tokenizer.bytes(ofToken: 1), Array("<|im_start|>".utf8))
        XCTAssertNil(tokenizer.bytes(ofToken: 49152))
        XCTAssertEqual(tokenizer.encode("  "), [256])
    }
}
