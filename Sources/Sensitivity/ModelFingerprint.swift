import Foundation
import Model
import IO

extension ModelIdentity {
    /// The identity of a loaded model: its path, architecture, fingerprint, parameter count and the
    /// tensors outside the searched linear layers at their stored size.
    public init(_ model: ModelDescription) {
        let linear = Set(model.linearLayers.map(\.weightName))
        let fixed = model.tensors.tensorInfos.filter { !linear.contains($0.name) }.map {
            FixedTensor(name: $0.name, parameters: $0.elementCount, bits: storedBits($0))
        }
        self.init(path: model.path, architecture: model.architecture,
                  fingerprint: modelFingerprint(config: model.config, tensors: model.tensors.tensorInfos),
                  totalParameters: model.parameterCount, fixedTensors: fixed)
    }
}

/// SHA-256 of the configuration (JSON with sorted keys) followed by one line per tensor
/// `name|shape|storage` in file order: the same model file always gives the same digest, and any
/// change of architecture, tensor set, shape or stored type changes it. Weights are not read.
public func modelFingerprint(config: ModelConfig, tensors: [TensorInfo]) -> String {
    var digest = SHA256Digest()
    digest.update((try? JSONPolicy.encode(config, style: .compact)) ?? Data())
    for t in tensors {
        digest.update(Array("\n\(t.name)|\(t.shape.map(String.init).joined(separator: "x"))|\(t.storage.rawValue)".utf8))
    }
    return digest.finalize()
}

/// Bits a tensor occupies as stored: whole GGML blocks (e.g. Q8_0: 34 bytes per 32 weights) or
/// element width for plain types (bf16/f16 16, f32 32, ...).
func storedBits(_ t: TensorInfo) -> Int {
    if let traits = GGMLTypeTraits.forStorage(t.storage) {
        let blocks = (t.elementCount + traits.blockSize - 1) / traits.blockSize
        return blocks * traits.bytesPerBlock * 8
    }
    let width: Int
    switch t.storage {
    case .f64, .i64: width = 64
    case .f32, .i32: width = 32
    case .f16, .bf16, .i16: width = 16
    case .i8, .u8, .bool, .f8e4m3: width = 8
    default: width = 32
    }
    return t.elementCount * width
}
