/// An int tensor in GPTQ/AutoRound checkpoint layout (`qweight`, `qzeros`, `scales`), as AutoRound's
/// `auto_gptq`/`auto_round` exports write it.
///
/// - `qweight`: int32, `(paddedIn * bits / 32) x out`, row-major; column o holds the codes u of output
///   row o along the input dimension as a little-endian bit stream (`BitStream`: 3-bit codes straddle words).
/// - `qzeros`: int32, `groups x ceil(out * bits / 32)`; row g holds the zero points of group g for every
///   output, each stored as (z - 1) masked to `bits` bits (GPTQ v1's "zero minus one"; symmetric formats
///   store 2^(bits-1) - 1, e.g. 7 for int4), packed like `qweight` along the output dimension.
/// - `scales`: fp16 bits, `groups x out` (GPTQ's transposed order); AutoRound's symmetric scales may be negative.
/// Inputs pad to a multiple of 32 (`GPTQPacking.inputAlignment`) with the last group's zero-point code
/// (so padded weights decode to 0); a short last group keeps its own scale and zero point.
public struct GPTQPackedTensor: Sendable, Equatable {
    public var name: String
    public var bits: Int
    public var groupSize: Int
    /// Output features (rows of the weight).
    public var outFeatures: Int
    /// Input features, unpadded.
    public var inFeatures: Int
    public var qweight: [Int32]
    public var qzeros: [Int32]
    public var scales: [UInt16]

    public var groups: Int { ceilDiv(inFeatures, groupSize) }
    /// Rows of `qweight`: inputs padded to a multiple of 32, times bits / 32.
    public var qweightRows: Int { ceilDiv(inFeatures, GPTQPacking.inputAlignment) * bits }
    /// Columns of `qzeros`.
    public var qzerosCols: Int { ceilDiv(outFeatures * bits, 32) }
}

public enum GPTQPacking {
    /// `qweight` packs whole words of 32 inputs (for every bit width, 3 included), so inputs pad to this.
    public static let inputAlignment = 32

    /// Packs an int-format tensor. - Throws: `QuantError.formatMismatch` for non-int formats,
    /// `.invalidPackedData` for inconsistent arrays or scales that are not fp16 values.
    public static func pack(_ q: QuantizedTensor) throws -> GPTQPackedTensor {
        guard q.format.family == .int, case let .group(g) = q.format.granularity else {
            throw QuantError.formatMismatch(tensor: q.name, expected: "an int format", actual: q.format.name)
        }
        let codes = try q.byteCodes(), bits = q.format.bits, groups = ceilDiv(q.cols, g), out = q.rows
        guard q.scales.count == out * groups, q.format.symmetric || q.zeroPoints?.count == out * groups else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "expected \(out * groups) scales and zero points")
        }
        guard q.scales.allSatisfy({ Float(Float16($0)) == $0 }) else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "scales must be fp16 values")
        }
        let implied = UInt32(1 << (bits - 1))
        func zero(_ r: Int, _ group: Int) -> UInt32 {
            q.format.symmetric ? implied : UInt32(q.zeroPoints![r * groups + group])
        }
        let padded = ceilDiv(q.cols, inputAlignment) * inputAlignment, rowsOut = padded * bits / 32
        var qweight = [Int32](repeating: 0, count: rowsOut * out)
        for o in 0..<out {
            let column = BitStream.pack(count: padded, bits: bits) { k in
                k < q.cols ? UInt32(codes[o * q.cols + k]) : zero(o, groups - 1)
            }
            for (w, word) in column.enumerated() { qweight[w * out + o] = Int32(bitPattern: word) }
        }
        var qzeros: [Int32] = []
        var scales: [UInt16] = []
        for group in 0..<groups {
            qzeros += BitStream.pack(count: out, bits: bits) { o in zero(o, group) &- 1 }.map { Int32(bitPattern: $0) }
            scales += (0..<out).map { Float16(q.scales[$0 * groups + group]).bitPattern }
        }
        return GPTQPackedTensor(name: q.name, bits: bits, groupSize: g, outFeatures: out, inFeatures: q.cols,
                                qweight: qweight, qzeros: qzeros, scales: scales)
    }

    /// Unpacks to a `QuantizedTensor` of `format` (which fixes symmetry); exact inverse of `pack`.
    /// - Throws: `QuantError.invalidPackedData` for wrong array sizes, or a symmetric format whose
    ///   stored zero points are not 2^(bits-1) - 1.
    public static func unpack(_ p: GPTQPackedTensor, format: QuantFormat) throws -> QuantizedTensor {
        guard format.family == .int, format.bits == p.bits, format.granularity == .group(p.groupSize) else {
            throw QuantError.formatMismatch(tensor: p.name, expected: format.name, actual: "int\(p.bits)/g\(p.groupSize)")
        }
        let out = p.outFeatures, groups = p.groups, bits = p.bits, mask = UInt32((1 << bits) - 1)
        guard p.qweight.count == p.qweightRows * out, p.qzeros.count == groups * p.qzerosCols,
              p.scales.count == groups * out else {
            throw QuantError.invalidPackedData(tensor: p.name, reason: "qweight \(p.qweight.count), qzeros \(p.qzeros.count), scales \(p.scales.count) elements, expected \(p.qweightRows * out), \(groups * p.qzerosCols), \(groups * out)")
        }
        var codes = [UInt8](repeating: 0, count: out * p.inFeatures)
        for o in 0..<out {
            let column = (0..<p.qweightRows).map { UInt32(bitPattern: p.qweight[$0 * out + o]) }
            for k in 0..<p.inFeatures { codes[o * p.inFeatures + k] = UInt8(BitStream.value(column, at: k, bits: bits)) }
        }
        var scales = [Float](repeating: 0, count: out * groups)
        var zeros = [UInt8](repeating: 0, count: out * groups)
        for group in 0..<groups {
            let row = p.qzeros[(group * p.qzerosCols)..<((group + 1) * p.qzerosCols)].map { UInt32(bitPattern: $0) }
            for o in 0..<out {
                let z = (BitStream.value(row, at: o, bits: bits) &+ 1) & mask
                if format.symmetric && z != UInt32(1 << (bits - 1)) {
                    throw QuantError.invalidPackedData(tensor: p.name, reason: "symmetric zero point \(z) for output \(o), expected \(1 << (bits - 1))")
                }
                zeros[o * groups + group] = UInt8(z)
                scales[o * groups + group] = Float(Float16(bitPattern: p.scales[group * out + o]))
            }
        }
        return QuantizedTensor(format: format, name: p.name, rows: out, cols: p.inFeatures, codes: .bytes(codes),
                               scales: scales, scaleRows: out, scaleCols: groups,
                               zeroPoints: format.symmetric ? nil : zeros)
    }
}
