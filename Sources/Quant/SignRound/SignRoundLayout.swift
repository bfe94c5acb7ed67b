import Formats
import TensorCore

/// The groups of one tunable layer and their unclipped ranges, fixed for the whole optimisation.
///
/// Groups run along the input dimension (`groupSize` consecutive weights of a row; a row's last group
/// may be short), counted row-major as in `QuantizedTensor.scales`. Per group: lo = min(min w, 0),
/// hi = max(max w, 0) (FP4 blocks use amax = max(-lo, hi)). SignRound's alpha multiplies hi (int) or
/// amax (FP4); beta multiplies lo (int only).
struct SignRoundLayout: Sendable {
    /// The arithmetic of a tunable format.
    enum Scheme: Sendable, Equatable {
        /// Integer codes, `bits` wide; symmetric full range or asymmetric with a zero point.
        case int(bits: Int, symmetric: Bool)
        /// E2M1 elements, power-of-two block scale.
        case mxfp4
        /// E2M1 elements, E4M3 block scale divided by the fp32 tensor scale `global`.
        case nvfp4(global: Float)
    }

    let scheme: Scheme
    let rows: Int
    let cols: Int
    let groupSize: Int
    let groupsPerRow: Int
    /// min(min w, 0) per group.
    let lo: [Float]
    /// max(max w, 0) per group.
    let hi: [Float]

    var groupCount: Int { rows * groupsPerRow }
    /// Whether beta (the lower clip) is a parameter.
    var hasMinClip: Bool { if case .int = scheme { return true } else { return false } }

    /// The layout of `w` in `format`, or nil when SignRound does not tune the format (fp8, bf16, ggml block types).
    init?(format: QuantFormat, weights w: Matrix) {
        switch format.family {
        case .int:
            guard case let .group(g) = format.granularity else { return nil }
            scheme = .int(bits: format.bits, symmetric: format.symmetric)
            groupSize = g
        case .mxfp4:
            scheme = .mxfp4
            groupSize = MXFP4Quantizer.blockSize
        case .nvfp4:
            let amax = w.data.reduce(Float(0)) { max($0, $1.magnitude) }
            scheme = .nvfp4(global: NVFP4Quantizer.globalScale(amax: amax))
            groupSize = NVFP4Quantizer.blockSize
        case .fp8, .bf16, .ggml:
            return nil
        }
        rows = w.rows
        cols = w.cols
        groupsPerRow = ceilDiv(w.cols, groupSize)
        var lo = [Float](repeating: 0, count: w.rows * groupsPerRow)
        var hi = lo
        for r in 0..<w.rows {
            for g in 0..<groupsPerRow {
                let start = r * w.cols + g * groupSize, end = r * w.cols + min(w.cols, (g + 1) * groupSize)
                var l: Float = 0, h: Float = 0
                for i in start..<end {
                    let x = w.data[i]
                    l = x < l ? x : l
                    h = x > h ? x : h
                }
                lo[r * groupsPerRow + g] = l
                hi[r * groupsPerRow + g] = h
            }
        }
        self.lo = lo
        self.hi = hi
    }
}
