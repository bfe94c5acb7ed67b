import Foundation

/// Why `GGUFWriter` refused to write a file. Every case names the output path and the tensor or key,
/// and says what was expected; nothing is left at the output path after any of them.
public enum GGUFWriteError: Error, LocalizedError, Equatable, Sendable {
    /// A tensor name is empty or longer than ggml's limit (`GGML_MAX_NAME` - 1 = 63 bytes).
    case badTensorName(path: String, tensor: String, reason: String)
    /// Two tensors share a name.
    case duplicateTensor(path: String, tensor: String)
    /// A shape with no dimension, more than 4, or a dimension below 1.
    case badShape(path: String, tensor: String, shape: [Int], reason: String)
    /// The innermost dimension (a row) is not a whole number of the type's blocks.
    case rowNotWholeBlocks(path: String, tensor: String, rowLength: Int, type: String, blockSize: Int)
    /// The bytes given differ from what the shape and type take.
    case sizeMismatch(path: String, tensor: String, type: String, shape: [Int], expected: Int, actual: Int)
    /// A metadata key that is empty or longer than 65,535 bytes.
    case badKey(path: String, key: String, reason: String)
    /// A metadata value GGUF readers cannot take (an empty, mixed or nested array) or a
    /// `general.alignment` that is not a uint32 power of two.
    case badValue(path: String, key: String, reason: String)
    /// The file system refused the output (a folder or link at the path, no space, ...).
    case writeFailed(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .badTensorName(path, tensor, reason):
            return "\(path): tensor name '\(tensor)' \(reason)"
        case let .duplicateTensor(path, tensor):
            return "\(path): tensor '\(tensor)' is given twice; names must be unique"
        case let .badShape(path, tensor, shape, reason):
            return "\(path): tensor '\(tensor)' has shape \(shape): \(reason)"
        case let .rowNotWholeBlocks(path, tensor, rowLength, type, blockSize):
            return "\(path): tensor '\(tensor)' has rows of \(rowLength) values, not a multiple of the \(type) block of \(blockSize)"
        case let .sizeMismatch(path, tensor, type, shape, expected, actual):
            return "\(path): tensor '\(tensor)' (\(type), shape \(shape)) takes \(expected) bytes, given \(actual)"
        case let .badKey(path, key, reason):
            return "\(path): metadata key '\(key.prefix(80))' \(reason)"
        case let .badValue(path, key, reason):
            return "\(path): metadata '\(key)' \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write: \(reason)"
        }
    }
}
