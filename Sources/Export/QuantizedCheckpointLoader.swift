import Foundation
import Model

/// Opens any model the project reads, including auto-round folders: an auto-round folder (config.json
/// with `quant_method: auto-round`) is read through `QuantizedCheckpointSource` (layers dequantized to
/// Float32, rotate-half Q/K layout); anything else goes to `ModelLoader.open`.
public enum QuantizedCheckpointLoader {
    /// The model at `path`. - Throws: `QuantizedCheckpointError` or `ModelFileError` naming the path.
    public static func open(_ path: String) throws -> ModelDescription {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
           QuantizedCheckpointSource.isAutoRound(folder: path) {
            let source = try QuantizedCheckpointSource(folder: path)
            var description = try ModelDescription(path: path, kind: .huggingFace, config: source.config, tensors: source,
                                                   ropeLayout: .rotateHalf)
            description.inputQuantizers = source.inputQuantizers
            return description
        }
        return try ModelLoader.open(path)
    }
}
