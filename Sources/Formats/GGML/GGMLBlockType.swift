/// The ggml block types AutoScheme quantizes to, as llama.cpp stores them in GGUF files
/// (`ggml_type` in `ggml.h`, block structs in `ggml-common.h`).
///
/// Each row of a tensor is cut into blocks of `blockSize` consecutive weights; a block is
/// `bytesPerBlock` bytes and rows are stored one after another, so a row of n weights takes
/// n / blockSize * bytesPerBlock bytes. Scales are IEEE binary16 (fp16), little-endian.
///
/// Cases are listed in the order they were made bit-exact with llama.cpp (the legacy 32-weight
/// blocks first, then the 256-weight k-quant super-blocks, then the 32-weight blocks with a
/// minimum); raw values are ggml's own names.
public enum GGMLBlockType: String, CaseIterable, Sendable, Codable {
    /// 32 weights: fp16 d, 32 int8 codes q; w = d * q. 8.5 bits per weight.
    case q8_0
    /// 32 weights: fp16 d, 16 bytes of 4-bit codes q (byte j: weight j low nibble, weight j + 16
    /// high nibble); w = d * (q - 8). 4.5 bits per weight.
    case q4_0
    /// 32 weights: fp16 d, 4 bytes qh (bit j = fifth bit of weight j), 16 bytes of low nibbles as
    /// q4_0; w = d * (q - 16). 5.5 bits per weight.
    case q5_0
    /// 256 weights in 8 sub-blocks of 32: fp16 d, fp16 dmin, 12 bytes of 6-bit sub-block scales sc
    /// and mins m, 128 bytes of 4-bit codes; w = d * sc * q - dmin * m. 4.5 bits per weight.
    case q4_K
    /// 256 weights in 8 sub-blocks of 32: as q4_K plus 32 bytes of fifth bits; codes 0...31.
    /// 5.5 bits per weight.
    case q5_K
    /// 256 weights in 16 sub-blocks of 16: 128 bytes of low 4 bits, 64 bytes of high 2 bits,
    /// 16 int8 sub-block scales sc, fp16 d; w = d * sc * (q - 32). 6.5625 bits per weight.
    case q6_K
    /// 256 weights in 16 sub-blocks of 16: 16 bytes of 4-bit scale (low) and min (high) codes,
    /// 64 bytes of 2-bit codes, fp16 d, fp16 dmin; w = d * sc * q - dmin * m. 2.625 bits per weight.
    case q2_K
    /// 256 weights in 16 sub-blocks of 16: 32 bytes of high bits, 64 bytes of low 2 bits, 12 bytes
    /// of 6-bit scales, fp16 d; w = d * (sc - 32) * (q - 4). 3.4375 bits per weight.
    case q3_K
    /// 32 weights: fp16 d, fp16 m, 16 bytes of 4-bit codes q as q4_0; w = d * q + m. 5 bits per weight.
    case q4_1
    /// 32 weights: fp16 d, fp16 m, 4 bytes qh and 16 bytes of low nibbles as q5_0; w = d * q + m,
    /// q 0...31. 6 bits per weight.
    case q5_1

    /// ggml's type id, as stored in a GGUF tensor's info (`GGML_TYPE_*`).
    public var typeID: UInt32 {
        switch self {
        case .q4_0: return 2
        case .q4_1: return 3
        case .q5_0: return 6
        case .q5_1: return 7
        case .q8_0: return 8
        case .q2_K: return 10
        case .q3_K: return 11
        case .q4_K: return 12
        case .q5_K: return 13
        case .q6_K: return 14
        }
    }

    /// The type with ggml id `id`, nil if it is not one of these.
    public init?(typeID id: UInt32) {
        guard let t = Self.allCases.first(where: { $0.typeID == id }) else { return nil }
        self = t
    }

    /// ggml's name of the type (`ggml_type_name`), e.g. "q4_K".
    public var name: String { rawValue }

    /// Weights per block: 32 (`QK8_0`, `QK4_0`, `QK5_0`, `QK4_1`, `QK5_1`) or 256 (`QK_K`, the k-quant super-block).
    public var blockSize: Int { isSuperBlock ? 256 : 32 }

