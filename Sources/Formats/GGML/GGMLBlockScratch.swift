/// Working memory of the block encoders for one task of the row-parallel loop: one super-block's
/// codes, up to eight sub-blocks in lane layout (`GGMLLanes`) with their weights and codes, and the
/// sub-blocks' scales, mins, weight sums and their codes. Allocated once per task, never shared.
final class GGMLBlockScratch {
    /// One code per weight of a super-block (ggml's `L`), 256.
    let codes: UnsafeMutablePointer<UInt8>
    /// Up to 8 sub-blocks of up to 32 values in lane layout: values, per-value weights, codes.
    let x: UnsafeMutablePointer<SIMD8<Float>>
    let weights: UnsafeMutablePointer<SIMD8<Float>>
    let laneCodes: UnsafeMutablePointer<SIMD8<Int32>>
    /// Sub-block scales, mins and summed weights, 16 each.
    let scales: UnsafeMutablePointer<Float>
    let mins: UnsafeMutablePointer<Float>
    let weightSums: UnsafeMutablePointer<Float>
    /// Codes of the sub-block scales and mins, 16 each.
    let scaleCodes: UnsafeMutablePointer<UInt8>
    let minCodes: UnsafeMutablePointer<UInt8>

    init() {
        codes = .allocate(capacity: 256)
        codes.initialize(repeating: 0, count: 256)
        x = .allocate(capacity: 32)
        weights = .allocate(capacity: 32)
        laneCodes = .allocate(capacity: 32)
        x.initialize(repeating: .zero, count: 32)
        weights.initialize(repeating: .zero, count: 32)
        laneCodes.initialize(repeating: .zero, count: 32)
        (scales, mins, weightSums) = (.allocate(capacity: 16), .allocate(capacity: 16), .allocate(capacity: 16))
        for p in [scales, mins, weightSums] { p.initialize(repeating: 0, count: 16) }
        (scaleCodes, minCodes) = (.allocate(capacity: 16), .allocate(capacity: 16))
        for p in [scaleCodes, minCodes] { p.initialize(repeating: 0, count: 16) }
    }

    deinit {
        for p in [codes, scaleCodes, minCodes] { p.deallocate() }
        for p in [scales, mins, weightSums] { p.deallocate() }
        for p in [x, weights] { p.deallocate() }
        laneCodes.deallocate()
    }
}
