/// Working memory of the block encoders for one task of the row-parallel loop: one super-block's
/// codes and per-value weights, and its sub-blocks' scales, mins, weight sums and their codes.
/// Allocated once per task, never shared between tasks.
final class GGMLBlockScratch {
    /// One code per weight of a block (ggml's `L`), 256.
    let codes: UnsafeMutablePointer<UInt8>
    /// Per-value weights of a sub-block (or a 32-weight block), 256.
    let weights: UnsafeMutablePointer<Float>
    /// Sub-block scales, mins and summed weights, 16 each.
    let scales: UnsafeMutablePointer<Float>
    let mins: UnsafeMutablePointer<Float>
    let weightSums: UnsafeMutablePointer<Float>
    /// Codes of the sub-block scales and mins, 16 each.
    let scaleCodes: UnsafeMutablePointer<UInt8>
    let minCodes: UnsafeMutablePointer<UInt8>

    init() {
        codes = .allocate(capacity: 256)
        weights = .allocate(capacity: 256)
        scales = .allocate(capacity: 16)
        mins = .allocate(capacity: 16)
        weightSums = .allocate(capacity: 16)
        scaleCodes = .allocate(capacity: 16)
        minCodes = .allocate(capacity: 16)
        codes.initialize(repeating: 0, count: 256)
        weights.initialize(repeating: 0, count: 256)
        for p in [scales, mins, weightSums] { p.initialize(repeating: 0, count: 16) }
        for p in [scaleCodes, minCodes] { p.initialize(repeating: 0, count: 16) }
    }

    deinit {
        for p in [codes, scaleCodes, minCodes] { p.deallocate() }
        for p in [weights, scales, mins, weightSums] { p.deallocate() }
    }
}
