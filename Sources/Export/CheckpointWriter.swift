import Foundation
import Model
import TensorCore
import IO

/// Writes a fake-quantized checkpoint: the dequantized weights as a Hugging Face folder
/// (`config.json`, `model.safetensors`, plus any extra files such as `quantize-stats.json`).
///
/// Every tensor of the source model is written under its Hugging Face name; linear weights with a
/// replacement take it. Q/K rows stored in GGUF's adjacent-pair RoPE layout are permuted back to
/// Hugging Face's rotate-half layout (within each head of width d, HF row j d/2 + i is GGUF row
/// 2 i + j), so the folder loads in any Hugging Face tool; `config.json` says nothing about layout.
/// 2-D tensors are stored as `dtype` (bf16 by default, round to nearest even); 1-D tensors (norms,
/// biases) as F32. The folder is written under a temporary name beside `path` and renamed into place.
public enum CheckpointWriter {
    /// Writes the folder. - Throws: `ExportError.outputExists` when `path` holds files and
    /// `overwrite` is false; `ExportError.writeFailed`; model file errors from decoding tensors.
    public static func writeFake(model: LlamaModel, ropeLayout: RopeLayout, replacements: [LayerID: Matrix],
                                 tensors: [String: [Float]] = [:], to path: String, overwrite: Bool, dtype: StorageType = .bf16,
                                 extraFiles: [String: Data] = [:]) throws {
        do {
            try StagedFolder(URL(fileURLWithPath: path), overwrite: overwrite).build { temp in
                let written = try checkpointTensors(model: model, ropeLayout: ropeLayout, replacements: replacements,
                                                    tensors: tensors, dtype: dtype)
                try SafetensorsWriter.write(written, metadata: ["format": "pt"],
                                            to: temp.appendingPathComponent("model.safetensors").path)
                try configJSON(model.config, dtype: dtype).write(to: temp.appendingPathComponent("config.json"))
                for (name, data) in extraFiles {
                    try data.write(to: temp.appendingPathComponent(name))
                }
            }
        } catch let error as ExportError {
            throw error
        } catch StagedFolderError.notEmpty {
            throw ExportError.outputExists(path: path)
        } catch StagedFolderError.notAFolder {
            throw ExportError.writeFailed(path: path, reason: "exists and is not a folder")
        } catch {
            throw ExportError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    /// Every tensor of the model in file order, linear weights replaced and Q/K rows in HF layout.
    static func checkpointTensors(model: LlamaModel, ropeLayout: RopeLayout, replacements: [LayerID: Matrix],
                                  tensors: [String: [Float]] = [:], dtype: StorageType) throws -> [SafetensorsTensor] {
        let config = model.config
        try TensorReplacements.check(tensors, infos: model.source.tensorInfos)
        var byName: [String: LayerID] = [:]
        for (id, _) in replacements { byName[id.weightName] = id }
        return try model.source.tensorInfos.map { info in
            var values = try byName[info.name].map { replacements[$0]!.data } ?? tensors[info.name] ?? model.source.floats(info.name)
            if ropeLayout == .adjacentPairs {
                if info.name.hasSuffix("self_attn.q_proj.weight") {
                    values = rotateHalfRows(values, heads: config.numAttentionHeads, headDim: config.headDim)
                } else if info.name.hasSuffix("self_attn.k_proj.weight") {
                    values = rotateHalfRows(values, heads: config.numKeyValueHeads, headDim: config.headDim)
                }
            }
            let shape = info.shape.count == 2 && info.shape[0] == 1 ? [info.shape[1]] : info.shape
            return SafetensorsTensor(name: info.name, shape: shape, floats: values, as: shape.count == 1 ? .f32 : dtype)
        }
    }

    /// Rows of a Q or K weight (heads x headDim rows, any columns) from GGUF's adjacent-pair layout to
    /// rotate-half: within each head, output row j * d/2 + i takes input row 2 i + j.
    /// (Q/K biases, 1-D, take the same permutation with one column.)
    public static func rotateHalfRows(_ values: [Float], heads: Int, headDim d: Int) -> [Float] {
        let rows = heads * d
        precondition(rows > 0 && values.count % rows == 0, "Q/K weight of \(values.count) values is not \(rows) rows")
        let cols = values.count / rows
        var out = values
        for h in 0..<heads {
            for i in 0..<(d / 2) {
                for j in 0..<2 {
                    let src = (h * d + 2 * i + j) * cols, dst = (h * d + j * (d / 2) + i) * cols
                    out.replaceSubrange(dst..<(dst + cols), with: values[src..<(src + cols)])
                }
            }
        }
        return out
    }

    /// `config.json`: the model configuration under Hugging Face keys plus `architectures`,
    /// `hidden_act` and `torch_dtype`.
    static func configJSON(_ config: ModelConfig, dtype: StorageType) throws -> Data {
        var dict = try JSONSerialization.jsonObject(with: JSONPolicy.encode(config, style: .compact)) as? [String: Any] ?? [:]
        let architecture: [String: String] = ["llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                                              "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"]
        dict["architectures"] = [architecture[config.modelType] ?? "LlamaForCausalLM"]
        dict["hidden_act"] = "silu"
        dict["torch_dtype"] = ["BF16": "bfloat16", "F16": "float16", "F32": "float32"][dtype.rawValue] ?? "bfloat16"
        return try JSONSerialization.data(withJSONObject: dict, options: [.prettyPrinted, .sortedKeys])
    }
}
