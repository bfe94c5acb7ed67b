import TensorCore

/// Weight-only integers in groups along the input dimension (AutoRound/GPTQ `W{b}A16`).
///
/// Per group: lo = min(min w, 0), hi = max(max w, 0) (times SignRound's beta and alpha when given).
/// - Asymmetric (`int4a`): scale = fp16((hi - lo) / (2^b - 1)), at least fp16(1e-5);
///   zero point z = round(-lo / scale) in [0, 2^b - 1]; u = clamp(round(w / scale) + z, 0, 2^b - 1).
/// - Symmetric (`int4`, AutoRound's full range `int_sym`): maxq = 2^(b-1); the end of larger magnitude
///   m (lo if -lo > hi, else hi) maps to -maxq: scale = fp16(-m / maxq), so it is negative when hi
///   dominates; |scale| at least fp16(1e-5) (a zero group gets +fp16(1e-5)); z = maxq (implied, not
///   stored); u = clamp(round(w / scale) + maxq, 0, 2^b - 1), i.e. q = u - maxq in [-maxq, maxq - 1].
/// Both dequantize as w' = scale * (u - z). Rounding is half to even; scales are used as stored (fp16).
/// A row whose length is not a multiple of the group ends in a short group; it quantizes exactly as if
/// padded with zeros (zeros never move lo or hi). Storage counts codes padded to a multiple of 32 inputs
/// (GPTQ's `qweight` packs whole 32-input words) and one scale per group, short groups included.
public struct IntGroupQuantizer: WeightQuantizer {
    public static let supportedBits = [2, 3, 4, 8]
    public static let supportedGroupSizes = [32, 64, 128]
    /// Smallest scale magnitude (AutoRound's `q_scale_thresh`), as fp16: 1.0013580322265625e-05.
    public static let minScale: Float = HalfPrecision.roundToF16(1e-5)

    public let format: QuantFormat
    public let bits: Int
    public let groupSize: Int

    public init(format: QuantFormat) {
        guard case let .group(g) = format.granularity, format.family == .int else {
            preconditionFailure("IntGroupQuantizer needs an int format with group granularity, got \(format)")
        }
        self.format = format
        self.bits = format.bits
        self.groupSize = g
    }

    /// Largest code, 2^bits - 1.
    var maxCode: Float { Float((1 << bits) - 1) }

