import Foundation
import Formats

/// Int layers rewritten into a group size auto-round's CPU kernels accept, with the same weights.
///
/// auto-round 0.16.1 loads an int layer into `auto_round:torch_zp` (or `auto_round:torch`) only when
/// `in_features % group_size == 0` (`exllamav2_feature_checker` in `auto_round/inference/backend.py`;
/// the kernel's `forward` repeats each scale `group_size` times along the inputs, so a short last
/// group cannot be expressed). Otherwise it falls back to `auto_round:fake`, whose
/// `FakeActQuantLinear` expects a dense `weight` and leaves the packed layer uninitialised.
///
/// A layer of group g whose inputs are not a multiple of g (SmolLM2's 576 inputs in groups of 128:
/// four groups of 128 and a short one of 64) is written in the largest group g' of
/// `IntGroupQuantizer.supportedGroupSizes` that divides both g and the input count (64 there), each
/// scale and zero point repeated for the g / g' groups it covers. The codes, and so the dequantized
/// weights, are unchanged bit for bit; the file stores g / g' times the scales and zero points
/// (int2 on 576 inputs, fp16 scales and 2-bit zeros per group: 2.156 bits per weight in 5 groups
/// of g128, 2.281 in 9 groups of g64).
public enum AutoRoundCheckpointGroups {
    /// The group `q` is written in: its own when it divides the inputs (or `q` is not an int
    /// format), else the largest supported group dividing both; nil when none does (the layer
    /// cannot be loaded into a kernel, e.g. inputs not a multiple of 32).
    public static func loadableGroup(_ q: QuantizedTensor) -> Int? {
        guard q.format.family == .int, case let .group(g) = q.format.granularity else { return nil }
        if q.cols % g == 0 { return g }
        return IntGroupQuantizer.supportedGroupSizes.filter { g % $0 == 0 && q.cols % $0 == 0 }.max()
    }

    /// `q` in a group auto-round's kernels accept, same codes and dequantized weights; `q` itself when
    /// its group already divides the inputs, it is not an int format, or no supported group helps.
    /// - Throws: `QuantError.invalidPackedData` when the scale grid is not rows x ceil(cols / g).
    public static func loadable(_ q: QuantizedTensor) throws -> QuantizedTensor {
        guard case let .group(g) = q.format.granularity, let target = loadableGroup(q), target != g else { return q }
        let oldGroups = (q.cols + g - 1) / g, newGroups = q.cols / target
        guard q.scaleRows == q.rows, q.scaleCols == oldGroups, q.scales.count == q.rows * oldGroups,
              q.format.symmetric || q.zeroPoints?.count == q.scales.count else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "scale grid \(q.scaleRows) x \(q.scaleCols), expected \(q.rows) x \(oldGroups)")
        }
        let source = (0..<q.rows).flatMap { r in (0..<newGroups).map { r * oldGroups + $0 * target / g } }
        var out = q
        out.format = try QuantFormat.int(bits: q.format.bits, groupSize: target, symmetric: q.format.symmetric)
        out.scales = source.map { q.scales[$0] }
        out.scaleCols = newGroups
        out.zeroPoints = q.zeroPoints.map { z in source.map { z[$0] } }
        return out
    }

    /// Every layer with `loadable` applied.
    public static func loadable(_ layers: [QuantizedLayer]) throws -> [QuantizedLayer] {
        try layers.map { QuantizedLayer(module: $0.module, tensor: try loadable($0.tensor), input: $0.input) }
    }
}
