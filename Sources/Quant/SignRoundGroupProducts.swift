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
/// block (rows x groupSize x cols, one sgemm of the layer in all).
///
/// - Complexity per step: O(rows x groupsPerRow x cols) for the weighted sums plus O(cols) per changed
///   code, against 2 x rows x cols x cols flops for the sgemm. Memory: rows x groupsPerRow x cols Floats
///   (42 MB for a 576 x 1536 layer in groups of 128). Each step streams P through memory once (read
///   and write, 8 bytes per entry) where the sgemm does 2 x cols flops per weight: with about 20 GB/s
///   of memory and 200 GFLOP/s of sgemm the products win by gs / 40, so from groups of 64 on (measured
///   on the default model: 2x less CPU time at g128, a tie or a loss at g32).
/// - Exactness: the same quantity as the sgemm up to Float summation order; Q Hqq and W Hqq are formed
///   separately, so G carries a relative error of about 1e-7 x |Q Hqq| / |D Hqq|.
struct SignRoundGroupProducts {
    let rows: Int
    let cols: Int
    let groupSize: Int
    let groupsPerRow: Int
    /// P, (groupsPerRow x rows) x cols, group-major: partial product of row r, group g at (g x rows + r) x cols,
    /// so a group's rows are one contiguous block (the pass walks them in order).
    var partials: [Float]
    /// Codes the partial products currently hold (rows x cols).
    var codes: [Float]
    /// The codes of the current parameters (rows x cols); the pass brings P up to them.
    var fresh: [Float]
    /// Current scale per group (rows x groupsPerRow).
    var scales: [Float]
    /// E - W Hqq (rows x cols).
    let base: [Float]
    private var built = false
    /// Codes changed since the partial products were built, summed over all updates.
    var changedCodes = 0

    /// Whether the partial products pay off for `layout`: groups of at least 64 weights and at most
    /// `memoryLimit` bytes of partial products.
    static func pays(for layout: SignRoundLayout, memoryLimit: Int = 1 << 30) -> Bool {
        layout.groupSize >= 64 && layout.rows * layout.groupsPerRow * layout.cols * 4 <= memoryLimit
    }

    /// Sets up the products for `layout` and forms E - W Hqq. - Complexity: one sgemm rows x cols x cols.
    init(layout: SignRoundLayout, weights w: Matrix, objective: LayerObjective) {
        rows = layout.rows
        cols = layout.cols
        groupSize = layout.groupSize
        groupsPerRow = layout.groupsPerRow
        partials = [Float](repeating: 0, count: rows * groupsPerRow * cols)
        codes = [Float](repeating: 0, count: rows * cols)
        fresh = codes
        scales = [Float](repeating: 0, count: rows * groupsPerRow)
        var b = objective.crossTerm?.data ?? [Float](repeating: 0, count: rows * cols)
        let (rows, cols) = (rows, cols)
        w.data.withUnsafeBufferPointer { pw in
            objective.gram.data.withUnsafeBufferPointer { ph in
                b.withUnsafeMutableBufferPointer { pb in
                    BLAS.gemm(.none, .none, m: rows, n: cols, k: cols, alpha: -1, a: pw.baseAddress!, lda: cols,
                              b: ph.baseAddress!, ldb: cols, beta: 1, c: pb.baseAddress!, ldc: cols)
                }
            }
        }
        base = b
    }

    /// Takes the codes and scales of parameters set from outside the step loop (the start, or a test's
    /// choice); the next `pass` brings the partial products up to them. Builds P on first use.
    mutating func setParameters<R: SignRoundRounding>(_ kernel: SignRoundKernel<R>, w: UnsafePointer<Float>,
                                                      v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                                                      beta: UnsafePointer<Float>, gram: Matrix) {
        fresh.withUnsafeMutableBufferPointer { pf in
            scales.withUnsafeMutableBufferPointer { ps in
                kernel.codes(w: w, v: v, alpha: alpha, beta: beta, codes: pf.baseAddress!, scales: ps.baseAddress!)
            }
        }
        if !built {
            build(gram: gram)
            codes = fresh
            built = true
        }
    }

    /// P from scratch: for each group column block, P[:, g, :] = C[:, block] Hqq[block, :].
    private mutating func build(gram: Matrix) {
        let (rows, cols, gs, gpr) = (rows, cols, groupSize, groupsPerRow)
        fresh.withUnsafeBufferPointer { pc in
            gram.data.withUnsafeBufferPointer { ph in
                partials.withUnsafeMutableBufferPointer { pp in
                    for g in 0..<gpr {
                        let width = min(cols, (g + 1) * gs) - g * gs
                        BLAS.gemm(.none, .none, m: rows, n: cols, k: width, a: pc.baseAddress! + g * gs, lda: cols,
                                  b: ph.baseAddress! + g * gs * cols, ldb: cols, beta: 0,
                                  c: pp.baseAddress! + g * rows * cols, ldc: cols)
                    }
                }
            }
        }
    }
}
