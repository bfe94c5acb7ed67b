import Foundation
import IO
import Model
import Sensitivity

/// The model and calibration tokens a profiler run needs, loaded from CLI arguments.
public struct ProfileInputs {
    public let description: ModelDescription
    public let model: LlamaModel
    public let tokens: [Int]
    public let calibrationFile: String
    public let calibrationSHA256: String
    /// The model's own tokenizer (also used for the evaluation text).
    public let tokenizer: Tokenizer

    /// Opens `model` (nil: the cached default) and tokenizes `calib` (nil: the cached lcet10.txt)
    /// with the model's own tokenizer (no BOS), reading the text with universal newlines.
    public init(model path: String?, calib: String?) throws {
        try self.init(description: try ModelLoader.open(try ModelLoader.resolve(path)), calib: calib)
    }

    /// The same from an opened model (so that a caller can check other inputs against it first).
    public init(description: ModelDescription, calib: String?) throws {
        self.description = description
        model = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        calibrationFile = try calib ?? Assets.path(.lcet10)
        let url = URL(fileURLWithPath: calibrationFile)
        let text = try Tokenizer.loadText(url)
        tokenizer = try Tokenizer(model: description)
        tokens = tokenizer.encode(text, addSpecialTokens: false)
        calibrationSHA256 = SHA256Digest.hex(try InputFile.read(url) { TokenizerError.unreadableText(path: url.path, reason: $0) })
    }
}
