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
///   (42 MB for a 576 x 1536 layer in groups of 128). Worth it for groups of 32 and more.
/// - Exactness: the same quantity as the sgemm up to Float summation order; Q Hqq and W Hqq are formed
///   separately, so G carries a relative error of about 1e-7 x |Q Hqq| / |D Hqq|.
struct SignRoundGroupProducts {
    let rows: Int
    let cols: Int
    let groupSize: Int
    let groupsPerRow: Int
    /// P, (rows x groupsPerRow) x cols, row-major: partial product of row r, group g at (r x groupsPerRow + g) x cols.
    private var partials: [Float]
    /// Codes the partial products currently hold (rows x cols).
    private var codes: [Float]
    /// The codes of the current parameters (rows x cols), swapped with `codes` after each update.
    private var fresh: [Float]
    /// Current scale per group (rows x groupsPerRow).
    private var scales: [Float]
    /// E - W Hqq (rows x cols).
    private let base: [Float]
    private var built = false
    /// Codes changed since the partial products were built, summed over all updates.
    private(set) var changedCodes = 0
    private var changedPerChunk: [Int]

    /// Whether the partial products pay off for `layout`: groups of at least 32 weights and at most
    /// `memoryLimit` bytes of partial products.
    static func pays(for layout: SignRoundLayout, memoryLimit: Int = 1 << 30) -> Bool {
        layout.groupSize >= 32 && layout.rows * layout.groupsPerRow * layout.cols * 4 <= memoryLimit
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
        changedPerChunk = [Int](repeating: 0, count: rowChunks(rows).chunks)
    }

    /// Writes D = Q - W and G = D Hqq + E for the current parameters.
    mutating func evaluate<R: SignRoundRounding>(_ kernel: SignRoundKernel<R>, w: UnsafePointer<Float>,
                                                 v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                                                 beta: UnsafePointer<Float>, gram: Matrix,
                                                 d: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>) {
        fresh.withUnsafeMutableBufferPointer { pf in
            scales.withUnsafeMutableBufferPointer { ps in
                kernel.codes(w: w, v: v, alpha: alpha, beta: beta, codes: pf.baseAddress!, scales: ps.baseAddress!)
            }
        }
        if built {
            update(gram: gram)
        } else {
            build(gram: gram)
            built = true
        }
        swap(&codes, &fresh)
        combine(w: w, d: d, g: g)
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
                                  c: pp.baseAddress! + g * cols, ldc: gpr * cols)
                    }
                }
            }
        }
    }

    /// P_rg += (c_new - c_old) Hqq[j, :] for every code that changed, rows in parallel chunks.
    private mutating func update(gram: Matrix) {
        let (rows, cols, gs, gpr) = (rows, cols, groupSize, groupsPerRow)
        let (chunks, size) = rowChunks(rows)
        fresh.withUnsafeBufferPointer { pf in
            codes.withUnsafeBufferPointer { pc in
                gram.data.withUnsafeBufferPointer { ph in
                    partials.withUnsafeMutableBufferPointer { pp in
                        changedPerChunk.withUnsafeMutableBufferPointer { counts in
                            let shared = UncheckedSendable((pf, pc, ph, pp, counts))
                            parallelFor(chunks) { chunk in
                                let (pf, pc, ph, pp, counts) = shared.value
                                var changed = 0
                                let indices = UnsafeMutablePointer<Int32>.allocate(capacity: gs)
                                let deltas = UnsafeMutablePointer<Float>.allocate(capacity: gs)
                                defer { indices.deallocate(); deltas.deallocate() }
                                // Group-major: the group's Hqq rows (gs x cols) stay in cache across the rows.
                                for grp in 0..<gpr {
                                    for r in (chunk * size)..<min(rows, (chunk + 1) * size) {
                                        var terms = 0
                                        for j in (grp * gs)..<min(cols, (grp + 1) * gs) {
                                            let delta = pf[r * cols + j] - pc[r * cols + j]
                                            guard delta != 0 else { continue }
                                            indices[terms] = Int32(j)
                                            deltas[terms] = delta
                                            terms += 1
                                        }
                                        changed += terms
                                        VectorOps.addRows(ph.baseAddress!, stride: cols, indices: indices, deltas: deltas,
                                                          terms: terms, into: pp.baseAddress! + (r * gpr + grp) * cols,
                                                          count: cols)
                                    }
                                }
                                counts[chunk] += changed
                            }
                        }
                    }
                }
            }
        }
        changedCodes = changedPerChunk.reduce(0, +)
    }

    /// G_r = (E - W Hqq)_r + sum_g s_rg P_rg and D = s c - w, rows in parallel chunks.
    private func combine(w: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>) {
        let (rows, cols, gs, gpr) = (rows, cols, groupSize, groupsPerRow)
        let (chunks, size) = rowChunks(rows)
        codes.withUnsafeBufferPointer { pc in
            scales.withUnsafeBufferPointer { ps in
                partials.withUnsafeBufferPointer { pp in
                    base.withUnsafeBufferPointer { pb in
                        let shared = UncheckedSendable((pc, ps, pp, pb, w, d, g))
                        parallelFor(chunks) { chunk in
                            let (pc, ps, pp, pb, w, d, g) = shared.value
                            for r in (chunk * size)..<min(rows, (chunk + 1) * size) {
                                let gr = g + r * cols
                                gr.update(from: pb.baseAddress! + r * cols, count: cols)
                                for grp in 0..<gpr {
                                    let s = ps[r * gpr + grp]
                                    VectorOps.addScaled(s, pp.baseAddress! + (r * gpr + grp) * cols, into: gr, count: cols)
                                    for i in (r * cols + grp * gs)..<(r * cols + min(cols, (grp + 1) * gs)) {
                                        d[i] = s * pc[i] - w[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