    /// Scale and zero point of one group from its (clipped) range lo <= 0 <= hi.
    /// - Returns: the fp16-representable scale and the zero point as a Float integer.
    @inlinable
    public static func scaleAndZero(lo: Float, hi: Float, bits: Int, symmetric: Bool) -> (scale: Float, zero: Float) {
        if symmetric {
            let maxq = Float(1 << (bits - 1))
            let maxV: Float = hi < -lo ? -lo : -hi
            var s = HalfPrecision.roundToF16(maxV / maxq)
            s = s < 0 ? min(s, -minScale) : max(s, minScale)
            return (s, maxq)
        }
        let maxCode = Float((1 << bits) - 1)
        let s = max(HalfPrecision.roundToF16((hi - lo) / maxCode), minScale)
        let z = min(max((-lo / s).rounded(.toNearestOrEven), 0), maxCode)
        return (s, z)
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try WeightCheck.requireFinite(w, name: name)
        let groups = ceilDiv(w.cols, groupSize)
        try adjustments?.validate(tensor: name, weights: w.count, groups: w.rows * groups, allowsMinClip: true)
        var codes = [UInt8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 0, count: w.rows * groups)
        var zeros = [UInt8](repeating: 0, count: w.rows * groups)
        for r in 0..<w.rows {
            for g in 0..<groups {
                let gi = r * groups + g
                let c0 = g * groupSize, c1 = min(w.cols, c0 + groupSize)
                var lo: Float = 0, hi: Float = 0
                for c in c0..<c1 {
                    let x = w[r, c]
                    lo = x < lo ? x : lo
                    hi = x > hi ? x : hi
                }
                if let a = adjustments?.maxClip { hi *= a[gi] }
                if let b = adjustments?.minClip { lo *= b[gi] }
                let (s, z) = Self.scaleAndZero(lo: lo, hi: hi, bits: bits, symmetric: format.symmetric)
                scales[gi] = s
                zeros[gi] = UInt8(z)
                for c in c0..<c1 {
                    var x = w[r, c] / s
                    if let v = adjustments?.offsets { x += v[r * w.cols + c] }
                    let u = min(max(x.rounded(.toNearestOrEven) + z, 0), maxCode)
                    codes[r * w.cols + c] = UInt8(u)
                }
            }
        }
        return QuantizedTensor(format: format, name: name, rows: w.rows, cols: w.cols, codes: .bytes(codes),
                               scales: scales, scaleRows: w.rows, scaleCols: groups,
                               zeroPoints: format.symmetric ? nil : zeros)
    }

    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        try requireOwn(q)
        let codes = try q.byteCodes()
        let groups = ceilDiv(q.cols, groupSize)
        guard q.scaleRows == q.rows, q.scaleCols == groups, format.symmetric || q.zeroPoints?.count == q.scales.count else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "scale grid \(q.scaleRows) x \(q.scaleCols), expected \(q.rows) x \(groups) with zero points for asymmetric formats")
        }
        let implied = Float(1 << (bits - 1))
        var out = Matrix(rows: q.rows, cols: q.cols)
        for r in 0..<q.rows {
            for c in 0..<q.cols {
                let gi = r * groups + c / groupSize
                let z = format.symmetric ? implied : Float(q.zeroPoints![gi])
                out[r, c] = q.scales[gi] * (Float(codes[r * q.cols + c]) - z)
            }
        }
        return out
    }

    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        let groups = shape.rows * ceilDiv(shape.cols, groupSize)
        switch convention {
        case .storage:
            let padded = shape.rows * ceilDiv(shape.cols, GPTQPacking.inputAlignment) * GPTQPacking.inputAlignment
            return BitCost(weights: shape.count, codeBits: padded * bits, scaleBits: groups * 16,
                           zeroPointBits: format.symmetric ? 0 : groups * bits)
        case .autoround:
            return BitCost(weights: shape.count, codeBits: shape.count * bits, scaleBits: groups * 16,
                           zeroPointBits: groups * bits)
        }
    }

    static let traits = FormatTraits(
        family: .int,
        summary: "weight-only integers, fp16 scale per group of 32/64/128 inputs; int{b} symmetric full range, int{b}a asymmetric with zero point",
        elementBits: supportedBits, blockSize: 128,
        padding: "codes padded to a multiple of 32 inputs; a short last group keeps its own scale",
        aliases: [2, 3, 4, 8].map { b in
            ("W\(b)A16", QuantFormat(family: .int, bits: b, granularity: .group(128), symmetric: true))
        },
        parse: parseIntName,
        canonicalName: { f in
            guard case let .group(g) = f.granularity else { return "int\(f.bits)?" }
            return "int\(f.bits)\(f.symmetric ? "" : "a")/g\(g)"
        },
        makeQuantizer: { IntGroupQuantizer(format: $0) })

    /// Parses `int{b}[a][/g{n}]` or `w{b}a16` (lowercased input).
    static func parseIntName(_ key: String) -> QuantFormat? {
        if key.hasPrefix("w"), key.hasSuffix("a16"), let b = Int(key.dropFirst().dropLast(3)),
           supportedBits.contains(b) {
            return QuantFormat(family: .int, bits: b, granularity: .group(128), symmetric: true)
        }
        guard key.hasPrefix("int") else { return nil }
        let parts = key.dropFirst(3).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        var head = parts[0]
        let symmetric = !head.hasSuffix("a")
        if !symmetric { head = head.dropLast() }
        guard let b = Int(head), supportedBits.contains(b) else { return nil }
        var group = 128
        if parts.count == 2 {
            guard parts[1].hasPrefix("g"), let g = Int(parts[1].dropFirst()), supportedGroupSizes.contains(g) else {
                return nil
            }
            group = g
        }
        return QuantFormat(family: .int, bits: b, granularity: .group(group), symmetric: symmetric)
    }
}
