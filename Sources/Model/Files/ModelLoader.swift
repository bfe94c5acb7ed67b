import Foundation
import IO
import TensorCore

/// Opens models from a path: a `.gguf` file, the first part of a split GGUF
/// (`name-00001-of-00003.gguf`), or a Hugging Face folder (config.json with `model.safetensors` or
/// `model.safetensors.index.json`).
public enum ModelLoader {
    /// Architectures the project runs.
    public static let supportedArchitectures: Set<String> = ["llama", "mistral", "qwen2", "qwen3"]

    /// Opens `path` (see the type's description). Errors are `ModelFileError`s naming the path.
    public static func open(_ path: String) throws -> ModelDescription {
        HeapTuning.applyOnce()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue { return try openHuggingFace(path) }
        if path.hasSuffix(".gguf") { return try openGGUF(path) }
        throw ModelFileError.unrecognizedModel(path: path, reason: "expected a .gguf file or a folder with config.json and safetensors")
    }

    /// Opens a GGUF model (all parts when `path` is a split part).
    public static func openGGUF(_ path: String) throws -> ModelDescription {
        HeapTuning.applyOnce()
        return try openGGUF(GGUFTensorSource(paths: try splitParts(path)), path: path)
    }

    /// A GGUF model from already parsed files (e.g. bytes held in memory, see `MappedFile(copying:path:)`):
    /// its configuration read from the metadata and checked, its linear layers found.
    public static func openGGUF(_ source: GGUFTensorSource, path: String) throws -> ModelDescription {
        let config = try GGUFModelConfig.config(source)
        let layout = GGUFModelConfig.ropeLayouts[config.modelType] ?? .rotateHalf
        return try ModelDescription(path: path, kind: .gguf, config: config, tensors: source,
                                    ropeLayout: layout, gguf: source)
    }

    /// The parts of a split GGUF (`...-0000k-of-0000N.gguf`, k = 1...N) in order, or `[path]`.
    public static func splitParts(_ path: String) throws -> [String] {
        let pattern = #"-(\d{5})-of-(\d{5})\.gguf$"#
        guard let range = path.range(of: pattern, options: .regularExpression) else { return [path] }
        let suffix = path[range]
        let digits = suffix.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard digits.count == 2, digits[1] >= 1 else { return [path] }
        let stem = path[..<range.lowerBound]
        let parts = (1...digits[1]).map { String(format: "%@-%05d-of-%05d.gguf", String(stem), $0, digits[1]) }
        for p in parts where !FileManager.default.fileExists(atPath: p) {
            throw ModelFileError.cannotOpen(path: p, reason: "part of split model \(path) is missing")
        }
        return parts
    }

    /// Opens a Hugging Face folder.
    public static func openHuggingFace(_ folder: String) throws -> ModelDescription {
        HeapTuning.applyOnce()
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let data: Data
        do { data = try InputFile.read(URL(fileURLWithPath: configPath)) } catch let error as InputFileError {
            if case .notRegular = error { throw ModelFileError.cannotOpen(path: configPath, reason: error.reason) }
            throw ModelFileError.unrecognizedModel(path: folder, reason: "no readable config.json")
        }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: data) } catch {
            throw ModelFileError.badHeader(path: configPath, reason: "config.json does not decode: \(error)")
        }
        guard supportedArchitectures.contains(config.modelType) else {
            throw ModelFileError.unsupportedArchitecture(path: configPath, architecture: config.modelType)
        }
        try config.validate(path: configPath)
        let index = (folder as NSString).appendingPathComponent("model.safetensors.index.json")
        let single = (folder as NSString).appendingPathComponent("model.safetensors")
        let source: SafetensorsSource
        if FileManager.default.fileExists(atPath: index) {
            source = try SafetensorsSource(index: index)
        } else if FileManager.default.fileExists(atPath: single) {
            source = try SafetensorsSource(file: single)
        } else {
            throw ModelFileError.unrecognizedModel(path: folder, reason: "no model.safetensors or model.safetensors.index.json")
        }
        return try ModelDescription(path: folder, kind: .huggingFace, config: config, tensors: source,
                                    ropeLayout: .rotateHalf, safetensors: source)
    }

    /// Resolves a model argument: nil or "default" is the cached default model (fetched on first
    /// use, see `Assets`); anything else is returned unchanged.
    public static func resolve(_ model: String?) throws -> String {
        guard let model, model != "default" else { return try Assets.path(.defaultModel) }
        return model
    }
}
