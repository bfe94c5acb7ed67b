import Foundation
import Model
import Formats
import IO

/// Hugging Face `config.json` for an exported folder: the source folder's own config.json when
/// there is one, otherwise the `ModelConfig` fields (Hugging Face names) plus `architectures`,
/// `hidden_act` and `torch_dtype`; then `quantization_config` when the export is quantized.
enum HFMetadataConfig {
    /// `architectures` entry per `model_type`.
    static let architectureClass: [String: String] = [
        "llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
        "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
    ]

    /// The config object (without `quantization_config`).
    static func base(_ model: ModelDescription) throws -> [String: Any] {
        if model.kind == .huggingFace {
            let url = URL(fileURLWithPath: model.path).appendingPathComponent("config.json")
            if let data = try? InputFile.read(url),
               var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                object["quantization_config"] = nil
                return object
            }
        }
        let data = try JSONPolicy.encode(model.config, style: .compact)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw QuantizedCheckpointError.badConfig(folder: model.path, reason: "model configuration does not encode as a JSON object")
        }
        object["architectures"] = [architectureClass[model.config.modelType] ?? "LlamaForCausalLM"]
        object["hidden_act"] = "silu"
        object["torch_dtype"] = "bfloat16"
        object["initializer_range"] = 0.02
        object["use_cache"] = true
        return object
    }

    /// Writes `config.json` into `folder`.
    static func write(_ object: [String: Any], to folder: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        let url = folder.appendingPathComponent("config.json")
        try AtomicFile.write(data, to: url) { QuantizedCheckpointError.writeFailed(path: url.path, reason: $0) }
    }
}
