import TensorCore

/// One number format's quantizer. Weights are `out x in` matrices; groups and blocks run along the
/// input dimension (columns).
///
/// `quantize` and `dequantize` are the scalar reference that defines the result; `fakeQuantize` is
/// the fast path (multi-threaded, one pass, no code arrays) and is tested bit-identical to
/// `dequantize(quantize(w))`.
public protocol WeightQuantizer: Sendable {
    var format: QuantFormat { get }

    /// Round-to-nearest quantization (with optional SignRound adjustments) to codes and scales.
    /// - Throws: `QuantError.nonFiniteWeight` naming `name` for NaN/Inf input;
    ///   `QuantError.invalidAdjustments` for adjustments of the wrong size or that the format cannot take.
    func quantize(weights: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor

    /// The values the codes stand for.
    /// - Throws: `QuantError.formatMismatch` / `.invalidPackedData` when `q` does not belong to this format.
    func dequantize(_ q: QuantizedTensor) throws -> Matrix

    /// Quantize and dequantize in one pass: the profiler's hot path.
    func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix

    /// Exact bits to store a tensor of `shape`, under `convention`.
    func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost
}

extension WeightQuantizer {
    /// Round-to-nearest quantization.
    public func quantize(weights: Matrix, name: String) throws -> QuantizedTensor {
        try quantize(weights: weights, name: name, adjustments: nil)
    }

    /// Round-to-nearest quantize + dequantize (fast path).
    public func fakeQuantize(_ w: Matrix, name: String = "weight") throws -> Matrix {
        try fakeQuantize(w, name: name, adjustments: nil)
    }

    /// The reference result of `fakeQuantize`: `dequantize(quantize(w))`.
    public func referenceFakeQuantize(_ w: Matrix, name: String = "weight",
                                      adjustments: RoundingAdjustments? = nil) throws -> Matrix {
        try dequantize(quantize(weights: w, name: name, adjustments: adjustments))
    }

    /// Checks that `q` was made by this format and has consistent array sizes.
    func requireOwn(_ q: QuantizedTensor) throws {
        guard q.format == format else {
            throw QuantError.formatMismatch(tensor: q.name, expected: format.name, actual: q.format.name)
        }
        guard q.scales.count == q.scaleRows * q.scaleCols else {
            throw QuantError.invalidPackedData(tensor: q.name,
                reason: "\(q.scales.count) scales for a \(q.scaleRows) x \(q.scaleCols) scale grid")
        }
    }
}

/// SignRound's learnable parameters for one tensor (AutoRound, Cheng et al. 2023).
///
/// - `offsets` (V, one per weight, row-major, each in [-0.5, 0.5]) are added to the scaled weight before
///   rounding: int q = round(w / scale + V); FP4/FP8 element = roundE2M1/E4M3(w / scale + V).
/// - `maxClip` (alpha, one per scale group, in [0.5, 1]) multiplies the range's upper end before the scale
///   is computed: int hi' = alpha * max(max w, 0); MXFP4/NVFP4/FP8 block amax' = alpha * amax.
/// - `minClip` (beta, one per group, in [0.5, 1]) multiplies the lower end: int lo' = beta * min(min w, 0).
///   FP formats have one amax per block and ignore nothing silently: they reject `minClip`.
/// Groups are counted as in `QuantizedTensor.scales` (row-major over the scale grid). NVFP4's per-tensor
/// scale comes from the unclipped amax. Passing nil or all-neutral values (V = 0, alpha = beta = 1)
/// reproduces round-to-nearest bit for bit.
public struct RoundingAdjustments: Sendable, Equatable {
    public var offsets: [Float]?
    public var maxClip: [Float]?
    public var minClip: [Float]?

    public init(offsets: [Float]? = nil, maxClip: [Float]? = nil, minClip: [Float]? = nil) {
        self.offsets = offsets
        self.maxClip = maxClip
        self.minClip = minClip
    }

    /// Checks sizes and ranges: offsets `weights` long in [-0.5, 0.5], clips `groups` long in [0.5, 1].
    public func validate(tensor: String, weights: Int, groups: Int, allowsMinClip: Bool) throws {
        if let v = offsets {
            guard v.count == weights else {
                throw QuantError.invalidAdjustments(tensor: tensor, reason: "\(v.count) offsets, expected \(weights)")
            }
            if let bad = v.first(where: { !($0 >= -0.5 && $0 <= 0.5) }) {
                throw QuantError.invalidAdjustments(tensor: tensor, reason: "offset \(bad) outside [-0.5, 0.5]")
            }
        }
        for (label, clip) in [("maxClip", maxClip), ("minClip", minClip)] {
            guard let c = clip else { continue }
            if label == "minClip" && !allowsMinClip {
                throw QuantError.invalidAdjustments(tensor: tensor, reason: "this format has no lower clip (minClip)")
            }
            guard c.count == groups else {
                throw QuantError.invalidAdjustments(tensor: tensor, reason: "\(c.count) \(label) values, expected \(groups)")
            }
            if let bad = c.first(where: { !($0 >= 0.5 && $0 <= 1) }) {
                throw QuantError.invalidAdjustments(tensor: tensor, reason: "\(label) \(bad) outside [0.5, 1]")
            }
        }
    }
}

/// Input checks shared by all formats (and the quantize stage's SignRound).
public enum WeightCheck {
    /// Throws `QuantError.nonFiniteWeight` at the first NaN or infinity of `w`.
    /// - Complexity: O(n), one branch-free pass (exponent bits all ones) plus a search only on failure.
    public static func requireFinite(_ w: Matrix, name: String) throws {
        let bad: Bool = w.data.withUnsafeBufferPointer { p in
            var any: UInt32 = 0
            for x in p {
                let e = x.bitPattern & 0x7F80_0000
                any |= e == 0x7F80_0000 ? 1 : 0
            }
            return any != 0
        }
        if bad { throw nonFiniteError(w, name: name) }
    }

    /// The error for the first NaN or infinity of `w`. - Precondition: `w` holds one.
    static func nonFiniteError(_ w: Matrix, name: String) -> QuantError {
        guard let i = w.data.firstIndex(where: { !$0.isFinite }) else {
            preconditionFailure("a fast path reported a non-finite weight in '\(name)' that is not there")
        }
        return QuantError.nonFiniteWeight(tensor: name, row: i / w.cols, col: i % w.cols, value: w.data[i])
    }
}

/// Splits `count` rows into chunks for `parallelFor` (a few per core so uneven rows balance); shared with
/// the quantize stage's SignRound loops.
@inlinable public func rowChunks(_ count: Int, minRows: Int = 4) -> (chunks: Int, size: Int) {
    let size = max(minRows, ceilDiv(count, 16))
    return (ceilDiv(count, size), size)
}
