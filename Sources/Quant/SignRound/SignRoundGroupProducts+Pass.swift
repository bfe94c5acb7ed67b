import Formats
import TensorCore

extension SignRoundGroupProducts {
    /// Where one pass writes the step it takes. Shared by the pass's row chunks (each writes only its
    /// own rows and groups), hence `@unchecked Sendable`.
    struct StepTarget: @unchecked Sendable {
        /// The stepped parameters (separate from the current ones, which must survive the pass so the
        /// caller can keep them as the best so far).
        var v: UnsafeMutablePointer<Float>
        var alpha: UnsafeMutablePointer<Float>
        var beta: UnsafeMutablePointer<Float>
        /// The step (`SignRoundUpdate`: rule and lr_t).
        var update: SignRoundUpdate
        /// dL/dQ = gradScale x G (2 / T).
        var gradScale: Float
    }

    /// Bytes of G rows a tile keeps in cache (L2 is 1 MB per core here; a group's Hqq rows take up
    /// to 786 KB for 1536 columns in groups of 128).
    static let tileBytes = 128 << 10

    /// Rows a pass takes through the partial products together, group by group: the group's Hqq rows
    /// come from L3 once per tile and serve every row of it from L2, while the tile's G rows stay in L2.
    static func tileRows(cols: Int) -> Int { max(1, tileBytes / (4 * max(cols, 1))) }

    /// One step of SignRound in a single pass over the rows, rows in parallel chunks:
    /// 1. set `parity` of P follows the codes of the current parameters (P_rg += (c - c_old) Hqq~[j, :]
    ///    per listed change, Hqq~ the step Gram) and, while P_rg is in cache,
    ///    G_r = (E - W Hqq~)_r + sum_g s_rg P_rg;
    /// 2. the loss terms D .* (G + E) with D = s c - W;
    /// 3. with `target`, the straight-through backward pass and the signed step into `target`, the
    ///    codes and scales of the stepped parameters, and the list of how they differ from the codes of
    ///    the other set, which the next pass brings that set up to.
    /// P, the codes and G are each touched once per step; D and G never leave the cache.
    ///
    /// - Parameters: `e`, the cross term E (nil without quantized input); `inspect`, when given,
    ///   receives D and G (rows x cols each; tests compare them with the sgemm).
    /// - Returns: sum(D .* (G + E)), Float sums per row added in Double (the loss before c0 and 1 / T).
    mutating func pass<R: SignRoundRounding>(_ kernel: SignRoundKernel<R>, w: UnsafePointer<Float>,
                                             e: UnsafePointer<Float>?, v: UnsafePointer<Float>,
                                             alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                             target: StepTarget?,
                                             inspect: (d: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>)? = nil) -> Double {
        let (rows, cols, gs, gpr) = (rows, cols, groupSize, groupsPerRow)
        let (kgs, kgpr, values) = (kernelGroupSize, kernelGroupsPerRow, holdsValues)
        let (chunks, size) = rowChunks(rows)
        let (current, other, set) = (parity * rows * cols, (1 - parity) * rows * cols, parity * setSize)
        let buffers = PassBuffers(current: held.base + current, other: held.base + other, scales: scales.base,
                                  partials: partials.base + set, base: base.base, gram: gramHalf.base,
                                  gramScale: gram.scale,
                                  lists: ChangePointers(index: changes.index.base, delta: changes.delta.base,
                                                        count: changes.count.base),
                                  w: w, e: e, v: v, alpha: alpha, beta: beta)
        let (losses, changed) = (SharedPointer(chunkLoss.base), SharedPointer(chunkChanges.base))
        let inspected = inspect.map { (d: SharedPointer($0.d), g: SharedPointer($0.g)) }
        parallelFor(chunks) { chunk in
            let inspect = inspected.map { (d: $0.d.base, g: $0.g.base) }
            let rowRange = (chunk * size)..<min(rows, (chunk + 1) * size)
            (losses.base[chunk], changed.base[chunk]) = Self.passRows(rowRange, rows: rows, cols: cols, groupSize: gs, groupsPerRow: gpr,
                                                            kernelGroupSize: kgs, kernelGroupsPerRow: kgpr, holdsValues: values,
                                                            kernel: kernel, buffers: buffers, target: target, inspect: inspect)
        }
        var loss = 0.0
        for chunk in 0..<chunks {
            rowUpdates += chunkChanges.base[chunk]
            loss += chunkLoss.base[chunk]
        }
        if target != nil {
            // The other set holds the stepped codes to be, with the changes listed: it serves the next step.
            parity = 1 - parity
        } else {
            changes.count.base.update(repeating: 0, count: changes.count.count)
        }
        return loss
    }

    /// The change lists as pointers (see `changes`).
    struct ChangePointers {
        let index: UnsafeMutablePointer<Int32>
        let delta: UnsafeMutablePointer<Float>
        let count: UnsafeMutablePointer<Int32>
    }

