import Foundation

/// Every way a model file or folder can be unreadable. Messages name the file (and tensor) and state
/// what was expected versus what was found.
public enum ModelFileError: Error, LocalizedError, Equatable, Sendable {
    /// The path does not exist or cannot be opened/mapped.
    case cannotOpen(path: String, reason: String)
    /// The file ends before a structure that must be there.
    case truncated(path: String, what: String, needed: Int, available: Int)
    /// GGUF magic bytes are not "GGUF".
    case badMagic(path: String, found: UInt32)
    /// GGUF version other than 2 or 3.
    case unsupportedVersion(path: String, found: UInt32)
    /// A GGUF metadata value type id outside 0...12.
    case unknownValueType(path: String, key: String, typeID: UInt32)
    /// A GGUF tensor type id this reader cannot describe.
    case unknownTensorType(path: String, tensor: String, typeID: UInt32)
    /// A safetensors dtype string this reader does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The safetensors header is not valid JSON or has the wrong structure.
    case badHeader(path: String, reason: String)
    /// A tensor's bytes lie (partly) outside the file's data section.
    case tensorOutOfRange(path: String, tensor: String, range: Range<Int>, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// Byte size implied by shape and dtype differs from the stored size.
    case sizeMismatch(path: String, tensor: String, expected: Int, actual: Int)
    /// A shape that is invalid (negative dimension, or not a multiple of the block size).
    case badShape(path: String, tensor: String, shape: [Int], reason: String)
    /// No tensor of that name in the file or folder.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's storage cannot be decoded to Float32 by this reader.
    case notDecodable(path: String, tensor: String, storage: String)
    /// A required metadata key or config value is missing or has the wrong type.
    case missingMetadata(path: String, key: String)
    /// A configuration value (config.json key or GGUF metadata) out of range or inconsistent with
    /// the others: `key` names it, `expected` states the bound.
    case badConfig(path: String, key: String, value: String, expected: String)
    /// The architecture is not one this project runs.
    case unsupportedArchitecture(path: String, architecture: String)
    /// The path is neither a .gguf file nor a folder with config.json and safetensors.
    case unrecognizedModel(path: String, reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)
    /// Fetching a cached asset failed.
    case fetchFailed(asset: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .truncated(path, what, needed, available):
            return "\(path): file is truncated: \(what) needs \(needed) bytes, only \(available) available"
        case let .badMagic(path, found):
            return "\(path): not a GGUF file: magic is 0x\(String(found, radix: 16)), expected 0x46554747 (\"GGUF\")"
        case let .unsupportedVersion(path, found):
            return "\(path): unsupported GGUF version \(found), expected 2 or 3"
        case let .unknownValueType(path, key, typeID):
            return "\(path): metadata key '\(key)' has unknown value type \(typeID), expected 0...12"
        case let .unknownTensorType(path, tensor, typeID):
            return "\(path): tensor '\(tensor)' has unsupported GGUF type id \(typeID)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .badHeader(path, reason): return "\(path): invalid header: \(reason)"
        case let .tensorOutOfRange(path, tensor, range, dataSize):
            return "\(path): tensor '\(tensor)' occupies bytes \(range.lowerBound)..<\(range.upperBound), "
                + "but the data section has \(dataSize) bytes"
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap"
        case let .sizeMismatch(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' should take \(expected) bytes from its shape and dtype, stored \(actual)"
        case let .badShape(path, tensor, shape, reason):
            return "\(path): tensor '\(tensor)' has invalid shape \(shape): \(reason)"
        case let .tensorNotFound(path, tensor): return "\(path): no tensor named '\(tensor)'"
        case let .notDecodable(path, tensor, storage):
            return "\(path): tensor '\(tensor)' is stored as \(storage), which cannot be decoded to Float32"
        case let .badConfig(path, key, value, expected):
            return "\(path): '\(key)' is \(value), expected \(expected)"
        case let .missingMetadata(path, key): return "\(path): missing or mistyped metadata '\(key)'"
        case let .unsupportedArchitecture(path, architecture):
            return "\(path): unsupported architecture '\(architecture)', expected one of llama, mistral, qwen2, qwen3"
        case let .unrecognizedModel(path, reason): return "\(path): not a model: \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .fetchFailed(asset, reason): return "cannot fetch \(asset): \(reason)"
        }
    }
}
