import Formats
import TensorCore

/// One layer's optimisation: the step loop over its buffers (`SignRoundBuffers`: parameters, the
/// best parameters so far, D = Q - W and G = D Hqq + E), by sgemm or by group partial products.
/// The step loop allocates nothing.
struct SignRoundState {
    let layout: SignRoundLayout
    let buffers: SignRoundBuffers
    var bestIteration = 0
    /// Partial-product row updates, summed over the run (nil when every step used the sgemm).
    var rowUpdates: Int?

    var bestV: [Float] { buffers.bestV.array }
    var bestAlpha: [Float] { buffers.bestAlpha.array }
    var bestBeta: [Float] { buffers.bestBeta.array }

    init(layout: SignRoundLayout, weights w: Matrix, objective: LayerObjective) {
        self.layout = layout
        buffers = SignRoundBuffers(layout: layout, weights: w, crossTerm: objective.crossTerm)
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
            runWithProducts(&products, kernel: kernel, objective: objective, options: options) { t, loss in
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
            let loss = evaluate(kernel, objective: objective, gram: gram.widened)
            history.append(loss)
            if loss < best {
                best = loss
                bestIteration = t
                buffers.copyCurrentToBest()
            }
            guard t < iterations else { break }
            let update = SignRoundUpdate.scheduled(initialLearningRate: lr0, iteration: t, of: iterations)
            step(kernel, gradScale: 2 / Float(objective.tokens), update: update)
        }
        return history
    }

    /// The loop through the group partial products: one fused pass per iteration, stepping into the
    /// buffers' second set of parameters. `record(t, loss)` says whether the loss is a new best; then
    /// the current parameters become the best ones by a swap, no copy.
    private func runWithProducts(_ products: inout SignRoundGroupProducts, kernel: SignRoundKernel<NearestRounding>,
                                 objective: LayerObjective, options: SignRoundOptions,
                                 record: (Int, Double) -> Bool) {
        let iterations = options.iterations, lr0 = options.effectiveLearningRate
        let b = buffers
        products.setParameters(kernel, w: b.w.base, v: b.v.base, alpha: b.alpha.base, beta: b.beta.base)
        for t in 0...iterations {
            let stepping = t < iterations
            let update = SignRoundUpdate.scheduled(initialLearningRate: lr0, iteration: t, of: iterations)
            let target = SignRoundGroupProducts.StepTarget(v: b.nextV.base, alpha: b.nextAlpha.base, beta: b.nextBeta.base,
                                                           update: update, gradScale: 2 / Float(objective.tokens))
            let terms = products.pass(kernel, w: b.w.base, e: b.e?.base, v: b.v.base, alpha: b.alpha.base,
                                      beta: b.beta.base, target: stepping ? target : nil)
            if record(t, (terms + objective.constant) / Double(objective.tokens)) {
                if stepping { b.moveCurrentToBest() } else { b.copyCurrentToBest() }
            }
            if stepping { b.takeStepped() }
        }
    }

    /// Forward pass, G = D H + E by one sgemm with `gram` H (the step Gram in the step loop), and the
    /// loss (sum(D .* (G + E)) + c0) / T.
    func evaluate(_ kernel: SignRoundKernel<NearestRounding>, objective: LayerObjective, gram: Matrix) -> Double {
        let rows = layout.rows, cols = layout.cols
        let (chunks, size) = rowChunks(rows)
        let b = buffers, d = b.d.base, g = b.g.base, e = b.e?.base, parts = b.lossParts.base
        kernel.forward(w: b.w.base, v: b.v.base, alpha: b.alpha.base, beta: b.beta.base, d: d)
        if let e { g.update(from: e, count: rows * cols) }
        gram.data.withUnsafeBufferPointer { ph in
            BLAS.gemm(.none, .none, m: rows, n: cols, k: cols, a: d, lda: cols, b: ph.baseAddress!, ldb: cols,
                      beta: e == nil ? 0 : 1, c: g, ldc: cols)
        }
        let (ds, gs, es, ps) = (SharedPointer(d), SharedPointer(g), e.map { SharedPointer($0) }, SharedPointer(parts))
        parallelFor(chunks) { c in
            ps.base[c] = Self.lossPart(d: ds.base, g: gs.base, e: es?.base, range: (c * size * cols)..<(min(rows, (c + 1) * size) * cols), cols: cols)
        }
        var total = 0.0
        for c in 0..<chunks { total += parts[c] }
        return (total + objective.constant) / Double(objective.tokens)
    }

    /// sum over `range` (whole rows) of D .* (G + E): Float sums per row, added in Double.
    static func lossPart(d: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                         e: UnsafeMutablePointer<Float>?, range: Range<Int>, cols: Int) -> Double {
        var total = 0.0
        var rowStart = range.lowerBound
        while rowStart < range.upperBound {
            let rowEnd = rowStart + cols
            var acc: Float = 0
            if let e {
                for i in rowStart..<rowEnd { acc += d[i] * (g[i] + e[i]) }
            } else {
                for i in rowStart..<rowEnd { acc += d[i] * g[i] }
            }
            total += Double(acc)
            rowStart = rowEnd
        }
        return total
    }

    /// One step of `update` from the G of the last `evaluate`.
    func step(_ kernel: SignRoundKernel<NearestRounding>, gradScale: Float, update: SignRoundUpdate) {
        let b = buffers
        kernel.backward(w: b.w.base, g: b.g.base, gradScale: gradScale, v: b.v.base, alpha: b.alpha.base,
                        beta: b.beta.base, out: .init(update: update))
    }
}