    /// The arrays one pass reads and writes, as pointers (rows x cols unless noted). Shared by the
    /// pass's row chunks, each writing only its own rows, groups and change lists, hence
    /// `@unchecked Sendable`.
    struct PassBuffers: @unchecked Sendable {
        /// Codes of the current parameters, which the pass's set of P holds once the listed changes are applied.
        let current: UnsafeMutablePointer<Float>
        /// Codes the other set of P holds; receives the codes of the stepped parameters.
        let other: UnsafeMutablePointer<Float>
        /// Scale per group (rows x groupsPerRow): current on entry, stepped on exit.
        let scales: UnsafeMutablePointer<Float>
        /// This pass's set of P.
        let partials: UnsafeMutablePointer<Float>
        let base: UnsafePointer<Float>
        /// The step Gram's half-precision rows and their scale.
        let gram: UnsafePointer<Float16>
        let gramScale: Float
        /// Changes to this pass's set of P on entry; the other set's changes to the stepped codes on exit.
        let lists: ChangePointers
        let w: UnsafePointer<Float>
        let e: UnsafePointer<Float>?
        let v: UnsafePointer<Float>
        let alpha: UnsafePointer<Float>
        let beta: UnsafePointer<Float>
    }

    /// The pass over `rowRange`, in tiles of `tileRows`; returns the loss terms and the changed codes.
    private static func passRows<R: SignRoundRounding>(_ rowRange: Range<Int>, rows: Int, cols: Int, groupSize gs: Int, groupsPerRow gpr: Int,
                                                       kernelGroupSize kgs: Int, kernelGroupsPerRow kgpr: Int, holdsValues: Bool,
                                                       kernel: SignRoundKernel<R>, buffers b: PassBuffers,
                                                       target: StepTarget?,
                                                       inspect: (d: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>)?) -> (Double, Int) {
        let tile = min(tileRows(cols: cols), rowRange.count)
        let gTile = UnsafeMutablePointer<Float>.allocate(capacity: tile * cols)
        let stepped = UnsafeMutablePointer<Float>.allocate(capacity: kgs)
        defer { gTile.deallocate(); stepped.deallocate() }
        var loss = 0.0, changed = 0
        for tileStart in stride(from: rowRange.lowerBound, to: rowRange.upperBound, by: tile) {
            let tileRange = tileStart..<min(rowRange.upperBound, tileStart + tile)
            for r in tileRange { (gTile + (r - tileStart) * cols).update(from: b.base + r * cols, count: cols) }
            // 1. P up to the current codes and G, group-major so Hqq's group rows stay in cache.
            for grp in 0..<gpr {
                let first = grp * gs
                for r in tileRange {
                    let terms = Int(b.lists.count[r * gpr + grp]), list = r * cols + first
                    changed += terms
                    VectorOps.addRows(b.gram, stride: cols, indices: b.lists.index + list, deltas: b.lists.delta + list, terms: terms,
                                      into: b.partials + (grp * rows + r) * cols, count: cols,
                                      accumulating: (b.scales[r * gpr + grp], gTile + (r - tileStart) * cols))
                }
            }
            // 2, 3. Loss terms, backward and step, the stepped codes.
            for r in tileRange {
                let gRow = gTile + (r - tileStart) * cols
                inspect?.g.advanced(by: r * cols).update(from: gRow, count: cols)
                var rowLoss: Float = 0
                for kg in 0..<kgpr {
                    let gi = r * kgpr + kg, first = kg * kgs, width = min(cols, first + kgs) - first
                    let start = r * cols + first
                    let p = kernel.scale(group: gi, alpha: b.alpha[gi], beta: b.beta[gi])
                    rowLoss += SignRoundGroupLoops<R>.lossTerms(w: b.w + start, codes: b.current + start,
                                                                scale: holdsValues ? 1 : p.scale,
                                                                g: gRow + first, e: b.e.map { $0 + start },
                                                                d: inspect.map { $0.d + start }, count: width)
                    guard let target else { continue }
                    kernel.backward(group: gi, scale: p, w: b.w + start, g: gRow + first, gradScale: target.gradScale,
                                    v: b.v + start, vNext: target.v + start, alpha: b.alpha, beta: b.beta,
                                    alphaNext: target.alpha, betaNext: target.beta,
                                    out: .init(update: target.update), offset: start, count: width)
                    let next = kernel.scale(group: gi, alpha: target.alpha[gi], beta: target.beta[gi])
                    kernel.codes(group: next, w: b.w + start, v: target.v + start, into: stepped, count: width)
                    if holdsValues {
                        for k in 0..<width { stepped[k] *= next.scale }
                    } else {
                        b.scales[gi] = next.scale
                    }
                    // Appended to the list of the partial product this group belongs to.
                    let pg = first / gs, list = r * cols + pg * gs, ci = r * gpr + pg
                    if first == pg * gs { b.lists.count[ci] = 0 }
                    let listed = Int(b.lists.count[ci])
                    b.lists.count[ci] += Int32(VectorOps.listChanges(new: stepped, old: b.other + start, count: width,
                                                                      first: Int32(first), scale: b.gramScale,
                                                                      indices: b.lists.index + list + listed,
                                                                      deltas: b.lists.delta + list + listed))
                    (b.other + start).update(from: stepped, count: width)
                }
                loss += Double(rowLoss)
            }
        }
        return (loss, changed)
    }
}