    /// Whether this is a k-quant (256-weight super-block of 16 or 32-weight sub-blocks).
    public var isSuperBlock: Bool {
        switch self {
        case .q8_0, .q4_0, .q5_0, .q4_1, .q5_1: return false
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return true
        }
    }

    /// Bytes per block, scales included (`sizeof(block_*)`).
    public var bytesPerBlock: Int {
        switch self {
        case .q8_0: return 34
        case .q4_0: return 18
        case .q5_0: return 22
        case .q4_1: return 20
        case .q5_1: return 24
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// Stored bits per weight, scales included: bytesPerBlock * 8 / blockSize
    /// (q8_0 8.5, q4_0 4.5, q5_0 5.5, q4_1 5.0, q5_1 6.0, q2_K 2.625, q3_K 3.4375, q4_K 4.5,
    /// q5_K 5.5, q6_K 6.5625).
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// Whether llama.cpp's quantizer uses an importance vector (imatrix) for this type. q8_0's
    /// `quantize_q8_0` ignores it, so q8_0 bytes are the same with or without one.
    public var usesImportance: Bool { self != .q8_0 }

    /// Bits of one weight's code: 8, 4, 5 for the 32-weight types (4 and 5 with or without a
    /// minimum); 2 to 6 for the k-quants.
    public var codeBits: Int {
        switch self {
        case .q8_0: return 8
        case .q4_0, .q4_1, .q4_K: return 4
        case .q5_0, .q5_1, .q5_K: return 5
        case .q2_K: return 2
        case .q3_K: return 3
        case .q6_K: return 6
        }
    }

    /// Whether blocks store a minimum besides the scale (w = d sc q - dmin m; w = d q + m for
    /// q4_1, q5_1): q2_K, q4_K, q5_K, q4_1, q5_1. With `codeBits` and `blockSize` this tells every
    /// type apart (`QuantFormat.ggmlType`): q4_0 and q4_1 differ only here.
    public var storesMinimum: Bool {
        switch self {
        case .q2_K, .q4_K, .q5_K, .q4_1, .q5_1: return true
        case .q8_0, .q4_0, .q5_0, .q3_K, .q6_K: return false
        }
    }

    /// The type llama.cpp's `llama-quantize` stores instead when a row is not whole blocks
    /// (`tensor_type_fallback` in `src/llama-quant.cpp`, commit 0c1e570): q2_K and q3_K -> q4_0,
    /// q4_K -> q5_0, q5_K -> q5_1, q6_K -> q8_0. nil for the 32-weight types, q4_1 and q5_1
    /// included: llama.cpp keeps the type and, as the row is not whole 32-blocks either, writes F16.
    public var llamaCppFallback: GGMLBlockType? {
        switch self {
        case .q2_K, .q3_K: return .q4_0
        case .q4_K: return .q5_0
        case .q5_K: return .q5_1
        case .q6_K: return .q8_0
        case .q8_0, .q4_0, .q5_0, .q4_1, .q5_1: return nil
        }
    }

    /// The type a row of `cols` weights is stored in: this one when it fits, else llama.cpp's
    /// fallback when that fits; nil when neither does.
    public func stored(cols: Int) -> GGMLBlockType? {
        if fits(cols: cols) { return self }
        guard let f = llamaCppFallback, f.fits(cols: cols) else { return nil }
        return f
    }

    /// Whether a row of `cols` weights can be stored: cols > 0 and a multiple of `blockSize`.
    /// (llama.cpp falls back to another type for tensors where this fails.)
    public func fits(cols: Int) -> Bool { cols > 0 && cols % blockSize == 0 }

    /// Bytes of one row of `cols` weights. - Precondition: `fits(cols:)`.
    public func rowBytes(cols: Int) -> Int {
        precondition(fits(cols: cols), "\(name) rows must be a positive multiple of \(blockSize), got \(cols)")
        return cols / blockSize * bytesPerBlock
    }
}
