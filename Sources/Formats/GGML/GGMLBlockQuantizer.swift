import TensorCore

/// ggml's block quantizers, bit-exact with llama.cpp's (`ggml-quants.c`, commit 0c1e570):
/// `quantize` returns the very bytes `quantize_X(src, dst, rows, cols, importance)` writes, and
/// `dequantize` the floats of `dequantize_row_X`.
///
/// - Without importance: the reference quantizers (`quantize_row_X_ref`), which llama.cpp uses when
///   no imatrix is given.
/// - With importance (one value >= 0 per input column, e.g. the calibration Gram diagonal: the
///   activation energy of each input channel): llama.cpp's imatrix quantizers, which weight each
///   value's error by its column's importance (q8_0 ignores it, as llama.cpp does).
///
/// Weights are `rows x cols` (output x input features, as ggml stores a weight: one row per output);
/// each row is cut into blocks along the columns, so cols must be a positive multiple of the
/// type's block. The result is rows * type.rowBytes(cols:) bytes, rows one after another.
///
/// - Complexity: O(rows x cols) with a per-weight constant set by the type's scale search (largest
///   for the k-quants' importance path); rows are spread over all cores with `parallelFor`.
public enum GGMLBlockQuantizer {
    /// The bytes of `weights` in `type`, optionally weighted by per-column `importance`.
    /// - Throws: `QuantError.rowLengthNotMultipleOfBlock` when cols is not a positive multiple of
    ///   `type.blockSize`; `QuantError.nonFiniteWeight` for NaN or infinite weights;
    ///   `QuantError.invalidImportance` when `importance` is not `cols` long or holds a negative or
    ///   non-finite value. Each names `name`.
    public static func quantize(_ weights: Matrix, type: GGMLBlockType, importance: [Float]? = nil,
                                name: String) throws -> [UInt8] {
        try requireRowLength(weights.cols, type: type, name: name)
        try WeightCheck.requireFinite(weights, name: name)
        if let importance { try validate(importance: importance, cols: weights.cols, name: name) }
        let (rows, cols) = (weights.rows, weights.cols)
        let rowBytes = type.rowBytes(cols: cols)
        let (chunks, size) = rowChunks(rows, minRows: 1)
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        weights.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                withOptionalBuffer(importance) { imp in
                    let (src, dst) = (SharedBuffer(src), SharedBuffer(dst))
                    let imp = imp.map { SharedBuffer($0) }
                    parallelFor(chunks) { chunk in
                        let scratch = GGMLBlockScratch()
                        for r in (chunk * size)..<min(rows, (chunk + 1) * size) {
                            encodeRow(type, src.base + r * cols, count: cols, importance: imp.map { UnsafePointer($0.base) },
                                      out: dst + r * rowBytes, scratch: scratch)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The weights that `bytes` (rows of `type` blocks, as `quantize` returns) stand for.
    /// - Throws: `QuantError.rowLengthNotMultipleOfBlock` for a bad `cols`;
    ///   `QuantError.invalidPackedData` when `bytes` is not rows * type.rowBytes(cols:) long.
    public static func dequantize(_ bytes: [UInt8], type: GGMLBlockType, rows: Int, cols: Int,
                                  name: String) throws -> Matrix {
        try requireRowLength(cols, type: type, name: name)
        let rowBytes = type.rowBytes(cols: cols)
        guard rows >= 0, bytes.count == rows * rowBytes else {
            throw QuantError.invalidPackedData(tensor: name,
                reason: "\(bytes.count) bytes for \(rows) rows of \(cols) \(type.name) weights, expected \(max(rows, 0) * rowBytes)")
        }
        let (chunks, size) = rowChunks(rows, minRows: 1)
        let data = [Float](unsafeUninitializedCapacity: rows * cols) { dst, initialized in
            bytes.withUnsafeBufferPointer { src in
                let (src, out) = (SharedBuffer(src), SharedBuffer(dst))
                parallelFor(chunks) { chunk in
                    let (r0, r1) = (chunk * size, min(rows, (chunk + 1) * size))
                    guard r1 > r0 else { return }
                    GGMLBlockDecoding.decode(type, src.base + r0 * rowBytes, into: out + r0 * cols, count: (r1 - r0) * cols)
                }
            }
            initialized = rows * cols
        }
        return Matrix(rows: rows, cols: cols, data: data)
    }

    /// Throws unless `cols` is a positive multiple of `type`'s block (the rule llama.cpp's
    /// quantizers assert; llama-quantize falls back to another type instead).
    public static func requireRowLength(_ cols: Int, type: GGMLBlockType, name: String) throws {
        guard type.fits(cols: cols) else {
            throw QuantError.rowLengthNotMultipleOfBlock(tensor: name, format: type.name, rowLength: cols,
                                                         blockSize: type.blockSize)
        }
    }

    /// Throws unless `importance` has one finite, non-negative value per column.
    static func validate(importance: [Float], cols: Int, name: String) throws {
        guard importance.count == cols else {
            throw QuantError.invalidImportance(tensor: name,
                reason: "\(importance.count) values, expected \(cols) (one per input column)")
        }
        if let i = importance.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw QuantError.invalidImportance(tensor: name,
                reason: "value \(importance[i]) at column \(i), expected finite values >= 0")
        }
    }

    /// One row through `type`'s encoder.
    @inline(__always)
    static func encodeRow(_ type: GGMLBlockType, _ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                          out: UnsafeMutablePointer<UInt8>, scratch: GGMLBlockScratch) {
        switch type {
        case .q8_0: GGMLLegacyBlocks.encodeQ8_0(x, count: n, out: out)
        case .q4_0: GGMLLegacyBlocks.encodeQ4_0(x, count: n, importance: importance, out: out, scratch: scratch)
        case .q5_0: GGMLLegacyBlocks.encodeQ5_0(x, count: n, importance: importance, out: out, scratch: scratch)
        case .q4_K: GGMLQ4KQ5K.encode(x, count: n, bits: 4, importance: importance, out: out, scratch: scratch)
        case .q5_K: GGMLQ4KQ5K.encode(x, count: n, bits: 5, importance: importance, out: out, scratch: scratch)
        case .q6_K: GGMLQ6K.encode(x, count: n, importance: importance, out: out, scratch: scratch)
        case .q2_K: GGMLQ2K.encode(x, count: n, importance: importance, out: out, scratch: scratch)
        case .q3_K: GGMLQ3K.encode(x, count: n, importance: importance, out: out, scratch: scratch)
        case .q4_1: GGMLLegacyAffineBlocks.encode(x, count: n, bits: 4, importance: importance, out: out, scratch: scratch)
        case .q5_1: GGMLLegacyAffineBlocks.encode(x, count: n, bits: 5, importance: importance, out: out, scratch: scratch)
        }
    }

    /// Runs `body` with a pointer to `values`' storage, or nil.
    private static func withOptionalBuffer<R>(_ values: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0) }
    }
}
