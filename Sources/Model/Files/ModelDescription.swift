import TensorCore
/// Where a model comes from.
public enum ModelSourceKind: String, Codable, Sendable {
    /// A GGUF file (or the parts of a split GGUF).
    case gguf
    /// A Hugging Face folder: config.json plus safetensors.
    case huggingFace
}

/// Everything later stages need to know about a model: its configuration, its tensors by Hugging
/// Face name and shape, the RoPE layout of its Q/K rows and its linear layers in block order.
public struct ModelDescription: Sendable {
    /// The path given to the loader (the .gguf file, first split part, or the folder).
    public let path: String
    /// File kind.
    public let kind: ModelSourceKind
    /// Architecture and sizes.
    public let config: ModelConfig
    /// Tensors by Hugging Face name, decoded lazily.
    public let tensors: any TensorSource
    /// Q/K row layout with respect to RoPE.
    public let ropeLayout: RopeLayout
    /// The GGUF source, when `kind == .gguf` (metadata, GGUF names, raw blocks).
    public let gguf: GGUFTensorSource?
    /// The safetensors source, when `kind == .huggingFace`.
    public let safetensors: SafetensorsSource?
    /// Linear layers (q, k, v, o, gate, up, down per block), in block order.
    public let linearLayers: [LinearLayer]
    /// Input quantizers of activation-quantized layers that a quantized checkpoint records (W4A4,
    /// W8A8); a model opened from it runs them (`EvaluationInputs.model`). Empty for other files.
    public var inputQuantizers: [LayerID: any InputQuantizer] = [:]

    /// Architecture name (`model_type` / `general.architecture`).
    public var architecture: String { config.modelType }

    /// Total number of stored parameters (every tensor's elements).
    public var parameterCount: Int { tensors.tensorInfos.reduce(0) { $0 + $1.elementCount } }

    /// How many tensors use each storage type.
    public var storageCounts: [StorageType: Int] {
        tensors.tensorInfos.reduce(into: [:]) { $0[$1.storage, default: 0] += 1 }
    }

    /// Tensor info by Hugging Face name.
    public func tensorInfo(_ name: String) -> TensorInfo? { tensors.tensorInfos.first { $0.name == name } }

    /// A description over any tensor source (e.g. a quantized checkpoint read back, or tensors held in
    /// memory); finds the linear layers.
    /// - Throws: `ModelFileError.badConfig` for a configuration out of range (`ModelConfig.validate`);
    ///   `.tensorNotFound` / `.badShape` for a missing linear weight or one whose shape is not the
    ///   configuration's.
    public init(path: String, kind: ModelSourceKind, config: ModelConfig, tensors: any TensorSource,
         ropeLayout: RopeLayout, gguf: GGUFTensorSource? = nil, safetensors: SafetensorsSource? = nil) throws {
        self.path = path
        self.kind = kind
        self.config = config
        self.tensors = tensors
        self.ropeLayout = ropeLayout
        self.gguf = gguf
        self.safetensors = safetensors
        try config.validate(path: path)
        linearLayers = try Self.findLinearLayers(path: path, config: config, tensors: tensors.tensorInfos)
        try ModelConfig.checkShapes(linearLayers, config: config, path: path)
    }

    /// The 7 linear layers of every block, checking each exists with a 2-D shape.
    static func findLinearLayers(path: String, config: ModelConfig, tensors: [TensorInfo]) throws -> [LinearLayer] {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var layers = [LinearLayer]()
        layers.reserveCapacity(config.numHiddenLayers * LinearKind.allCases.count)
        for block in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let name = "model.layers.\(block).\(kind.modulePath)"
                guard let t = byName[name + ".weight"] else {
                    throw ModelFileError.tensorNotFound(path: path, tensor: name + ".weight")
                }
                guard t.shape.count == 2 else {
                    throw ModelFileError.badShape(path: path, tensor: t.name, shape: t.shape, reason: "a linear weight must be 2-D [out, in]")
                }
                layers.append(LinearLayer(name: name, block: block, kind: kind, outFeatures: t.shape[0],
                                          inFeatures: t.shape[1], storage: t.storage))
            }
        }
        return layers
    }
}
