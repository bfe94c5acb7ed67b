import Foundation
import IO
import Model
import Formats

extension QuantizedCheckpointSource {
    /// config.json as a JSON object with an auto-round `quantization_config`.
    static func configObject(_ url: URL) throws -> [String: Any] {
        let path = url.appendingPathComponent("config.json")
        guard let data = try? InputFile.read(path),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw QuantizedCheckpointError.badConfig(folder: url.path, reason: "no readable config.json")
        }
        guard let q = object["quantization_config"] as? [String: Any],
              (q["quant_method"] as? String) == "auto-round" else {
            throw QuantizedCheckpointError.badConfig(folder: url.path, reason: "config.json has no quantization_config with quant_method auto-round")
        }
        return object
    }

    /// Whether `folder` holds an auto-round checkpoint (config.json with quant_method auto-round).
    public static func isAutoRound(folder: String) -> Bool {
        (try? configObject(URL(fileURLWithPath: folder))) != nil
    }

    /// The format of every linear layer stored quantized (bf16 layers are plain weights and left out).
    static func layerFormats(_ object: [String: Any], config: ModelConfig, folder: String) throws -> [String: QuantFormat] {
        let q = object["quantization_config"] as? [String: Any] ?? [:]
        let extra = q["extra_config"] as? [String: Any] ?? [:]
        let global: AutoRoundScheme
        do { global = try AutoRoundScheme(json: q, defaults: nil, layer: "quantization_config") } catch {
            throw QuantizedCheckpointError.badConfig(folder: folder, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
        var out: [String: QuantFormat] = [:]
        for block in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let module = "model.layers.\(block).\(kind.modulePath)"
                do {
                    let scheme = try (extra[module] as? [String: Any]).map { try AutoRoundScheme(json: $0, defaults: global, layer: module) } ?? global
                    let format = try scheme.format(layer: module)
                    if format.family != .bf16 { out[module] = format }
                } catch {
                    throw QuantizedCheckpointError.badConfig(folder: folder, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
                }
            }
        }
        return out
    }

    /// Raw little-endian bytes of `module.part`, checking dtype and element count.
    func raw(_ module: String, _ part: String, _ dtype: StorageType, count: Int) throws -> [UInt8] {
        let name = module + "." + part
        guard let info = files.tensorInfos.first(where: { $0.name == name }) else {
            throw QuantizedCheckpointError.missingTensor(folder: folder, tensor: name)
        }
        guard info.storage == dtype, info.elementCount == count else {
            throw QuantizedCheckpointError.badTensor(folder: folder, tensor: name, expected: "\(dtype.rawValue) with \(count) elements",
                                                     actual: "\(info.storage.rawValue) \(info.shape)")
        }
        return Array(try files.rawBytes(name))
    }

    static func words<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / size)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }

    /// Reads and unpacks one quantized layer.
    func quantizedTensor(module: String, format: QuantFormat) throws -> QuantizedTensor {
        let shape = Self.shape(module, config: config), out = shape[0], inF = shape[1]
        switch format.family {
        case .int:
            guard case let .group(g) = format.granularity else { preconditionFailure("int formats have groups") }
            var p = GPTQPackedTensor.stored(name: module, bits: format.bits, groupSize: g, outFeatures: out, inFeatures: inF,
                                            qweight: [], qzeros: [], scales: [])
            p.qweight = Self.words(try raw(module, "qweight", .i32, count: p.qweightRows * out), as: Int32.self)
            p.qzeros = Self.words(try raw(module, "qzeros", .i32, count: p.groups * p.qzerosCols), as: Int32.self)
            p.scales = Self.words(try raw(module, "scales", .f16, count: p.groups * out), as: UInt16.self)
            return try GPTQPacking.unpack(p, format: format)
        case .mxfp4, .nvfp4:
            let bs = format.family == .mxfp4 ? MXFP4Quantizer.blockSize : NVFP4Quantizer.blockSize
            let blocks = (inF + bs - 1) / bs
            let packed = try raw(module, "weight_packed", .u8, count: out * blocks * bs / 2)
            let scales = try raw(module, "weight_scale", format.family == .mxfp4 ? .u8 : .f8e4m3, count: out * blocks)
            var global: Float?
            if format.family == .nvfp4 {
                global = Float(bitPattern: Self.words(try raw(module, "weight_global_scale", .f32, count: 1), as: UInt32.self)[0])
            }
            let p = FP4PackedTensor.stored(name: module, rows: out, cols: inF, weightPacked: packed, weightScale: scales, globalScale: global)
            return try FPPacking.unpackFP4(p, format: format)
        case .fp8:
            let b = FP8BlockQuantizer.block, br = (out + b - 1) / b, bc = (inF + b - 1) / b
            let codes = try raw(module, "weight", .f8e4m3, count: out * inF)
            let scales = Self.words(try raw(module, "weight_scale_inv", .f32, count: br * bc), as: UInt32.self).map(Float.init(bitPattern:))
            return try FPPacking.unpackFP8(FP8PackedTensor.stored(name: module, rows: out, cols: inF, weight: codes, weightScaleInv: scales))
        case .bf16:
            throw QuantizedCheckpointError.missingTensor(folder: folder, tensor: module + ".weight (bf16 layers are plain weights)")
        case .ggml:
            throw QuantizedCheckpointError.badConfig(folder: folder, reason: "\(module): ggml block type \(format.name) in an auto_round checkpoint")
        }
    }
}
