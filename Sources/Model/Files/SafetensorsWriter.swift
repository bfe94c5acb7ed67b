import Foundation
import TensorCore
import IO

/// A tensor to write: name, dtype, shape and its little-endian bytes.
public struct SafetensorsTensor: Sendable, Equatable {
    public var name: String
    public var dtype: StorageType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: StorageType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Encodes Float32 values as F32 (exact), F16 or BF16 (round to nearest even).
    /// - Precondition: `dtype` is one of those three and `values.count` matches `shape`.
    public init(name: String, shape: [Int], floats values: [Float], as dtype: StorageType) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        var out = [UInt8]()
        switch dtype {
        case .f32:
            out.reserveCapacity(4 * values.count)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16, .bf16:
            out.reserveCapacity(2 * values.count)
            for v in values {
                let h = dtype == .f16 ? HalfPrecision.floatToF16(v) : HalfPrecision.floatToBF16(v)
                out.append(UInt8(truncatingIfNeeded: h))
                out.append(UInt8(truncatingIfNeeded: h >> 8))
            }
        default: preconditionFailure("encode floats as F32, F16 or BF16, not \(dtype)")
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: out)
    }
}

/// Writes safetensors files and sharded checkpoints.
public enum SafetensorsWriter {
    /// Writes `tensors` (data laid out in the given order) with `metadata` as `__metadata__`.
    /// The JSON header is padded with spaces so the data section starts at a multiple of 8.
    /// Writes to a temporary file beside `path`, then renames it into place.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws {
        var header = "{"
        var fields = [String]()
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        var seen = Set<String>()
        for t in tensors {
            guard let size = SafetensorsFile.elementSize(t.dtype) else {
                throw ModelFileError.unknownDType(path: path, tensor: t.name, dtype: t.dtype.rawValue)
            }
            let expected = checkedProduct(t.shape, initial: size) ?? -1
            guard t.bytes.count == expected else {
                throw ModelFileError.sizeMismatch(path: path, tensor: t.name, expected: expected, actual: t.bytes.count)
            }
            guard seen.insert(t.name).inserted, t.name != "__metadata__" else {
                throw ModelFileError.writeFailed(path: path, reason: "tensor name '\(t.name)' is repeated or reserved")
            }
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in tensors { out.append(contentsOf: t.bytes) }
        try AtomicFile.write(out, to: URL(fileURLWithPath: path)) { ModelFileError.writeFailed(path: path, reason: $0) }
    }

    /// Writes `tensors` into shards of at most `maxShardBytes` of data each (a tensor larger than that
    /// gets a shard of its own), named `model-0000k-of-0000N.safetensors`, plus
    /// `model.safetensors.index.json` (`{"metadata": {"total_size": ...}, "weight_map": {name: shard}}`).
    /// Returns the shard file names.
    @discardableResult
    public static func writeSharded(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:],
                                    directory: String, maxShardBytes: Int) throws -> [String] {
        guard maxShardBytes > 0 else {
            throw ModelFileError.writeFailed(path: directory, reason: "shard size must be greater than zero, got \(maxShardBytes)")
        }
        var shards = [[SafetensorsTensor]](), current = [SafetensorsTensor](), size = 0
        for t in tensors {
            if !current.isEmpty && size + t.bytes.count > maxShardBytes {
                shards.append(current); current = []; size = 0
            }
            current.append(t); size += t.bytes.count
        }
        if !current.isEmpty || shards.isEmpty { shards.append(current) }
        let names = (1...shards.count).map { String(format: "model-%05d-of-%05d.safetensors", $0, shards.count) }
        var weightMap = [String: String]()
        for (shard, name) in zip(shards, names) {
            try write(shard, metadata: metadata, to: (directory as NSString).appendingPathComponent(name))
            for t in shard { weightMap[t.name] = name }
        }
        let total = tensors.reduce(0) { $0 + $1.bytes.count }
        let map = weightMap.keys.sorted().map { "    \(jsonString($0)): \(jsonString(weightMap[$0]!))" }
        let index = "{\n  \"metadata\": {\"total_size\": \(total)},\n  \"weight_map\": {\n"
            + map.joined(separator: ",\n") + "\n  }\n}\n"
        let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        try AtomicFile.write(Data(index.utf8), to: URL(fileURLWithPath: indexPath)) {
            ModelFileError.writeFailed(path: indexPath, reason: $0)
        }
        return names
    }

    /// A JSON string literal (quotes, backslash and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
