import Formats
import TensorCore

/// G = D Hqq + E of SignRound's step loop, kept up to date through per-group partial products
/// instead of one sgemm per step.
///
/// Every tunable format quantizes a group as Q = s x c (one scale s per group, a code c per weight:
/// int u - z, FP4 an E2M1 value). Row r of Q Hqq is therefore sum_g s_rg P_rg with the partial
/// product P_rg = sum_{j in g} c_rj Hqq[j, :] (a row of `cols` values per row and group), and
///
///     G_r = sum_g s_rg P_rg + (E - W Hqq)_r.
///
/// Between two steps every scale moves (alpha, beta move by lr each step) but only few codes do: a
/// code changes when V or the scale carries w / s + V across a rounding boundary. The scales enter in
/// the weighted sum; a changed code updates its group's partial product by one axpy,
/// P_rg += (c_new - c_old) Hqq[j, :]. The partial products start from one sgemm per group column
/// block (rows x groupSize x cols, one sgemm of the layer in all). FP4 formats, whose rounded scales
/// rarely move, keep one partial product of Q itself per row instead (`holdsValues`).
///
/// - Complexity per step: O(rows x groupsPerRow x cols) for the weighted sums plus O(cols) per changed
///   code, against 2 x rows x cols x cols flops for the sgemm. Memory: 2 x rows x groupsPerRow x cols
///   Floats (84 MB for a 576 x 1536 layer in groups of 128). Each step streams P through memory once (read
///   and write, 8 bytes per entry) where the sgemm does 2 x cols flops per weight: with about 20 GB/s
///   of memory and 200 GFLOP/s of sgemm the products win by gs / 40, so from groups of 64 on (groups
///   of 32 keep the sgemm).
/// - Exactness: the same quantity as the sgemm on the step Gram (`SignRoundStepGram`, Hqq rounded to
///   half precision) up to Float summation order; Q Hqq and W Hqq are formed separately, so G carries a
///   relative error of about 1e-7 x |Q Hqq| / |D Hqq|.
///
/// Two sets of P take alternate steps, each brought from the codes two steps back: sign descent makes
/// many codes flip and flip back on alternate steps (V oscillates across a rounding boundary), and on
/// the default model the codes that differ from two steps back are 40-45% of those that differ from
/// the last step, so the row updates fall by about 2.4x for twice the memory. The changes are listed
/// when the step computes the new codes, while both code rows are in cache; the next pass reads the
/// list (8 bytes per changed code) instead of both code arrays.
struct SignRoundGroupProducts {
    let rows: Int
    let cols: Int
    /// Columns per partial product: the format's scale group for int formats, the whole row for FP4.
    let groupSize: Int
    let groupsPerRow: Int
    /// The format's scale groups, which the step's elementwise loops walk.
    let kernelGroupSize: Int
    let kernelGroupsPerRow: Int
    /// FP4 formats: P holds Q itself (each code times its group's scale) in one partial product per
    /// row, with scale 1. Their scales are rounded (MXFP4 to a power of two, NVFP4 to E4M3), so
    /// alpha's small steps rarely move one: Q changes only where a code or a rounded scale does, and
    /// G follows those changes without per-group products. Int scales move every step, so int
    /// formats keep one partial product per group.
    let holdsValues: Bool
    /// Two sets of P, each (groupsPerRow x rows) x cols and group-major: the partial product of row r,
    /// group g at (g x rows + r) x cols, so a group's rows are one contiguous block (the pass walks them
    /// in order). Set k (at k x `setSize`) serves the steps of parity k.
    let partials: SignRoundArray<Float>
    /// The codes each set of P holds, or is about to hold (2 x rows x cols; set k at k x rows x cols).
    /// Set `parity` holds the codes of the current parameters once the listed changes are applied.
    let held: SignRoundArray<Float>
    /// The set of P the next pass uses.
    var parity = 0
    /// Current scale per partial product (rows x groupsPerRow; 1 when P holds values).
    let scales: SignRoundArray<Float>
    /// E - W Hqq (rows x cols), on the step Gram.
    let base: SignRoundArray<Float>
    /// The step Gram: its half-precision rows are what changed codes add.
    let gram: SignRoundStepGram
    /// `gram.half`, by pointer.
    let gramHalf: SignRoundArray<Float16>
    /// Codes to change in set `parity` of P before its next use, per row and group: column j of the list
    /// of (r, g) at r x cols + g x groupSize + t for t < changeCount[r x groupsPerRow + g], the code change
    /// times `gram.scale` in `changeDelta` (so a half row times it is the change in P).
    let changes: ChangeLists
    /// Loss terms and changed codes per row chunk of the last pass.
    let chunkLoss: SignRoundArray<Double>
    let chunkChanges: SignRoundArray<Int>
    private var built = false
    /// Row updates made since the partial products were built (listed code changes, summed).
    var rowUpdates = 0

    /// The change lists (see `changes`).
    struct ChangeLists {
        let index: SignRoundArray<Int32>
        let delta: SignRoundArray<Float>
        let count: SignRoundArray<Int32>
    }

    /// Floats in one set of partial products.
    var setSize: Int { rows * groupsPerRow * cols }

    /// Whether the partial products pay off for `layout`: an FP4 format or int groups of at least 64
    /// weights, and at most `memoryLimit` bytes of partial products (both sets).
    static func pays(for layout: SignRoundLayout, memoryLimit: Int = 1 << 30) -> Bool {
        let values = holdsValues(layout)
        let groups = values ? 1 : layout.groupsPerRow
        return (values || layout.groupSize >= 64) && 2 * layout.rows * groups * layout.cols * 4 <= memoryLimit
    }

