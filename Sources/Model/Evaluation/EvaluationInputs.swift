import Foundation

/// Turns a model file and a text file into what evaluation needs: a runnable model and token ids.
public enum EvaluationInputs {
    /// The model's tokenizer: the GGUF's embedded `tokenizer.ggml.*` metadata, or a Hugging Face
    /// folder's `tokenizer.json`.
    public static func tokenizer(of description: ModelDescription) throws -> Tokenizer {
        try Tokenizer(model: description)
    }

    /// Token ids of a text file by the evaluation protocol: UTF-8 read with universal newlines
    /// (`Tokenizer.loadText`), no BOS, special tokens not parsed.
    /// `universalNewlines: false` keeps CR LF as stored (llama.cpp's tools).
    public static func tokens(ofTextFile path: String, tokenizer: Tokenizer, universalNewlines: Bool = true) throws -> [Int] {
        let text = try Tokenizer.loadText(URL(fileURLWithPath: path), universal: universalNewlines)
        return tokenizer.encode(text, addSpecialTokens: false, parseSpecial: false)
    }

    /// Opens a model file as a runnable Llama-family model (validates config and tensor shapes).
    /// The model runs the input quantizers the file records (`ModelDescription.inputQuantizers`).
    public static func model(_ description: ModelDescription) throws -> LlamaModel {
        var model = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        model.inputQuantizers = description.inputQuantizers
        return model
    }
}
