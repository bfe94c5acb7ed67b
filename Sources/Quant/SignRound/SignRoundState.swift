import Formats
import TensorCore

/// The buffers of one layer's optimisation, allocated once: parameters, the best parameters so far,
/// D = Q - W and G = D Hqq + E. The step loop allocates nothing.
struct SignRoundState {
    let layout: SignRoundLayout
    var v: [Float]
    var alpha: [Float]
    var beta: [Float]
    var bestV: [Float]
    var bestAlpha: [Float]
    var bestBeta: [Float]
    var bestIteration = 0
    /// Partial-product row updates, summed over the run (nil when every step used the sgemm).
    var rowUpdates: Int?
    private var d: [Float]
    private var g: [Float]
    private var partial: [Double]

    init(layout: SignRoundLayout) {
        self.layout = layout
        let n = layout.rows * layout.cols, groups = layout.groupCount
        v = [Float](repeating: 0, count: n)
        alpha = [Float](repeating: 1, count: groups)
        beta = alpha
        bestV = v
        bestAlpha = alpha
        bestBeta = beta
        d = v
        g = v
        partial = [Double](repeating: 0, count: rowChunks(layout.rows).chunks)
    }

    /// Runs the signed-gradient loop and returns the loss at iterations 0...iterations; the best
    /// parameters end in `bestV`, `bestAlpha`, `bestBeta` (first minimum wins ties).
    mutating func run(weights w: Matrix, objective: LayerObjective, options: SignRoundOptions) -> [Double] {
        let kernel = SignRoundKernel<NearestRounding>(layout: layout)
        let useProducts = switch options.stepProduct {
        case .automatic: SignRoundGroupProducts.pays(for: layout)
        case .sgemm: false
        case .groupPartials: true
        }
        var history: [Double] = []
        history.reserveCapacity(options.iterations + 1)
        var best = Double.infinity
        let gram = SignRoundStepGram(objective.gram)
        if useProducts {
            var products = SignRoundGroupProducts(layout: layout, weights: w, objective: objective, gram: gram)
            var bestAt = 0
            runWithProducts(&products, kernel: kernel, weights: w, objective: objective, options: options) { t, loss in
                history.append(loss)
                guard loss < best else { return false }
                best = loss
                bestAt = t
                return true
            }
            bestIteration = bestAt
            rowUpdates = products.rowUpdates
            return history
        }
        let iterations = options.iterations, lr0 = options.effectiveLearningRate
        for t in 0...iterations {
            let loss = evaluate(kernel, w: w, objective: objective, gram: gram.widened)
            history.append(loss)
            if loss < best {
                best = loss
                bestIteration = t
                bestV.withUnsafeMutableBufferPointer { dst in v.withUnsafeBufferPointer { dst.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
                bestAlpha = alpha
                bestBeta = beta
            }
            guard t < iterations else { break }
            let update = SignRoundUpdate.scheduled(initialLearningRate: lr0, iteration: t, of: iterations)
            step(kernel, w: w, gradScale: 2 / Float(objective.tokens), update: update)
        }
        return history
    }

    /// The loop through the group partial products: one fused pass per iteration, stepping into a
    /// second set of parameters. `record(t, loss)` says whether the loss is a new best; then the
    /// current parameters become the best ones by a swap, no copy.
    private mutating func runWithProducts(_ products: inout SignRoundGroupProducts, kernel: SignRoundKernel<NearestRounding>,
                                          weights w: Matrix, objective: LayerObjective, options: SignRoundOptions,
                                          record: (Int, Double) -> Bool) {
        let iterations = options.iterations, lr0 = options.effectiveLearningRate
        var nextV = v, nextAlpha = alpha, nextBeta = beta
        w.data.withUnsafeBufferPointer { pw in
            v.withUnsafeBufferPointer { pv in
                alpha.withUnsafeBufferPointer { pa in
                    beta.withUnsafeBufferPointer { pb in
                        products.setParameters(kernel, w: pw.baseAddress!, v: pv.baseAddress!, alpha: pa.baseAddress!,
                                               beta: pb.baseAddress!)
                    }
                }
            }
        }
        for t in 0...iterations {
            let stepping = t < iterations
            let update = SignRoundUpdate.scheduled(initialLearningRate: lr0, iteration: t, of: iterations)
            let terms = Self.withPointers(w: w, e: objective.crossTerm, v: v, alpha: alpha, beta: beta,
                                          nextV: &nextV, nextAlpha: &nextAlpha, nextBeta: &nextBeta) { pw, pe, pv, pa, pb, nv, na, nb in
                products.pass(kernel, w: pw, e: pe, v: pv, alpha: pa, beta: pb,
                              target: stepping ? SignRoundStepTarget(v: nv, alpha: na, beta: nb, update: update,
                                                                     gradScale: 2 / Float(objective.tokens)) : nil)
            }
            if record(t, (terms + objective.constant) / Double(objective.tokens)) {
                if stepping {
                    swap(&bestV, &v)
                } else {
                    bestV = v
                }
                bestAlpha = alpha
                bestBeta = beta
            }
            if stepping {
                swap(&v, &nextV)
                swap(&alpha, &nextAlpha)
                swap(&beta, &nextBeta)
            }
        }
    }

    /// Runs `body` with pointers to W, E, the parameters and the arrays the step writes.
    private static func withPointers<T>(w: Matrix, e: Matrix?, v: [Float], alpha: [Float], beta: [Float],
                                        nextV: inout [Float], nextAlpha: inout [Float], nextBeta: inout [Float],
                                        _ body: (UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>, UnsafePointer<Float>,
                                                 UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                 UnsafeMutablePointer<Float>) -> T) -> T {
        w.data.withUnsafeBufferPointer { pw in
            v.withUnsafeBufferPointer { pv in
                alpha.withUnsafeBufferPointer { pa in
                    beta.withUnsafeBufferPointer { pb in
                        nextV.withUnsafeMutableBufferPointer { nv in
                            nextAlpha.withUnsafeMutableBufferPointer { na in
                                nextBeta.withUnsafeMutableBufferPointer { nb in
                                    guard let e else {
                                        return body(pw.baseAddress!, nil, pv.baseAddress!, pa.baseAddress!, pb.baseAddress!,
                                                    nv.baseAddress!, na.baseAddress!, nb.baseAddress!)
                                    }
                                    return e.data.withUnsafeBufferPointer { pe in
                                        body(pw.baseAddress!, pe.baseAddress!, pv.baseAddress!, pa.baseAddress!, pb.baseAddress!,
                                             nv.baseAddress!, na.baseAddress!, nb.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forward pass, G = D H + E by one sgemm with `gram` H (the step Gram in the step loop), and the
    /// loss (sum(D .* (G + E)) + c0) / T.
    mutating func evaluate(_ kernel: SignRoundKernel<NearestRounding>, w: Matrix, objective: LayerObjective,
                           gram: Matrix) -> Double {
        let rows = layout.rows, cols = layout.cols
        let (chunks, size) = rowChunks(rows)
        return w.data.withUnsafeBufferPointer { pw in
            v.withUnsafeBufferPointer { pv in
                alpha.withUnsafeBufferPointer { pa in
                    beta.withUnsafeBufferPointer { pb in
                        d.withUnsafeMutableBufferPointer { pd in
                            g.withUnsafeMutableBufferPointer { pg in
                                partial.withUnsafeMutableBufferPointer { pp in
                                    kernel.forward(w: pw.baseAddress!, v: pv.baseAddress!, alpha: pa.baseAddress!,
                                                   beta: pb.baseAddress!, d: pd.baseAddress!)
                                    if let e = objective.crossTerm {
                                        e.data.withUnsafeBufferPointer { pg.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
                                    }
                                    gram.data.withUnsafeBufferPointer { ph in
                                        BLAS.gemm(.none, .none, m: rows, n: cols, k: cols, a: pd.baseAddress!, lda: cols,
                                                  b: ph.baseAddress!, ldb: cols, beta: objective.crossTerm == nil ? 0 : 1,
                                                  c: pg.baseAddress!, ldc: cols)
                                    }
                                    let e = objective.crossTerm
                                    parallelFor(chunks) { c in
                                        pp[c] = Self.lossPart(d: pd, g: pg, e: e, range: (c * size * cols)..<(min(rows, (c + 1) * size) * cols), cols: cols)
                                    }
                                    return (pp.reduce(0, +) + objective.constant) / Double(objective.tokens)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// sum over `range` (whole rows) of D .* (G + E): Float sums per row, added in Double.
    static func lossPart(d: UnsafeMutableBufferPointer<Float>, g: UnsafeMutableBufferPointer<Float>,
                         e: Matrix?, range: Range<Int>, cols: Int) -> Double {
        var total = 0.0
        var rowStart = range.lowerBound
        while rowStart < range.upperBound {
            let rowEnd = rowStart + cols
            var acc: Float = 0
            if let e {
                e.data.withUnsafeBufferPointer { pe in
                    for i in rowStart..<rowEnd { acc += d[i] * (g[i] + pe[i]) }
                }
            } else {
                for i in rowStart..<rowEnd { acc += d[i] * g[i] }
            }
            total += Double(acc)
            rowStart = rowEnd
        }
        return total
    }

    /// One step of `update` from the G of the last `evaluate`.
    mutating func step(_ kernel: SignRoundKernel<NearestRounding>, w: Matrix, gradScale: Float, update: SignRoundUpdate) {
        w.data.withUnsafeBufferPointer { pw in
            g.withUnsafeBufferPointer { pg in
                v.withUnsafeMutableBufferPointer { pv in
                    alpha.withUnsafeMutableBufferPointer { pa in
                        beta.withUnsafeMutableBufferPointer { pb in
                            kernel.backward(w: pw.baseAddress!, g: pg.baseAddress!, gradScale: gradScale,
                                            v: pv.baseAddress!, alpha: pa.baseAddress!, beta: pb.baseAddress!,
                                            out: .init(update: update))
                        }
                    }
                }
            }
        }
    }
}
