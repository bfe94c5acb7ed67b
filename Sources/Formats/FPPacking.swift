/// An MXFP4 or NVFP4 tensor in compressed-tensors / AutoRound layout.
///
/// - `weightPacked` (`weight_packed`): `rows x paddedCols / 2` bytes; element 2j in the low nibble and
///   element 2j+1 in the high nibble (compressed-tensors' `pack_fp4_to_uint8`); each row pads to a whole
///   number of blocks (32 for MXFP4, 16 for NVFP4) with code 0.
/// - `weightScale` (`weight_scale`): `rows x blocks` bytes: MXFP4 E8M0 (exponent + 127), NVFP4 E4M3.
/// - `globalScale` (`weight_global_scale`): NVFP4's fp32 per-tensor scale (448 * 6 / amax).
public struct FP4PackedTensor: Sendable, Equatable {
    public var name: String
    public var rows: Int
    public var cols: Int
    public var weightPacked: [UInt8]
    public var weightScale: [UInt8]
    public var globalScale: Float?
}

/// An FP8 block tensor in DeepSeek-V3 layout: `weight` E4M3 bytes (`rows x cols`, unpadded) and
/// `weight_scale_inv` fp32 (`ceil(rows/128) x ceil(cols/128)`).
public struct FP8PackedTensor: Sendable, Equatable {
    public var name: String
    public var rows: Int
    public var cols: Int
    public var weight: [UInt8]
    public var weightScaleInv: [Float]
}

public enum FPPacking {
    private static func blockSize(_ family: FormatFamily, _ name: String) throws -> Int {
        switch family {
        case .mxfp4: return MXFP4Quantizer.blockSize
        case .nvfp4: return NVFP4Quantizer.blockSize
        default: throw QuantError.formatMismatch(tensor: name, expected: "mxfp4 or nvfp4", actual: family.rawValue)
        }
    }

    /// Packs MXFP4/NVFP4 codes two per byte and encodes block scales as bytes.
    public static func packFP4(_ q: QuantizedTensor) throws -> FP4PackedTensor {
        let bs = try blockSize(q.format.family, q.name)
        let codes = try q.byteCodes(), blocks = ceilDiv(q.cols, bs), half = blocks * bs / 2
        guard q.scales.count == q.rows * blocks else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "\(q.scales.count) scales, expected \(q.rows * blocks)")
        }
        var packed = [UInt8](repeating: 0, count: q.rows * half)
        for r in 0..<q.rows {
            for c in 0..<q.cols {
                packed[r * half + c / 2] |= (codes[r * q.cols + c] & 0xF) << (c % 2 == 0 ? 0 : 4)
            }
        }
        let scaleBytes: [UInt8] = q.format.family == .mxfp4
            ? q.scales.map { UInt8(Int($0.exponent) + 127) }
            : q.scales.map(E4M3.encode)
        return FP4PackedTensor(name: q.name, rows: q.rows, cols: q.cols, weightPacked: packed,
                               weightScale: scaleBytes, globalScale: q.globalScale)
    }

    /// Exact inverse of `packFP4` for `format` (mxfp4 or nvfp4).
    public static func unpackFP4(_ p: FP4PackedTensor, format: QuantFormat) throws -> QuantizedTensor {
        let bs = try blockSize(format.family, p.name)
        let blocks = ceilDiv(p.cols, bs), half = blocks * bs / 2
        guard p.weightPacked.count == p.rows * half, p.weightScale.count == p.rows * blocks,
              (format.family == .nvfp4) == (p.globalScale != nil) else {
            throw QuantError.invalidPackedData(tensor: p.name, reason: "expected \(p.rows * half) packed bytes, \(p.rows * blocks) scales and a global scale only for nvfp4")
        }
        var codes = [UInt8](repeating: 0, count: p.rows * p.cols)
        for r in 0..<p.rows {
            for c in 0..<p.cols { codes[r * p.cols + c] = (p.weightPacked[r * half + c / 2] >> (c % 2 == 0 ? 0 : 4)) & 0xF }
        }
        let scales: [Float] = try p.weightScale.map { b in
            if format.family == .mxfp4 {
                guard b != 255 else { throw QuantError.invalidPackedData(tensor: p.name, reason: "E8M0 NaN scale 0xFF") }
                return Float(sign: .plus, exponent: Int(b) - 127, significand: 1)
            }
            let v = E4M3.decode(b)
            guard !v.isNaN, v >= 0 else { throw QuantError.invalidPackedData(tensor: p.name, reason: "E4M3 scale byte \(b) is NaN or negative") }
            return v
        }
        return QuantizedTensor(format: format, name: p.name, rows: p.rows, cols: p.cols, codes: .bytes(codes),
                               scales: scales, scaleRows: p.rows, scaleCols: blocks, globalScale: p.globalScale)
    }

    /// FP8 block tensors: codes are already bytes; scales stay fp32.
    public static func packFP8(_ q: QuantizedTensor) throws -> FP8PackedTensor {
        guard q.format.family == .fp8 else {
            throw QuantError.formatMismatch(tensor: q.name, expected: "fp8", actual: q.format.name)
        }
        return FP8PackedTensor(name: q.name, rows: q.rows, cols: q.cols, weight: try q.byteCodes(), weightScaleInv: q.scales)
    }

    /// Exact inverse of `packFP8`.
    public static func unpackFP8(_ p: FP8PackedTensor) throws -> QuantizedTensor {
        let b = FP8BlockQuantizer.block, br = ceilDiv(p.rows, b), bc = ceilDiv(p.cols, b)
        guard p.weight.count == p.rows * p.cols, p.weightScaleInv.count == br * bc else {
            throw QuantError.invalidPackedData(tensor: p.name, reason: "expected \(p.rows * p.cols) bytes and \(br * bc) scales")
        }
        return QuantizedTensor(format: .fp8, name: p.name, rows: p.rows, cols: p.cols, codes: .bytes(p.weight),
                               scales: p.weightScaleInv, scaleRows: br, scaleCols: bc)
    }
}
