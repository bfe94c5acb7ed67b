import Foundation
import Model

/// Token ids of a text file for calibration and evaluation, with the model's own tokenizer.
enum CalibrationTokens {
    /// The model's own tokenizer (GGUF metadata, or tokenizer.json in a Hugging Face folder).
    static func tokenizer(_ description: ModelDescription) throws -> Tokenizer {
        try Tokenizer(model: description)
    }

    /// The ids of the text at `path` (no special tokens added).
    static func encode(_ path: String, with tokenizer: Tokenizer) throws -> [Int] {
        tokenizer.encode(try Tokenizer.loadText(URL(fileURLWithPath: path)), addSpecialTokens: false)
    }
}