    /// Whether P holds values rather than codes for `layout` (the FP4 formats, see `holdsValues`).
    static func holdsValues(_ layout: SignRoundLayout) -> Bool {
        if case .int = layout.scheme { return false }
        return true
    }

    /// Sets up the products for `layout` on the step Gram `gram` and forms E - W Hqq.
    /// - Complexity: one sgemm rows x cols x cols.
    init(layout: SignRoundLayout, weights w: Matrix, objective: LayerObjective, gram: SignRoundStepGram) {
        rows = layout.rows
        cols = layout.cols
        holdsValues = Self.holdsValues(layout)
        kernelGroupSize = layout.groupSize
        kernelGroupsPerRow = layout.groupsPerRow
        groupSize = holdsValues ? layout.cols : layout.groupSize
        groupsPerRow = holdsValues ? 1 : layout.groupsPerRow
        partials = SignRoundArray(repeating: 0, count: 2 * rows * groupsPerRow * cols)
        held = SignRoundArray(repeating: 0, count: 2 * rows * cols)
        scales = SignRoundArray(repeating: 0, count: rows * groupsPerRow)
        changes = ChangeLists(index: SignRoundArray(repeating: 0, count: rows * cols),
                              delta: SignRoundArray(repeating: 0, count: rows * cols),
                              count: SignRoundArray(repeating: 0, count: rows * groupsPerRow))
        let chunks = rowChunks(rows).chunks
        chunkLoss = SignRoundArray(repeating: 0, count: chunks)
        chunkChanges = SignRoundArray(repeating: 0, count: chunks)
        self.gram = gram
        gramHalf = SignRoundArray(gram.half)
        var b = objective.crossTerm?.data ?? [Float](repeating: 0, count: rows * cols)
        let (rows, cols) = (rows, cols)
        w.data.withUnsafeBufferPointer { pw in
            gram.widened.data.withUnsafeBufferPointer { ph in
                b.withUnsafeMutableBufferPointer { pb in
                    BLAS.gemm(.none, .none, m: rows, n: cols, k: cols, alpha: -1, a: pw.baseAddress!, lda: cols,
                              b: ph.baseAddress!, ldb: cols, beta: 1, c: pb.baseAddress!, ldc: cols)
                }
            }
        }
        base = SignRoundArray(b)
    }

    /// Takes the codes and scales of parameters set from outside the step loop (the start, or a test's
    /// choice) and lists how they differ from the codes set `parity` of P holds; the next `pass` brings
    /// that set up to them. Builds both sets on first use.
    mutating func setParameters<R: SignRoundRounding>(_ kernel: SignRoundKernel<R>, w: UnsafePointer<Float>,
                                                      v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                                                      beta: UnsafePointer<Float>) {
        let freshCodes = SignRoundArray<Float>(repeating: 0, count: rows * cols)
        let kernelScales = SignRoundArray<Float>(repeating: 0, count: rows * kernelGroupsPerRow)
        let fresh = freshCodes.base
        kernel.codes(w: w, v: v, alpha: alpha, beta: beta, codes: fresh, scales: kernelScales.base)
        if holdsValues {
            // Q = code x scale, the product the kernel's forward pass forms.
            for r in 0..<rows {
                for g in 0..<kernelGroupsPerRow {
                    let first = g * kernelGroupSize, s = kernelScales.base[r * kernelGroupsPerRow + g]
                    for j in first..<min(cols, first + kernelGroupSize) { fresh[r * cols + j] *= s }
                }
            }
            scales.base.update(repeating: 1, count: scales.count)
        } else {
            scales.update(from: kernelScales)
        }
        let n = rows * cols
        if !built {
            // Both sets start at these codes: nothing to list.
            build(codes: fresh)
            held.base.update(from: fresh, count: n)
            (held.base + n).update(from: fresh, count: n)
            parity = 0
            built = true
            return
        }
        let (gs, gpr, current) = (groupSize, groupsPerRow, held.base + parity * n)
        for r in 0..<rows {
            for g in 0..<gpr {
                let start = r * cols + g * gs
                changes.count.base[r * gpr + g] = Int32(VectorOps.listChanges(
                    new: fresh + start, old: current + start,
                    count: min(cols, (g + 1) * gs) - g * gs, first: Int32(g * gs), scale: gram.scale,
                    indices: changes.index.base + start, deltas: changes.delta.base + start))
            }
        }
        current.update(from: fresh, count: n)
    }

    /// Both sets of P from scratch: for each group column block, P[:, g, :] = C[:, block] Hqq~[block, :].
    private func build(codes: UnsafePointer<Float>) {
        let (rows, cols, gs, size) = (rows, cols, groupSize, setSize)
        let pp = partials.base
        gram.widened.data.withUnsafeBufferPointer { ph in
            for g in 0..<groupsPerRow {
                let width = min(cols, (g + 1) * gs) - g * gs
                BLAS.gemm(.none, .none, m: rows, n: cols, k: width, a: codes + g * gs, lda: cols,
                          b: ph.baseAddress! + g * gs * cols, ldb: cols, beta: 0,
                          c: pp + g * rows * cols, ldc: cols)
            }
        }
        (pp + size).update(from: pp, count: size)
    }
}
