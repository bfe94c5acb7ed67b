import Foundation

/// Errors of the Quant module: bad format names, bad tensors, bad packed data.
///
/// Every message names the tensor or format involved and states what was expected.
public enum QuantError: Error, LocalizedError, Equatable, Sendable {
    /// A format name that is neither a canonical name nor an alias.
    case unknownFormat(name: String, known: [String])
    /// Another spelling (alias, case, omitted group) of a known format where only its canonical name
    /// is accepted: in profile, plan and sweep files.
    case nonCanonicalName(name: String, canonical: String)
    /// A weight that is NaN or infinite.
    case nonFiniteWeight(tensor: String, row: Int, col: Int, value: Float)
    /// A tensor whose shape does not fit what an operation needs.
    case shapeMismatch(tensor: String, expected: String, actual: String)
    /// A quantized tensor handed to a quantizer of another format.
    case formatMismatch(tensor: String, expected: String, actual: String)
    /// SignRound adjustments (rounding offsets, clipping) that the format cannot take or that are out of range.
    case invalidAdjustments(tensor: String, reason: String)
    /// Packed data that cannot be unpacked (wrong array sizes, out-of-range codes).
    case invalidPackedData(tensor: String, reason: String)
    /// A row length that a block format cannot store: ggml's block types need rows of a positive
    /// multiple of their block (32 weights, or 256 for the k-quants).
    case rowLengthNotMultipleOfBlock(tensor: String, format: String, rowLength: Int, blockSize: Int)
    /// An importance vector (per-input-column weights of the error, e.g. the calibration Gram
    /// diagonal) of the wrong length or with a negative or non-finite entry.
    case invalidImportance(tensor: String, reason: String)
    /// A format name that pairs weights with an activation quantization they have no form for
    /// (`int4/g128-a4`, `mxfp4-a8`).
    case incompatibleActivation(name: String, reason: String)
    /// A layer's calibration inputs reached a non-finite value, so no static activation scale exists.
    case nonFiniteActivation(layer: String, value: Float)

    /// The format name of `.unknownFormat` and `.nonCanonicalName`; nil for other cases.
    public var formatName: String? {
        switch self {
        case let .unknownFormat(name, _), let .nonCanonicalName(name, _), let .incompatibleActivation(name, _): return name
        default: return nil
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .unknownFormat(name, known):
            return "Unknown quantization format '\(name)'. Known formats: \(known.joined(separator: ", "))."
        case let .nonCanonicalName(name, canonical):
            return "Format name '\(name)' is not canonical; expected '\(canonical)'."
        case let .nonFiniteWeight(tensor, row, col, value):
            return "Tensor '\(tensor)' holds a non-finite weight \(value) at row \(row), column \(col); expected finite values."
        case let .shapeMismatch(tensor, expected, actual):
            return "Tensor '\(tensor)' has shape \(actual), expected \(expected)."
        case let .formatMismatch(tensor, expected, actual):
            return "Tensor '\(tensor)' is quantized as \(actual), expected \(expected)."
        case let .invalidAdjustments(tensor, reason):
            return "Invalid rounding adjustments for tensor '\(tensor)': \(reason)."
        case let .invalidPackedData(tensor, reason):
            return "Invalid packed data for tensor '\(tensor)': \(reason)."
        case let .rowLengthNotMultipleOfBlock(tensor, format, rowLength, blockSize):
            return "Tensor '\(tensor)' has rows of \(rowLength) weights; \(format) stores rows of a positive multiple of \(blockSize) weights."
        case let .invalidImportance(tensor, reason):
            return "Invalid importance vector for tensor '\(tensor)': \(reason)."
        case let .nonFiniteActivation(layer, value):
            return "The inputs of layer '\(layer)' reach \(value) on the calibration text; a static activation scale needs finite inputs."
        case let .incompatibleActivation(name, reason):
            return "Format '\(name)' combines incompatible parts: \(reason); activation formats are "
                + QuantFormat.activationFormats.map(\.name).joined(separator: ", ") + "."
        }
    }
}
