import TensorCore

/// Element codes of a quantized tensor, one per weight, row-major.
public enum QuantCodes: Sendable, Equatable {
    /// One byte per weight: int codes as unsigned `u = q + zeroPoint` in [0, 2^bits - 1]; E2M1 codes
    /// (sign in bit 3, magnitude index 0...7 in bits 0-2); E4M3 bytes (sign, 4 exponent bits bias 7, 3 mantissa bits).
    case bytes([UInt8])
    /// bfloat16 bit patterns.
    case halfWords([UInt16])
    /// ggml blocks exactly as a GGUF file stores them: rows one after another, each
    /// `GGMLBlockType.rowBytes(cols:)` bytes (codes and scales interleaved per block).
    case blocks([UInt8])
}

/// A quantized weight matrix: codes, scales, zero points and per-tensor scale, typed.
///
/// Scales are stored as the Float values the dequantizer multiplies by (already rounded to their
/// stored encoding: fp16 for int, powers of two for MXFP4, E4M3 values for NVFP4 block scales, fp32
/// for FP8 `weight_scale_inv`). Their layout is `scaleRows x scaleCols`, row-major: per group
/// formats use `rows x ceil(cols / group)`; FP8 uses `ceil(rows/128) x ceil(cols/128)`.
public struct QuantizedTensor: Sendable, Equatable {
    public var format: QuantFormat
    /// The tensor's name (for error messages and export).
    public var name: String
    /// Output features.
    public var rows: Int
    /// Input features.
    public var cols: Int
    /// One code per weight (`rows * cols`), row-major.
    public var codes: QuantCodes
    /// Scales as used by the dequantizer, `scaleRows * scaleCols`, row-major.
    public var scales: [Float]
    public var scaleRows: Int
    public var scaleCols: Int
    /// Zero points (asymmetric int only), one per scale, in [0, 2^bits - 1]. Symmetric int formats
    /// use the implied zero point 2^(bits-1); FP formats have none.
    public var zeroPoints: [UInt8]?
    /// NVFP4's FP32 per-tensor scale (global = 448 * 6 / amax); nil for other formats.
    public var globalScale: Float?

    public init(format: QuantFormat, name: String, rows: Int, cols: Int, codes: QuantCodes,
                scales: [Float], scaleRows: Int, scaleCols: Int,
                zeroPoints: [UInt8]? = nil, globalScale: Float? = nil) {
        self.format = format
        self.name = name
        self.rows = rows
        self.cols = cols
        self.codes = codes
        self.scales = scales
        self.scaleRows = scaleRows
        self.scaleCols = scaleCols
        self.zeroPoints = zeroPoints
        self.globalScale = globalScale
    }

    public var shape: TensorShape { TensorShape(rows: rows, cols: cols) }

    /// The byte codes, or a typed error if this tensor holds 16-bit codes.
    func byteCodes() throws -> [UInt8] {
        guard case let .bytes(b) = codes, b.count == rows * cols else {
            throw QuantError.invalidPackedData(tensor: name, reason: "expected \(rows * cols) byte codes")
        }
        return b
    }
}

extension Matrix {
    /// This matrix's shape as a `TensorShape`.
    public var shape: TensorShape { TensorShape(rows: rows, cols: cols) }
}
