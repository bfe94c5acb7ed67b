/// Working memory of the block encoders for one task of the row-parallel loop: the codes of a
/// super-block (or of sixteen 32-weight blocks), up to eight sub-blocks in lane layout (`GGMLLanes`)
/// with their weights and codes, up to sixteen for the affine search (`GGMLWide`), and the
/// sub-blocks' scales, mins, weight sums and their codes. Allocated once per task, never shared.
final class GGMLBlockScratch {
    /// One code per weight of a super-block (ggml's `L`) or of sixteen 32-weight blocks, 512.
    let codes: UnsafeMutablePointer<UInt8>
    /// Up to 8 sub-blocks of up to 32 values in lane layout: values, per-value weights, codes.
    let x: UnsafeMutablePointer<SIMD8<Float>>
    let weights: UnsafeMutablePointer<SIMD8<Float>>
    let laneCodes: UnsafeMutablePointer<SIMD8<Int32>>
    /// The same for up to 16 sub-blocks (`GGMLAffineSearch`): values, weights, codes.
    let wideX: UnsafeMutablePointer<GGMLWide>
    let wideWeights: UnsafeMutablePointer<GGMLWide>
    let wideCodes: UnsafeMutablePointer<GGMLWideCodes>
    /// A grid step's codes in the affine search.
    let wideStepCodes: UnsafeMutablePointer<GGMLWide>
    /// Sub-block scales, mins and summed weights, 16 each.
    let scales: UnsafeMutablePointer<Float>
    let mins: UnsafeMutablePointer<Float>
    let weightSums: UnsafeMutablePointer<Float>
    /// Codes of the sub-block scales and mins, 16 each.
    let scaleCodes: UnsafeMutablePointer<UInt8>
    let minCodes: UnsafeMutablePointer<UInt8>

    init() {
        codes = .allocate(capacity: 512)
        codes.initialize(repeating: 0, count: 512)
        x = .allocate(capacity: 32)
        weights = .allocate(capacity: 32)
        laneCodes = .allocate(capacity: 32)
        x.initialize(repeating: .zero, count: 32)
        weights.initialize(repeating: .zero, count: 32)
        laneCodes.initialize(repeating: .zero, count: 32)
        (wideX, wideWeights, wideCodes) = (.allocate(capacity: 32), .allocate(capacity: 32), .allocate(capacity: 32))
        wideX.initialize(repeating: GGMLWide(), count: 32)
        wideWeights.initialize(repeating: GGMLWide(), count: 32)
        wideCodes.initialize(repeating: GGMLWideCodes(repeating: 0), count: 32)
        wideStepCodes = .allocate(capacity: 32)
        wideStepCodes.initialize(repeating: GGMLWide(), count: 32)
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
        for p in [wideX, wideWeights, wideStepCodes] { p.deallocate() }
        wideCodes.deallocate()
    }
}
