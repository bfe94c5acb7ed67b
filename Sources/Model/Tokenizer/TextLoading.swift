import Foundation
import IO

extension Tokenizer {
    /// Reads a UTF-8 text file the way the project's reference numbers were produced: Python's
    /// text mode ("universal newlines"), where CR LF and a lone CR each become LF. The Canterbury
    /// texts use CR LF, so this changes token counts (alice29.txt: 39,357 tokens after it).
    /// - Throws: `TokenizerError.unreadableText` naming the file if it is missing or not UTF-8.
    /// - Parameter universal: false keeps the line ends as stored, as llama.cpp's tools read a text
    ///   (`llama-perplexity -f`), for numbers comparable with theirs.
    public static func loadText(_ url: URL, universal: Bool = true) throws -> String {
        let data = try InputFile.read(url) { TokenizerError.unreadableText(path: url.path, reason: $0) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableText(path: url.path, reason: "not valid UTF-8")
        }
        return universal ? universalNewlines(text) : text
    }

    /// `text` with CR LF and lone CR replaced by LF (Python's universal newlines).
    /// - Complexity: O(bytes).
    public static func universalNewlines(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0A && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = byte == 0x0D
            bytes.append(previousWasCR ? 0x0A : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
