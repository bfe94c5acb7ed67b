import Foundation
import Model
import Formats
import TensorCore

/// A `TensorSource` over an auto-round folder: every quantized linear layer appears as one
/// `module.weight` of shape [out, in], unpacked and dequantized to Float32 on read (exactly the values
/// the format's dequantizer gives for the stored codes); every other tensor passes through.
///
/// Each linear layer's format comes from `quantization_config` (global scheme, overridden by
/// `extra_config[module]`); the stored tensors must match it.
public struct QuantizedCheckpointSource: TensorSource {
    public let folder: String
    public let files: SafetensorsSource
    public let config: ModelConfig
    /// Format of every linear layer stored quantized, by module name.
    public let formats: [String: QuantFormat]
    public let tensorInfos: [TensorInfo]
    /// Input quantizers of the activation-quantized layers (act_* keys; NVFP4's `input_global_scale`).
    public let inputQuantizers: [LayerID: ActivationQuantizer]

    /// Opens `folder` (config.json with an auto-round `quantization_config` + safetensors), checking
    /// that every quantized layer's tensors are present (their sizes are checked when read).
    /// - Throws: `QuantizedCheckpointError` naming the folder and the missing or malformed part.
    public init(folder: String) throws {
        self.folder = folder
        let url = URL(fileURLWithPath: folder)
        let object = try Self.configObject(url)
        let data = try JSONSerialization.data(withJSONObject: object)
        do { config = try JSONDecoder().decode(ModelConfig.self, from: data) } catch {
            throw QuantizedCheckpointError.badConfig(folder: folder, reason: "config.json does not decode: \(error)")
        }
        let index = url.appendingPathComponent("model.safetensors.index.json").path
        files = FileManager.default.fileExists(atPath: index)
            ? try SafetensorsSource(index: index)
            : try SafetensorsSource(file: url.appendingPathComponent("model.safetensors").path)
        formats = try Self.layerFormats(object, config: config, folder: folder)
        let stored = Set(files.tensorInfos.map(\.name))
        for module in formats.keys.sorted() {
            if let missing = Self.parts(formats[module]!).sorted().first(where: { !stored.contains(module + "." + $0) }) {
                throw QuantizedCheckpointError.missingTensor(folder: folder, tensor: module + "." + missing)
            }
        }
        var infos: [TensorInfo] = []
        var emitted = Set<String>()
        for info in files.tensorInfos {
            let (module, part) = Self.split(info.name)
            if let format = formats[module], Self.parts(format).contains(part) {
                if emitted.insert(module).inserted {
                    infos.append(TensorInfo(name: module + ".weight", shape: Self.shape(module, config: config),
                                            storage: Self.storage(format)))
                }
            } else {
                infos.append(info)
            }
        }
        tensorInfos = infos
        var inputs: [LayerID: ActivationQuantizer] = [:]
        for block in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let id = LayerID(block: block, kind: kind)
                guard let a = formats[id.description]?.activation else { continue }
                if a == .nvfp4 {
                    let name = id.description + ".input_global_scale"
                    guard let info = files.tensorInfos.first(where: { $0.name == name }), info.storage == .f32, info.elementCount == 1 else {
                        throw QuantizedCheckpointError.badTensor(folder: folder, tensor: name, expected: "F32 with 1 element",
                                                                 actual: files.tensorInfos.first { $0.name == name }.map { "\($0.storage.rawValue) \($0.shape)" } ?? "absent")
                    }
                    let g = Self.words(Array(try files.rawBytes(name)), as: UInt32.self).map(Float.init(bitPattern:))[0]
                    guard g.isFinite, g >= 0 else {
                        throw QuantizedCheckpointError.badTensor(folder: folder, tensor: id.description + ".input_global_scale",
                                                                 expected: "a finite global scale >= 0", actual: "\(g)")
                    }
                    inputs[id] = .nvfp4(inputGlobalScale: g)
                } else {
                    inputs[id] = ActivationQuantizer(scheme: a)
                }
            }
        }
        inputQuantizers = inputs
    }

    public func floats(_ name: String) throws -> [Float] {
        let module = name.hasSuffix(".weight") ? String(name.dropLast(7)) : ""
        guard let format = formats[module] else { return try files.floats(name) }
        let q = try quantizedTensor(module: module, format: format.weightOnly)
        return try format.quantizer.dequantize(q).data
    }

    /// The stored codes and scales of a quantized layer, unpacked.
    public func quantizedTensor(module: String) throws -> QuantizedTensor {
        guard let format = formats[module] else {
            throw QuantizedCheckpointError.missingTensor(folder: folder, tensor: module + " (quantized)")
        }
        return try quantizedTensor(module: module, format: format.weightOnly)
    }

    static func split(_ name: String) -> (module: String, part: String) {
        guard let dot = name.lastIndex(of: ".") else { return ("", name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    /// The stored parts of a quantized layer.
    static func parts(_ format: QuantFormat) -> Set<String> {
        switch format.family {
        case .int: return ["qweight", "qzeros", "scales"]
        case .mxfp4: return ["weight_packed", "weight_scale"]
        case .nvfp4: return Set(["weight_packed", "weight_scale", "weight_global_scale"]
                                + (format.activation == .nvfp4 ? ["input_global_scale"] : []))
        case .fp8: return ["weight", "weight_scale_inv"]
        case .bf16, .ggml: return []
        }
    }

    static func storage(_ format: QuantFormat) -> StorageType {
        switch format.family {
        case .int: return .i32
        case .mxfp4, .nvfp4: return .u8
        case .fp8: return .f8e4m3
        case .bf16: return .bf16
        case .ggml: return .u8
        }
    }

    /// [out, in] of a linear module from the configuration.
    static func shape(_ module: String, config c: ModelConfig) -> [Int] {
        let kind = LinearKind.allCases.first { module.hasSuffix("." + $0.modulePath) }
        switch kind {
        case .q?: return [c.queryWidth, c.hiddenSize]
        case .k?, .v?: return [c.keyValueWidth, c.hiddenSize]
        case .o?: return [c.hiddenSize, c.queryWidth]
        case .gate?, .up?: return [c.intermediateSize, c.hiddenSize]
        case .down?: return [c.hiddenSize, c.intermediateSize]
        case nil: return [0, 0]
        }
    }
}
