// Public constructors of the packed layouts, so checkpoint readers outside this module can rebuild
// them from stored arrays (sizes are checked by the unpack functions).

extension GPTQPackedTensor {
    /// A packed tensor from stored arrays (checked by `GPTQPacking.unpack`).
    public static func stored(name: String, bits: Int, groupSize: Int, outFeatures: Int, inFeatures: Int,
                              qweight: [Int32], qzeros: [Int32], scales: [UInt16]) -> GPTQPackedTensor {
        GPTQPackedTensor(name: name, bits: bits, groupSize: groupSize, outFeatures: outFeatures,
                         inFeatures: inFeatures, qweight: qweight, qzeros: qzeros, scales: scales)
    }
}

extension FP4PackedTensor {
    /// A packed tensor from stored arrays (checked by `FPPacking.unpackFP4`).
    public static func stored(name: String, rows: Int, cols: Int, weightPacked: [UInt8], weightScale: [UInt8],
                              globalScale: Float?) -> FP4PackedTensor {
        FP4PackedTensor(name: name, rows: rows, cols: cols, weightPacked: weightPacked, weightScale: weightScale,
                        globalScale: globalScale)
    }
}

extension FP8PackedTensor {
    /// A packed tensor from stored arrays (checked by `FPPacking.unpackFP8`).
    public static func stored(name: String, rows: Int, cols: Int, weight: [UInt8], weightScaleInv: [Float]) -> FP8PackedTensor {
        FP8PackedTensor(name: name, rows: rows, cols: cols, weight: weight, weightScaleInv: weightScaleInv)
    }
}
