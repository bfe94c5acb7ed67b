import Foundation
import Model

/// Token ids of a text file for calibration and evaluation, with the model's own tokenizer.
enum CalibrationTokens {
    /// The tokenizer embedded in a GGUF model (byte-level BPE metadata).
    /// - Throws: `ExportError.unsupportedModel` when the model carries no GGUF tokenizer.
    static func tokenizer(_ description: ModelDescription) throws -> Tokenizer {
        guard let meta = description.gguf?.metadata, let tokens = meta["tokenizer.ggml.tokens"]?.stringArray,
              let merges = meta["tokenizer.ggml.merges"]?.stringArray else {
            throw CLIError.noTokenizer(path: description.path)
        }
        let types = meta["tokenizer.ggml.token_type"]?.arrayValue?.compactMap { $0.intValue.flatMap { Int32(exactly: $0) } }
        return try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types,
                             preTokenizer: try PreTokenizer(named: meta["tokenizer.ggml.pre"]?.stringValue ?? "gpt2"),
                             bosTokenId: meta["tokenizer.ggml.bos_token_id"]?.intValue,
                             eosTokenId: meta["tokenizer.ggml.eos_token_id"]?.intValue,
                             addBos: meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
    }

    /// The ids of the text at `path` (no special tokens added).
    static func encode(_ path: String, with tokenizer: Tokenizer) throws -> [Int] {
        tokenizer.encode(try Tokenizer.loadText(URL(fileURLWithPath: path)), addSpecialTokens: false)
    }
}

/// Errors of the command-line tool itself.
enum CLIError: Error, LocalizedError {
    case noTokenizer(path: String)

    var errorDescription: String? {
        switch self {
        case let .noTokenizer(path):
            return "Model '\(path)' carries no GGUF tokenizer (tokenizer.ggml.tokens and .merges); expected a GGUF model for calibration."
        }
    }
}
