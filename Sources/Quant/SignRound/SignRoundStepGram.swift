import Formats
import TensorCore

/// The Gram matrix SignRound's step loop descends on: Hqq rounded to half precision.
///
/// Every step adds whole rows of Hqq for the codes that changed (`SignRoundGroupProducts`), and those
/// row reads, not the arithmetic, bound the step: a 1536-column Gram is 9.4 MB of Floats, beyond the
/// 1 MB L2 of a core. Half-precision rows halve that traffic (step times: reports/signround.md).
/// The entries are scaled by a power of two 2^-e first, so the
/// largest lies in [2^14, 2^15) and none overflows Float16's 65504; then each entry keeps a relative
/// error of at most 2^-11 (4.9e-4), entries below 2^-14 of the scaled range an absolute one of at
/// most 2^-25 x 2^e. That is far below the sampling error of the Gram itself (32 x 512 calibration
/// tokens give relative errors near 1e-2), so the steps go the same way; the errors SignRound reports
/// (`SignRoundResult.rtnLoss`, `bestLoss`) are measured on the exact Hqq.
///
/// Both step products use the rounded Gram: the sgemm step multiplies by `widened`, the partial products
/// add rows of `half` times `scale`, and the two agree up to Float summation order.
struct SignRoundStepGram {
    /// Hqq x 2^-e, cols x cols, row-major.
    let half: [Float16]
    /// 2^e, exact: widened = scale x Float(half) holds no rounding of its own.
    let scale: Float
    /// The Gram the steps use, scale x half, in Float (cols x cols).
    let widened: Matrix

    /// Largest scaled entry allowed: 2^15, below Float16's largest finite value (65504).
    static let ceiling: Float = 32768

    init(_ gram: Matrix) {
        let largest = gram.data.reduce(Float(0)) { max($0, $1.magnitude) }
        // e puts the largest entry in [2^14, 2^15); an all-zero Gram keeps e = 0.
        let e = largest > 0 && largest.isFinite ? Int(largest.exponent) - 14 : 0
        let down = Float(sign: .plus, exponent: -e, significand: 1)
        scale = Float(sign: .plus, exponent: e, significand: 1)
        half = gram.data.map { Float16($0 * down) }
        let up = scale
        widened = Matrix(rows: gram.rows, cols: gram.cols, data: half.map { Float($0) * up })
    }
}
